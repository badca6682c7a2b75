"""`/hours` (Stunden): regular support and project work, entered by the engineer who did it.

An engineer enters and sees their own entries (`Permission.HOURS`), a project lead everyone's
(`Permission.ALL_HOURS`). The rules (what an entry may be, closed months) are hotline/hours.py;
emergencies bring their own time and are not entered here.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from flask import abort, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from escalation.access import Permission
from escalation.billing import hours as in_hours
from hotline import appointments, billing, db, hours
from hotline.clock import now
from hotline.models import Customer, Engineer, TimeEntry
from hotline.web import access, web


def _month(text: str | None, today: date) -> date:
    try:
        return date.fromisoformat(f"{text}-01") if text else today.replace(day=1)
    except ValueError:
        return today.replace(day=1)


def _me(who: access.Who) -> Engineer | None:
    if not who.engineer:
        return None
    return db.session().scalar(select(Engineer).where(Engineer.key == who.engineer))


@web.get("/hours", endpoint="hours")
@access.needs(Permission.HOURS)
def hours_page() -> ResponseReturnValue:
    return _page()


def _page(error: str | None = None, form: dict[str, str] | None = None) -> ResponseReturnValue:
    who = access.current()
    assert who is not None
    session = db.session()
    today = now().astimezone(appointments.planning(session).zone).date()
    month = _month(request.values.get("month"), today)
    everyone = who.may(Permission.ALL_HOURS)
    me = _me(who)
    if not everyone and me is None:
        return render_template("hours.html", month=None, me=None, error=None), 200
    entries = hours.of_month(session, month, None if everyone else me)
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for e in entries:
        sums[e.customer.number][0 if e.billable else 1] += e.minutes
    closed = billing.last_closed(session)
    body = render_template(
        "hours.html",
        month=month,
        previous=(month - timedelta(days=1)).replace(day=1),
        following=billing.next_month(month),
        today=today,
        entries=entries,
        sums=sorted(sums.items()),
        hours=in_hours,
        closed=closed is not None and month <= closed,
        me=me,
        everyone=everyone,
        customers=session.scalars(select(Customer).order_by(Customer.number)).all(),
        engineers=session.scalars(
            select(Engineer).where(Engineer.active.is_(True)).order_by(Engineer.key)
        ).all(),
        error=error,
        form=form or {},
    )
    return body, 400 if error else 200


@web.post("/hours")
@access.needs(Permission.HOURS)
def hours_add() -> ResponseReturnValue:
    """Enter one entry: the form's values, checked by hotline/hours.py."""
    who = access.current()
    assert who is not None
    session = db.session()
    fields = ("day", "customer", "engineer", "minutes", "topic", "reference", "billable")
    form = {k: request.form.get(k, "").strip() for k in fields}
    engineer = _me(who)
    if who.may(Permission.ALL_HOURS) and form["engineer"]:
        engineer = session.scalar(select(Engineer).where(Engineer.key == form["engineer"]))
    customer = session.scalar(select(Customer).where(Customer.number == form["customer"]))
    try:
        day = date.fromisoformat(form["day"])
    except ValueError:
        return _page("Datum: bitte ein Datum wählen (TT.MM.JJJJ).", form)
    if not form["minutes"].isdigit() or len(form["minutes"]) > 5:
        return _page("Minuten: bitte eine ganze Zahl angeben.", form)
    if customer is None:
        return _page("Kunde: bitte einen Kunden wählen.", form)
    if engineer is None:
        return _page("Techniker: bitte einen Techniker wählen.", form)
    work = hours.Work(customer, engineer, day, int(form["minutes"]), form["topic"],
                      form["reference"] or None, form["billable"] == "1")  # fmt: skip
    try:
        entry = hours.add(session, work, who.name, now())
    except hours.HoursError as exc:
        session.rollback()
        return _page(str(exc), form)
    access.audit("time entry added", f"time entry {entry.id}", customer=customer.number,
                 engineer=engineer.key, day=day.isoformat(), minutes=entry.minutes)  # fmt: skip
    session.commit()
    return redirect(url_for("web.hours", month=f"{day:%Y-%m}"))


@web.post("/hours/<int:entry_id>/delete")
@access.needs(Permission.HOURS)
def hours_delete(entry_id: int) -> ResponseReturnValue:
    """Take back an entry of an open month: one's own, or as a project lead anyone's."""
    who = access.current()
    assert who is not None
    session = db.session()
    entry = session.get(TimeEntry, entry_id)
    if entry is None:
        abort(404)
    if not who.may(Permission.ALL_HOURS) and entry.engineer.key != who.engineer:
        abort(403)
    try:
        hours.remove(session, entry)
    except hours.HoursError as exc:
        return _page(str(exc))
    access.audit(
        "time entry removed", f"time entry {entry_id}", customer=entry.customer.number,
        engineer=entry.engineer.key, day=entry.day.isoformat(), minutes=entry.minutes,
    )  # fmt: skip
    session.commit()
    return redirect(url_for("web.hours", month=f"{entry.day:%Y-%m}"))

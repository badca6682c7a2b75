"""`/billing`: the project lead's month per customer, the month-end run, the CSV export, and
every customer's status e-mail at once (each one is previewed on the JourFixe page).

Doors into `hotline/billing.py` and `hotline/reports.py`, the same services as `flask
billing-run`, `billing-export` and `status-emails`: the figures are the run's, the file is the
command's, the e-mail is the one the worker would send.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from escalation import billing as rule
from escalation.access import Permission
from hotline import billing, clock, db, reports
from hotline.billing import BillingError
from hotline.models import BillingRun, Provider
from hotline.web import access, problem, web


def _month(value: str | None) -> date | None:
    """'2026-12' as its first day; None for anything else."""
    try:
        return date.fromisoformat(f"{value}-01") if value and len(value) == 7 else None
    except ValueError:
        return None


@web.get("/billing", endpoint="billing")
@access.needs(Permission.BILLING)
def billing_page() -> ResponseReturnValue:
    session = db.session()
    if Provider.one(session) is None:
        return problem(409, "Abrechnung", "Es ist noch kein Verzeichnis importiert.")
    at = clock.now()
    this_month = billing.month_of(at, clock.zone(session))
    month = this_month if "month" not in request.args else _month(request.args["month"])
    if month is None:
        return problem(400, "Ungültiger Monat", "Bitte einen Monat als JJJJ-MM angeben.")
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    pending = session.scalar(select(BillingRun.id).where(BillingRun.month == last_month)) is None
    figures = billing.overview(session, month, at)
    return render_template(
        "billing/billing.html", o=figures, this_month=this_month,
        previous=(month - timedelta(days=1)).replace(day=1), following=billing.next_month(month),
        last_month=last_month if pending and last_month != month else None,
        zone=clock.zone(session), hours=rule.hours, percent=reports.percent,
        why_not=None if figures.run or figures.closable else _why_not(figures),
    )  # fmt: skip


@web.post("/billing/run")
@access.needs(Permission.BILLING)
def billing_run() -> ResponseReturnValue:
    """Bill and close the month (as `flask billing-run --month`): a closed month stays as it was."""
    session = db.session()
    month = _month(request.form.get("month"))
    if month is None:
        abort(400)
    at = clock.now()
    figures = billing.overview(session, month, at)
    closed = figures.run is not None
    if not closed and not figures.closable:
        flash(_why_not(figures))
        return redirect(url_for("web.billing", month=f"{month:%Y-%m}"))
    try:
        run = billing.close(session, month, at)
    except BillingError as exc:  # a race with the worker's run: its words
        flash(f"{month:%m/%Y} kann nicht abgeschlossen werden: {exc}")
        return redirect(url_for("web.billing", month=f"{month:%Y-%m}"))
    if not closed:
        access.audit("close month", f"month {month:%Y-%m}", lines=len(run.lines))
        session.commit()
    flash(f"{month:%m/%Y} war schon abgeschlossen: unverändert." if closed
          else f"{month:%m/%Y} abgeschlossen: {len(run.lines)} Posten abgerechnet.")  # fmt: skip
    return redirect(url_for("web.billing", month=f"{month:%Y-%m}"))


def _why_not(figures: billing.Overview) -> str:
    """Why the month-end run cannot close this month now, in the page's words."""
    month = f"{figures.month:%m/%Y}"
    if not figures.ended:
        return f"{month} ist noch nicht zu Ende und kann noch nicht abgerechnet werden."
    assert figures.first_open is not None
    if figures.first_open < figures.month:
        return (f"Monate werden der Reihe nach abgeschlossen: zuerst "
                f"{figures.first_open:%m/%Y}.")  # fmt: skip
    return (f"{month} liegt vor dem letzten abgeschlossenen Monat; was darin nicht abgerechnet "
            f"wurde, geht in {figures.first_open:%m/%Y} ein.")  # fmt: skip


@web.get("/billing/export")
@access.needs(Permission.BILLING)
def billing_export() -> ResponseReturnValue:
    """The CSV of a closed month, as `flask billing-export` writes it."""
    month = _month(request.args.get("month"))
    if month is None:
        return problem(400, "Ungültiger Monat", "Bitte einen Monat als JJJJ-MM angeben.")
    german = request.args.get("variant", "de") == "de"
    totals = request.args.get("totals") == "1"
    try:
        data = billing.export_csv(db.session(), month, german, totals)
    except BillingError:
        return problem(409, "Noch nicht abgeschlossen",
                       "Dieser Monat ist noch nicht abgerechnet: erst den Monatsabschluss "
                       "ausführen, dann die CSV-Datei laden.")  # fmt: skip
    name = f"abrechnung-{month:%Y-%m}{'-summen' if totals else ''}{'' if german else '-intl'}.csv"
    return Response(data, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


@web.post("/billing/status")
@access.needs(Permission.BILLING)
def send_status_emails() -> ResponseReturnValue:
    """Every customer's status e-mail now, as `flask status-emails` (once a day each)."""
    session = db.session()
    queued = reports.queue_status_emails(session, clock.now(), everyone=True)
    access.audit("queue status e-mails", None, queued=queued)
    session.commit()
    flash(f"{queued} Status-E-Mails in den Versand gegeben (heute schon verschickte nicht noch "
          "einmal).")  # fmt: skip
    return redirect(url_for("web.billing"))

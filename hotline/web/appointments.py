"""Displaced appointments: the dispatcher's queue, each with its suggested slots, and the four
decisions (keep, reassign, reschedule, cancel), each in at most two clicks.

A decision that writes to the customer (reschedule, cancel) shows the message first, composed by
the same `appointments.notice` that `tell_customer` sends, so the preview is what goes out. The
decisions are the services the `flask appointment ID ...` command calls.
"""

from __future__ import annotations

from datetime import datetime
from typing import NoReturn

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from escalation import wallclock
from escalation.access import Permission
from escalation.displacement import CANCELLED, RESCHEDULED
from hotline import appointments, db
from hotline.appointments import AppointmentError
from hotline.clock import now
from hotline.models import Appointment, Engineer
from hotline.web import access, problem, times, web

# An appointment's state as the page names it (escalation/displacement.py holds the states).
STATES = {
    "planned": "geplant",
    "at_risk": "gefährdet",
    "kept": "behalten",
    "reassigned": "umbesetzt",
    "rescheduled": "verschoben",
    "cancelled": "abgesagt",
}


def _bad(title: str, text: str) -> NoReturn:
    """A request the page cannot read: a German page that says what was wrong (400)."""
    abort(make_response(problem(400, title, text)))


def _appointment(appointment_id: int) -> Appointment:
    found = db.session().get(Appointment, appointment_id)
    if found is None:
        abort(404)
    return found


def _engineer(key: str | None, default: Engineer) -> Engineer:
    if not key:
        return default
    found = db.session().scalar(select(Engineer).where(Engineer.key == key))
    if found is None:
        _bad("Unbekannter Techniker", f"Einen Techniker „{key}“ gibt es nicht.")
    return found


def _start(text: str | None) -> datetime:
    """A time from the form: with an offset that instant, without one the provider's wall
    clock (what a datetime-local field sends)."""
    try:
        return wallclock.parse(text or "", times.zone())
    except (ValueError, OverflowError):
        _bad("Ungültige Zeit", "Bitte eine Zeit wie 2026-12-02T10:00 angeben.")


def _refused(error: AppointmentError) -> ResponseReturnValue:
    return problem(409, "Nicht möglich", f"Diese Entscheidung geht nicht: {error}")


def _stamp(at: datetime) -> str:
    """A slot's start for a link or a form: wall-clock time with its offset."""
    return times.local(at).isoformat(timespec="minutes")


@web.get("/appointments", endpoint="appointments")
@access.needs(Permission.APPOINTMENTS)
def appointments_page() -> str:
    session = db.session()
    at = now()
    waiting = [
        (w, appointments.suggestions(session, w.appointment, at),
         appointments.free_to_take(session, w.appointment, at))
        for w in appointments.queue(session)
    ]  # fmt: skip
    return render_template("appointments/queue.html", waiting=waiting, stamp=_stamp, now=at)


@web.post("/appointments/<int:appointment_id>/keep")
@access.needs(Permission.APPOINTMENTS)
def appointment_keep(appointment_id: int) -> ResponseReturnValue:
    session = db.session()
    found = _appointment(appointment_id)
    try:
        appointments.keep(session, found, now())
    except AppointmentError as exc:
        return _refused(exc)
    access.audit("keep appointment", f"appointment {found.id}")
    session.commit()
    flash(f"Termin #{found.id} bleibt bei {found.engineer.name}.")
    return redirect(url_for("web.appointments"))


@web.post("/appointments/<int:appointment_id>/reassign")
@access.needs(Permission.APPOINTMENTS)
def appointment_reassign(appointment_id: int) -> ResponseReturnValue:
    session = db.session()
    found = _appointment(appointment_id)
    engineer = _engineer(request.form.get("engineer") or "?", found.engineer)
    try:
        appointments.reassign(session, found, engineer, now())
    except AppointmentError as exc:
        return _refused(exc)
    access.audit("reassign appointment", f"appointment {found.id}", engineer=engineer.key)
    session.commit()
    flash(f"Termin #{found.id} übernimmt {engineer.name} zur selben Zeit.")
    return redirect(url_for("web.appointments"))


@web.route("/appointments/<int:appointment_id>/reschedule", methods=["GET", "POST"])
@access.needs(Permission.APPOINTMENTS)
def appointment_reschedule(appointment_id: int) -> ResponseReturnValue:
    """GET: the customer's message for the new time; POST: reschedule and send it."""
    session = db.session()
    found = _appointment(appointment_id)
    start = _start(request.values.get("start"))
    engineer = _engineer(request.values.get("engineer"), found.engineer)
    if request.method == "GET":
        told = appointments.notice(session, found, RESCHEDULED, start, engineer)
        end = start + (found.ends_at - found.starts_at)
        return render_template("appointments/preview.html", a=found, outcome=RESCHEDULED,
                               start=start, end=end, engineer=engineer, told=told,
                               stamp=_stamp, states=STATES)  # fmt: skip
    try:
        appointments.reschedule(session, found, start, now(), engineer)
    except AppointmentError as exc:
        return _refused(exc)
    access.audit("reschedule appointment", f"appointment {found.id}",
                 start=start.isoformat(), engineer=engineer.key)  # fmt: skip
    session.commit()
    flash(f"Termin #{found.id} verschoben auf {times.wall(start)} ({engineer.name}); "
          "der Kunde wird benachrichtigt.")  # fmt: skip
    return redirect(url_for("web.appointments"))


@web.route("/appointments/<int:appointment_id>/cancel", methods=["GET", "POST"])
@access.needs(Permission.APPOINTMENTS)
def appointment_cancel(appointment_id: int) -> ResponseReturnValue:
    """GET: the customer's message; POST: cancel and send it."""
    session = db.session()
    found = _appointment(appointment_id)
    if request.method == "GET":
        told = appointments.notice(session, found, CANCELLED)
        return render_template("appointments/preview.html", a=found, outcome=CANCELLED,
                               told=told, states=STATES)  # fmt: skip
    try:
        appointments.cancel(session, found, now())
    except AppointmentError as exc:
        return _refused(exc)
    access.audit("cancel appointment", f"appointment {found.id}")
    session.commit()
    flash(f"Termin #{found.id} abgesagt; der Kunde wird benachrichtigt.")
    return redirect(url_for("web.appointments"))

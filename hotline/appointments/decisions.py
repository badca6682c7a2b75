"""The dispatcher's decisions on an appointment at risk: keep, reassign, reschedule, cancel;
each refused with the reason when the engineer is not free then."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from escalation import displacement as rule
from escalation import wallclock
from escalation.displacement import AT_RISK, CANCELLED, Window
from escalation.slots import Interval, overlaps
from hotline.appointments.displacement import expected, undecided
from hotline.appointments.notices import tell_customer
from hotline.appointments.plan import AppointmentError, planning
from hotline.models import (
    Absence,
    Appointment,
    Engineer,
    Ticket,
)


def keep(session: Session, appointment: Appointment, now: datetime) -> None:
    """The engineer will make it after all."""
    if appointment.status != AT_RISK:
        raise AppointmentError(f"appointment {appointment.id} is {appointment.status}, not at risk")
    _decide(session, appointment, rule.KEPT, now)


def reassign(session: Session, appointment: Appointment, engineer: Engineer, now: datetime) -> None:
    """Same time, another engineer; the customer keeps the appointment."""
    _live(appointment)
    if engineer.id == appointment.engineer_id:
        raise AppointmentError(f"appointment {appointment.id} is already {engineer.key}'s")
    _free(session, engineer, (appointment.starts_at, appointment.ends_at), appointment, now)
    appointment.engineer = engineer
    _decide(session, appointment, rule.REASSIGNED, now)


def reschedule(
    session: Session,
    appointment: Appointment,
    start: datetime,
    now: datetime,
    engineer: Engineer | None = None,
) -> None:
    """A new time (and perhaps another engineer), same length; the customer is told."""
    _live(appointment)
    engineer = engineer or appointment.engineer
    slot = (start, start + (appointment.ends_at - appointment.starts_at))
    _free(session, engineer, slot, appointment, now)
    if appointment.original_starts_at is None:
        appointment.original_starts_at = appointment.starts_at
        appointment.original_ends_at = appointment.ends_at
    appointment.engineer = engineer
    appointment.starts_at, appointment.ends_at = slot
    _decide(session, appointment, rule.RESCHEDULED, now)
    tell_customer(session, appointment, rule.RESCHEDULED, now)


def cancel(session: Session, appointment: Appointment, now: datetime) -> None:
    _live(appointment)
    _decide(session, appointment, rule.CANCELLED, now)
    tell_customer(session, appointment, rule.CANCELLED, now)


def _live(appointment: Appointment) -> None:
    if appointment.status == CANCELLED:
        raise AppointmentError(f"appointment {appointment.id} is cancelled")


def _decide(session: Session, appointment: Appointment, outcome: str, now: datetime) -> None:
    """The decision closes every displacement waiting on it: it is the §2 evidence."""
    for displacement in undecided(session, appointment.id):
        displacement.outcome, displacement.decided_at = outcome, now
    appointment.status = outcome


def _free(
    session: Session, engineer: Engineer, slot: Interval, appointment: Appointment, now: datetime
) -> None:
    clash = [b for b in busy(session, engineer, now, appointment) if overlaps(b, slot)]
    if clash:
        zone = planning(session).zone
        start, end = (wallclock.local(at, zone) for at in clash[0])
        raise AppointmentError(
            f"{engineer.key} is busy then ({start:%a %d.%m.%Y %H:%M} - {end:%a %d.%m.%Y %H:%M})"
        )


def busy(
    session: Session, engineer: Engineer, now: datetime, leave_out: Appointment | None = None
) -> list[Interval]:
    """An engineer's booked time from now: live appointments, open emergencies, absences.

    For an on-site appointment (`leave_out`, the one being moved) an open emergency also
    blocks the travel time after it.
    """
    appointments = session.scalars(
        select(Appointment).where(
            Appointment.engineer_id == engineer.id,
            Appointment.status != CANCELLED,
            Appointment.ends_at > now,
            Appointment.id != (leave_out.id if leave_out else -1),
        )
    )
    intervals = [(a.starts_at, a.ends_at) for a in appointments]
    for ticket in session.scalars(
        select(Ticket).where(Ticket.accepted_by_id == engineer.id, Ticket.resolved_at.is_(None))
    ):
        assert ticket.accepted_at is not None
        window = Window.of(ticket.accepted_at, expected(session, ticket.customer), None)
        travel = planning(session).travel if leave_out and leave_out.onsite else timedelta()
        intervals.append((window.start, max(window.end, now) + travel))
    absences = session.scalars(
        select(Absence).where(Absence.engineer_id == engineer.id, Absence.ends_at > now)
    )
    intervals += [(a.starts_at, a.ends_at) for a in absences]
    return intervals

"""Suggested slots for an appointment at risk: the same engineer first, then the team's other
consultants, inside working hours, never on a holiday, never overlapping."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from escalation.slots import free_slots, overlaps
from hotline.appointments.decisions import busy
from hotline.appointments.plan import planning
from hotline.models import (
    Appointment,
    Engineer,
)


@dataclass(frozen=True)
class Suggestion:
    engineer: Engineer
    starts_at: datetime
    ends_at: datetime


def suggestions(
    session: Session, appointment: Appointment, now: datetime, per_engineer: int = 3
) -> list[Suggestion]:
    """The earliest free slots of the same engineer, then of the customer's team's other
    consultants, inside working hours and never on a public holiday (of the customer's team's
    holiday region, else the provider's)."""
    settings = planning(session)
    team = appointment.customer.team if appointment.customer else None
    days_off = settings.holidays(team.holiday_region if team else None)
    duration = appointment.ends_at - appointment.starts_at
    found: list[Suggestion] = []
    for engineer in _candidates(session, appointment):
        slots = free_slots(
            busy(session, engineer, now, appointment), duration, now, settings.zone,
            settings.hours, days_off, step=settings.step,
        )  # fmt: skip
        for _, (start, end) in zip(range(per_engineer), slots, strict=False):
            found.append(Suggestion(engineer, start, end))
    return found


def _candidates(session: Session, appointment: Appointment) -> list[Engineer]:
    team_id = appointment.customer.team_id if appointment.customer else None
    others: Iterable[Engineer] = ()
    if team_id is not None:
        others = session.scalars(
            select(Engineer)
            .where(
                Engineer.team_id == team_id,
                Engineer.role == "consultant",
                Engineer.active.is_(True),
                Engineer.id != appointment.engineer_id,
            )
            .order_by(Engineer.key)
        )
    return [appointment.engineer, *others]


def free_to_take(session: Session, appointment: Appointment, now: datetime) -> list[Engineer]:
    """The customer's team's other consultants free at the appointment's time: whom it can be
    reassigned to without a clash (`reassign` checks again)."""
    slot = (appointment.starts_at, appointment.ends_at)
    return [
        engineer
        for engineer in _candidates(session, appointment)[1:]
        if not any(overlaps(b, slot) for b in busy(session, engineer, now, appointment))
    ]

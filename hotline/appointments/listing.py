"""Appointments as the dispatcher and the engineer see them: a listing, and the queue of
decisions waiting, oldest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from escalation.displacement import AT_RISK
from hotline.models import (
    Appointment,
    Displacement,
    Engineer,
    Ticket,
)


def listing(
    session: Session,
    since: datetime | None = None,
    engineer: Engineer | None = None,
    status: str | None = None,
) -> list[Appointment]:
    """At risk first (they need a decision), then by start."""
    query = select(Appointment)
    if since is not None:
        query = query.where(Appointment.ends_at > since)
    if engineer is not None:
        query = query.where(Appointment.engineer_id == engineer.id)
    if status is not None:
        query = query.where(Appointment.status == status)
    found = session.scalars(query).all()
    return sorted(found, key=lambda a: (a.status != AT_RISK, a.starts_at, a.id))


def as_dict(appointment: Appointment, zone: ZoneInfo) -> dict[str, Any]:
    a = appointment
    return {
        "id": a.id,
        "key": a.key,
        "engineer": a.engineer.key,
        "customer": a.customer.number if a.customer else None,
        "customer_name": a.customer.name if a.customer else None,
        "start": a.starts_at.astimezone(zone).isoformat(),
        "end": a.ends_at.astimezone(zone).isoformat(),
        "title": a.title,
        "onsite": a.onsite,
        "status": a.status,
        "original_start": a.original_starts_at.astimezone(zone).isoformat()
        if a.original_starts_at
        else None,
    }


@dataclass(frozen=True)
class Waiting:
    """An appointment at risk and how long its decision has waited."""

    appointment: Appointment
    since: datetime  # when the first emergency still waiting on it put it at risk
    tickets: tuple[Ticket, ...]  # the emergencies that put it at risk


def queue(session: Session) -> list[Waiting]:
    """The appointments waiting for the dispatcher, the decision that has waited longest first
    (then by start): the page's queue, so nothing sits at the bottom for days."""
    rows = session.execute(
        select(Displacement, Appointment)
        .join(Appointment, Appointment.id == Displacement.appointment_id)
        .where(
            Appointment.status == AT_RISK,
            Displacement.outcome.is_(None),
            Displacement.released_at.is_(None),
        )
        .order_by(Displacement.created_at, Displacement.id)
    ).tuples()
    found: dict[int, Waiting] = {}
    for displacement, appointment in rows:
        known = found.get(appointment.id)
        since = known.since if known else displacement.created_at
        tickets = (*known.tickets, displacement.ticket) if known else (displacement.ticket,)
        found[appointment.id] = Waiting(appointment, since, tickets)
    return sorted(
        found.values(), key=lambda w: (w.since, w.appointment.starts_at, w.appointment.id)
    )

"""The displacement check (the worker's job): an accepted emergency puts the engineer's
appointments it makes impossible at risk, and the dispatcher is told."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from escalation import displacement as rule
from escalation.displacement import AT_RISK, CANCELLED, PLANNED, Window
from hotline import links, texts, tickets
from hotline.appointments.plan import planning
from hotline.models import (
    Appointment,
    Customer,
    Displacement,
    Ticket,
)


def expected(session: Session, customer: Customer | None) -> timedelta:
    """How long an emergency of `customer` is expected to take: its contract's
    `emergency_minutes`, else the provider's. The one duration both the displacement check and
    the chain's `fewest-displaced` order use."""
    contract = customer.contract if customer else None
    if contract is not None and contract.emergency_minutes:
        return timedelta(minutes=contract.emergency_minutes)
    return planning(session).emergency


def check_displacements(session: Session, now: datetime) -> int:
    """The worker's job: put the appointments of newly accepted emergencies at risk.

    Each ticket is claimed by a conditional UPDATE, so two workers never check it twice.
    Returns how many tickets were checked; commits.
    """
    ids = session.scalars(
        select(Ticket.id).where(
            Ticket.accepted_at.is_not(None), Ticket.displacement_checked_at.is_(None)
        )
    ).all()
    checked = 0
    for ticket_id in ids:
        claimed = session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.displacement_checked_at.is_(None))
            .values(displacement_checked_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            continue
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        session.refresh(ticket)
        added, _ = displace(session, ticket, now)
        if added:
            _tell_dispatcher(session, ticket, added, [], f"displaced:{ticket.id}")
        session.commit()
        checked += 1
    return checked


def recheck(session: Session, ticket: Ticket, now: datetime) -> None:
    """After resolution: the real duration decides; appointments that turned out fine return."""
    if ticket.displacement_checked_at is None:
        return  # the worker's first check will use the real duration
    added, released = displace(session, ticket, now)
    if added or released:
        key = f"displaced:{ticket.id}:resolved:{now.isoformat()}"  # a corrected resolution too
        _tell_dispatcher(session, ticket, added, released, key)


def displace(
    session: Session, ticket: Ticket, now: datetime
) -> tuple[list[Appointment], list[Appointment]]:
    """Bring the ticket's displacements in line with its window: (newly at risk, released)."""
    if ticket.accepted_at is None or ticket.accepted_by_id is None:
        return [], []
    settings = planning(session)
    window = Window.of(ticket.accepted_at, expected(session, ticket.customer), ticket.resolved_at)
    candidates = session.scalars(
        select(Appointment).where(
            Appointment.engineer_id == ticket.accepted_by_id,
            Appointment.status != CANCELLED,
            Appointment.starts_at < window.end + settings.travel,
            Appointment.ends_at > window.start,
        )
    ).all()
    hit = set(rule.at_risk(map(_as_rule, candidates), window, settings.travel))
    known = {
        d.appointment_id: d
        for d in session.scalars(select(Displacement).where(Displacement.ticket_id == ticket.id))
    }
    added: list[Appointment] = []
    for appointment in candidates:
        if appointment.id not in hit:
            continue
        displacement = known.get(appointment.id)
        if displacement is None:
            session.add(Displacement(appointment=appointment, ticket=ticket, created_at=now))
        elif displacement.released_at is not None and displacement.outcome is None:
            displacement.released_at = None
        else:
            continue
        appointment.status = AT_RISK
        added.append(appointment)
        _event(session, ticket, now, "appointment at risk", appointment)
    released: list[Appointment] = []
    for displacement in known.values():
        if displacement.appointment_id in hit or displacement.outcome or displacement.released_at:
            continue
        displacement.released_at = now
        session.flush()
        if not undecided(session, displacement.appointment_id):
            displacement.appointment.status = PLANNED
        released.append(displacement.appointment)
        _event(session, ticket, now, "appointment released", displacement.appointment)
    return added, released


def _as_rule(a: Appointment) -> rule.Appointment:
    return rule.Appointment(a.id, a.starts_at, a.ends_at, a.onsite, a.status)


def undecided(session: Session, appointment_id: int) -> list[Displacement]:
    """The displacements still waiting for a decision on this appointment."""
    return list(
        session.scalars(
            select(Displacement).where(
                Displacement.appointment_id == appointment_id,
                Displacement.outcome.is_(None),
                Displacement.released_at.is_(None),
            )
        )
    )


def _event(session: Session, ticket: Ticket, at: datetime, kind: str, a: Appointment) -> None:
    tickets.log(
        session, ticket, at, kind, appointment=a.id, key=a.key, start=a.starts_at.isoformat()
    )


def _tell_dispatcher(
    session: Session,
    ticket: Ticket,
    added: Sequence[Appointment],
    released: Sequence[Appointment],
    key: str,
) -> None:
    from hotline import notify

    settings = planning(session)
    if not settings.dispatcher:
        return
    mail = texts.email(
        "displaced", ticket=ticket, added=added, released=released, zone=settings.zone,
        page=links.public("web.appointments"),
    )  # fmt: skip
    notify.enqueue_email(
        session, settings.dispatcher, mail.subject, mail.text, key, ticket_id=ticket.id
    )

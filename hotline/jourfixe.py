"""A customer's JourFixe as the database keeps it: the rhythm (escalation/jourfixe.py), the
project lead who sends its status e-mail, the recipients, and the open requests it reports.

One status e-mail per JourFixe: its outbox key names the occurrence (`key`), so the worker, a
second worker and the "send now" button can all try, and only the first queues it. A day the
JourFixe does not take place (cancelled here, or a public holiday of the customer's team) is no
occurrence of its rhythm.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from escalation import regions
from escalation.callflow import State
from escalation.jourfixe import CATCH_UP, Rhythm
from hotline import clock
from hotline.models import CancelledJourFixe, Customer, Engineer, Message, Provider, Ticket

AHEAD = 4  # occurrences looked at for the next e-mail (a lead may have sent early)


def rhythm(customer: Customer) -> Rhythm | None:
    j = customer.jourfixe
    if j is None:
        return None
    off = Off(frozenset(c.day for c in customer.cancelled_jourfixes), holidays(customer))
    return Rhythm(j.weekday, time.fromisoformat(j.at), j.start, j.every_weeks, j.minutes, off)


@dataclass(frozen=True)
class Off:
    """The days a customer's JourFixe does not take place: cancelled, or a public holiday."""

    cancelled: frozenset[date]
    holidays: regions.Holidays

    def __contains__(self, day: object) -> bool:
        return day in self.cancelled or day in self.holidays


def holidays(customer: Customer) -> regions.Holidays:
    """The public holidays of the customer's team (its region, else the provider's)."""
    session = object_session(customer)
    provider = Provider.one(session) if session is not None else None
    team = customer.team.holiday_region if customer.team else None
    return regions.Holidays(team or (provider.holiday_region if provider else regions.DEFAULT))


REFUSALS = {
    "no day": "{day} ist kein Tag des JourFixe-Rhythmus.",
    "reported": "Die Status-E-Mail zum JourFixe am {day} ist schon in der Ausgangspost.",
    "over": "Der JourFixe am {day} ist schon vorbei.",
}


def cancel(session: Session, customer: Customer, day: date, by: str, now: datetime) -> str | None:
    """The JourFixe of `day` does not take place: no status e-mail for it. Returns why it
    cannot be, in words (None: done, or it was cancelled already)."""
    found, zone = rhythm(customer), clock.zone(session)
    if found is None:
        return REFUSALS["no day"].format(day=f"{day:%d.%m.%Y}")
    start = found.begins(day, zone)
    reported = start is not None and queued(session, customer, start) is not None
    refusal = found.refuses_cancel(day, now, zone, reported)
    if refusal is not None:
        return REFUSALS[refusal].format(day=f"{day:%d.%m.%Y}")
    if day not in {c.day for c in customer.cancelled_jourfixes}:
        customer.cancelled_jourfixes.append(CancelledJourFixe(day=day, by=by[:64], at=now))
    return None


@dataclass(frozen=True)
class Day:
    """A coming day of the rhythm as the JourFixe page lists it."""

    day: date
    start: datetime
    cancelled: CancelledJourFixe | None
    holiday: bool
    reported: bool  # its status e-mail is in the outbox


def upcoming(session: Session, customer: Customer, now: datetime, count: int = 6) -> list[Day]:
    """The rhythm's next `count` days from the one going on now, off or not."""
    found = rhythm(customer)
    if found is None:
        return []
    zone, cancelled = clock.zone(session), {c.day: c for c in customer.cancelled_jourfixes}
    since, off = now - timedelta(minutes=found.minutes), holidays(customer)  # one going on: listed
    return [
        Day(day, start, cancelled.get(day), day in off,
            reported=queued(session, customer, start) is not None)
        for day in found.days(since, count, zone)
        if (start := found.begins(day, zone)) is not None
    ]  # fmt: skip


def reinstate(customer: Customer, day: date) -> bool:
    """The JourFixe of `day` takes place after all. False: it was not cancelled."""
    found = next((c for c in customer.cancelled_jourfixes if c.day == day), None)
    if found is not None:
        customer.cancelled_jourfixes.remove(found)
    return found is not None


def lead(customer: Customer) -> Engineer | None:
    """Who sends the status e-mail: the customer's project lead, else the team's."""
    if customer.project_lead is not None:
        return customer.project_lead
    return customer.team.project_lead if customer.team else None


def recipients(customer: Customer) -> list[str]:
    """Where the status e-mail goes: the listed recipients, else the customer's address."""
    return list(customer.status_recipients or ([customer.email] if customer.email else []))


def key(customer: Customer, occurrence: datetime) -> str:
    """The outbox key of the status e-mail of one JourFixe: queued once, by whoever is first."""
    return f"status:{customer.number}:jourfixe:{occurrence.astimezone(UTC):%Y-%m-%dT%H:%MZ}"


def queued(session: Session, customer: Customer, occurrence: datetime) -> Message | None:
    return session.scalar(select(Message).where(Message.dedupe_key == key(customer, occurrence)))


def target(session: Session, customer: Customer, now: datetime) -> datetime | None:
    """The JourFixe the customer's next status e-mail reports: the last one, while it is on or
    has ended within `CATCH_UP` and its e-mail is not queued; else the first one ahead whose
    e-mail is not queued (a project lead may have sent it early). None without a rhythm."""
    found = rhythm(customer)
    if found is None:
        return None
    zone = clock.zone(session)
    last = found.latest(now, zone)
    candidates = [last] if last is not None and now - found.end(last) <= CATCH_UP else []
    ahead = found.following(now, zone)
    for _ in range(AHEAD):
        candidates.append(ahead)
        ahead = found.following(ahead, zone)
    return next((at for at in candidates if queued(session, customer, at) is None), ahead)


# --- what the status e-mail reports -----------------------------------------------------------

OPEN = (State.URGENT, State.CALLBACK_PENDING)  # tickets the customer waits on us for


@dataclass(frozen=True)
class Request:
    """An open request of the customer: what it is (`kind`), since when, its reference."""

    reference: str
    kind: str  # urgent | callback (the e-mail's words)
    since: datetime


def open_requests(session: Session, customer: Customer, now: datetime) -> list[Request]:
    """The customer's open requests: urgent requests (pressed 3) and voicemails not yet
    resolved. The one source of the status e-mail's list; a ticket system's open tickets
    belong here too."""
    found = session.scalars(
        select(Ticket)
        .where(
            Ticket.customer_id == customer.id,
            Ticket.resolved_at.is_(None),
            Ticket.state.in_(OPEN),
            Ticket.arrived_at <= now,
        )
        .order_by(Ticket.arrived_at, Ticket.id)
    ).all()
    return [
        Request(f"#{t.id}", "urgent" if t.state == State.URGENT else "callback", t.arrived_at)
        for t in found
    ]


# --- the JourFixe page ---------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """One customer's JourFixe as the page lists it."""

    customer: Customer
    rhythm: Rhythm | None
    last: datetime | None
    next: datetime | None
    target: datetime | None  # the JourFixe the next status e-mail reports
    lead: Engineer | None
    recipients: list[str]
    gl: datetime | None  # the next GL-JourFixe


def plans(session: Session, now: datetime) -> list[Plan]:
    zone = clock.zone(session)
    found = []
    for c in session.scalars(select(Customer).order_by(Customer.number)):
        r = rhythm(c)
        found.append(
            Plan(
                c, r, r.latest(now, zone) if r else None, r.following(now, zone) if r else None,
                target(session, c, now), lead(c), recipients(c),
                next((g.at for g in c.gl_jourfixes if g.at >= now), None),
            )
        )  # fmt: skip
    return found


def sent(session: Session, customer: Customer, limit: int = 5) -> list[Message]:
    """The customer's latest status e-mails in the outbox, newest first."""
    return list(
        session.scalars(
            select(Message)
            .where(Message.dedupe_key.startswith(f"status:{customer.number}:"))
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(limit)
        )
    )

"""Tickets: the list with filters, one ticket with its chain, attempts and timeline, and the
work after the call (a note, the work minutes that resolve it, the customer of an unidentified
caller). An engineer's token sees the tickets whose frozen chain held them, the office all."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field
from sqlalchemy import Select, select

from escalation.access import Permission
from escalation.callflow import State
from hotline import billing, clock, db
from hotline.api.oncall import ChainEntry, ChainSkip, chain_answer
from hotline.api.operation import operation
from hotline.api.problems import FieldError, Refused
from hotline.api.types import TIME_HELP, Answer, Body, Instant, Key, Number, Query, Text, shown
from hotline.models import Customer, Engineer, Ticket
from hotline.tickets import work
from hotline.web import access
from hotline.web.access import Who

LARGEST_PAGE = 200


class Party(Answer):
    """A customer or an engineer, by key and name."""

    key: str = Field(description="the customer number or the engineer's key")
    name: str


class TicketSummary(Answer):
    id: int
    state: State = Field(description="where the call is or ended")
    resolved: bool = Field(description="the emergency was resolved (work minutes logged)")
    arrived_at: datetime
    customer: Party | None = Field(description="null: the caller was not identified")
    accepted_by: Party | None = Field(description="the engineer who pressed 1")
    caller: str | None = Field(
        description="the caller's number, E.164 (null: withheld, or not for this token's role)"
    )
    voicemail_seconds: int | None = Field(description="the caller left a message this long")
    resolved_at: datetime | None


class TicketList(Answer):
    tickets: list[TicketSummary] = Field(description="newest first")
    next_before: int | None = Field(
        description="pass as `before` for the next page; null: this was the last"
    )


class Attempt(Answer):
    seq: int
    level: str
    engineer: str | None
    number: str
    outcome: str = Field(
        description="ringing, accepted, declined, no-answer, busy, failed, not-accepted, cancelled"
    )
    started_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    talk_seconds: int | None


class Event(Answer):
    at: datetime
    event: str = Field(description="what happened, e.g. `accepted`, `note added`")
    detail: dict[str, Any] | None = Field(description="the event's particulars")


class TicketDetail(TicketSummary):
    identified_by: str | None = Field(description="number, block, keypad, pin or assigned")
    confirmed_at: datetime | None
    accepted_at: datetime | None
    acknowledged_at: datetime | None = Field(description="the call-back was taken")
    ended_at: datetime | None
    call_seconds: int | None
    bridged_seconds: int | None
    work_minutes: int
    notes: str | None = Field(description="null: none, or not for this token's role")
    surcharge_waived: str | None = Field(description="the reason a project lead waived it")
    chain: list[ChainEntry] = Field(description="frozen when the emergency was confirmed")
    chain_skipped: list[ChainSkip]
    attempts: list[Attempt]
    timeline: list[Event]


class TicketQuery(Query):
    state: State | None = Field(None, description="only tickets in this state")
    resolved: bool | None = Field(None, description="only resolved (true) or open (false) ones")
    customer: Number | None = Field(None, description="only this customer's (its number)")
    engineer: Key | None = Field(None, description="only those this engineer accepted")
    since: Instant | None = Field(
        None, alias="from", description=f"arrived then or later; {TIME_HELP}"
    )
    until: Instant | None = Field(None, description=f"arrived before then; {TIME_HELP}")
    before: int | None = Field(
        None, ge=1, le=2**31 - 1, description="only tickets with a smaller id (the next page)"
    )
    limit: int = Field(50, ge=1, le=LARGEST_PAGE, description="at most this many")


class Note(Body):
    text: Text(work.LONGEST_NOTE) = Field(description="what was done or found")


class Resolution(Body):
    work_minutes: int = Field(ge=0, le=100_000, description="work after the call, in minutes")
    notes: Text(work.LONGEST_NOTE) | None = Field(None, description="what was done")


class Assignment(Body):
    customer: Number = Field(description="the customer number of the caller")


# --- reading --------------------------------------------------------------------------------


def _shown(at: datetime | None, zone: ZoneInfo) -> datetime | None:
    return shown(at, zone) if at else None


def _party(key: str, name: str) -> Party:
    return Party(key=key, name=name)


def summary(ticket: Ticket, who: Who, zone: ZoneInfo) -> dict[str, Any]:
    customer, engineer = ticket.customer, ticket.accepted_by
    return {
        "id": ticket.id,
        "state": ticket.state,
        "resolved": ticket.resolved_at is not None,
        "arrived_at": shown(ticket.arrived_at, zone),
        "customer": _party(customer.number, customer.name) if customer else None,
        "accepted_by": _party(engineer.key, engineer.name) if engineer else None,
        "caller": ticket.from_number if who.may(Permission.CALLER_DATA) else None,
        "voicemail_seconds": ticket.voicemail_seconds,
        "resolved_at": _shown(ticket.resolved_at, zone),
    }


def detail(ticket: Ticket, who: Who, zone: ZoneInfo) -> TicketDetail:
    private = who.may(Permission.CALLER_DATA)
    entries, skipped = chain_answer(ticket.frozen_chain())
    return TicketDetail(
        **summary(ticket, who, zone),
        identified_by=ticket.identified_by,
        confirmed_at=_shown(ticket.confirmed_at, zone),
        accepted_at=_shown(ticket.accepted_at, zone),
        acknowledged_at=_shown(ticket.acknowledged_at, zone),
        ended_at=_shown(ticket.ended_at, zone),
        call_seconds=ticket.call_seconds,
        bridged_seconds=ticket.bridged_seconds,
        work_minutes=ticket.work_minutes,
        notes=ticket.notes if private else None,
        surcharge_waived=ticket.surcharge_waived_reason,
        chain=entries,
        chain_skipped=skipped,
        attempts=[
            Attempt(
                seq=a.seq,
                level=a.level,
                engineer=a.engineer.key if a.engineer else None,
                number=a.number,
                outcome=a.outcome,
                started_at=shown(a.started_at, zone),
                answered_at=_shown(a.answered_at, zone),
                ended_at=_shown(a.ended_at, zone),
                talk_seconds=a.talk_seconds,
            )
            for a in ticket.attempts
        ],
        timeline=[
            Event(at=shown(e.at, zone), event=e.kind, detail=e.detail if private else None)
            for e in ticket.events
        ],
    )


def _chain(ticket: Ticket) -> list[str | None]:
    return [e.engineer for e in ticket.frozen_chain().entries]


def _visible(query: Select[tuple[Ticket]], who: Who, limit: int) -> list[Ticket]:
    """The tickets of `query` (newest first) that `who` sees, at most `limit` + 1 (to know
    whether there is a next page). An engineer sees those whose frozen chain held them: the
    chain is JSON, so that is decided here, ticket by ticket, by escalation/access.py."""
    found: list[Ticket] = []
    result = db.session().scalars(query.execution_options(yield_per=100))
    try:
        for ticket in result:
            if who.sees(ticket.id, _chain(ticket)):
                found.append(ticket)
                if len(found) > limit:
                    break
    finally:
        result.close()
    return found


def _ticket(ticket_id: int, who: Who) -> Ticket:
    ticket = db.session().get(Ticket, ticket_id)
    if ticket is None:
        raise Refused(404, f"There is no ticket {ticket_id}.")
    if not who.sees(ticket.id, _chain(ticket)):
        raise Refused(403, f"Ticket {ticket_id} is not one of this token's tickets.")
    return ticket


@operation("GET", "/tickets", tag="tickets", permission=None, query=TicketQuery, answer=TicketList)
def tickets(who: Who, query: TicketQuery) -> TicketList:
    """The emergency tickets, newest first, with filters

    An engineer's token lists the tickets whose chain held the engineer; the office's tokens
    list every ticket. Page with `before` (the answer's `next_before`).
    """
    session = db.session()
    zone = clock.zone(session)
    chosen = select(Ticket).order_by(Ticket.id.desc())
    if query.state is not None:
        chosen = chosen.where(Ticket.state == query.state)
    if query.resolved is not None:
        resolved = Ticket.resolved_at.is_not(None)
        chosen = chosen.where(resolved if query.resolved else ~resolved)
    if query.customer is not None:
        chosen = chosen.join(Customer, Customer.id == Ticket.customer_id).where(
            Customer.number == query.customer
        )
    if query.engineer is not None:
        chosen = chosen.join(Engineer, Engineer.id == Ticket.accepted_by_id).where(
            Engineer.key == query.engineer
        )
    if query.since is not None:
        chosen = chosen.where(Ticket.arrived_at >= query.since)
    if query.until is not None:
        chosen = chosen.where(Ticket.arrived_at < query.until)
    if query.before is not None:
        chosen = chosen.where(Ticket.id < query.before)
    found = _visible(chosen, who, query.limit)
    page = found[: query.limit]
    return TicketList(
        tickets=[TicketSummary(**summary(t, who, zone)) for t in page],
        next_before=page[-1].id if len(found) > query.limit else None,
    )


@operation(
    "GET",
    "/tickets/<id:ticket_id>",
    tag="tickets",
    permission=None,
    answer=TicketDetail,
    errors=(403,),
)
def ticket(who: Who, ticket_id: int) -> TicketDetail:
    """One ticket with its frozen chain, the attempts and the timeline"""
    found = _ticket(ticket_id, who)
    return detail(found, who, clock.zone(db.session()))


def _worked(ticket_id: int, who: Who, change: str, **audit: Any) -> TicketDetail:
    """Commit a change to a ticket under the token's name, and answer with the ticket."""
    session = db.session()
    access.audit(change, f"ticket {ticket_id}", **audit)
    session.commit()
    found = session.get(Ticket, ticket_id)
    assert found is not None
    return detail(found, who, clock.zone(session))


@operation(
    "POST",
    "/tickets/<id:ticket_id>/notes",
    tag="tickets",
    permission=Permission.WORK_TICKET,
    body=Note,
    answer=TicketDetail,
    status=201,
    errors=(409,),
)
def add_note(who: Who, ticket_id: int, body: Note) -> TicketDetail:
    """Add a note to a ticket

    Appended to the ticket's notes; the timeline records who added one and when.
    """
    found = _ticket(ticket_id, who)
    try:
        work.add_note(db.session(), found, body.text, who.name, clock.now())
    except work.TicketError as exc:
        raise Refused(409, str(exc)) from None
    return _worked(ticket_id, who, "add note")


@operation(
    "POST",
    "/tickets/<id:ticket_id>/resolve",
    tag="tickets",
    permission=Permission.WORK_TICKET,
    body=Resolution,
    answer=TicketDetail,
    errors=(409,),
)
def resolve(who: Who, ticket_id: int, body: Resolution) -> TicketDetail:
    """Resolve an emergency with the work minutes after the call

    Its real duration settles the appointments it put at risk, and it is billed in the next
    month-end run. A ticket never accepted, or billed in a closed month, is a conflict (409).
    """
    found = _ticket(ticket_id, who)
    try:
        billing.resolve(db.session(), found, clock.now(), body.work_minutes, body.notes)
    except billing.BillingError as exc:
        raise Refused(409, str(exc)) from None
    return _worked(ticket_id, who, "resolve ticket", work_minutes=body.work_minutes)


@operation(
    "POST",
    "/tickets/<id:ticket_id>/customer",
    tag="tickets",
    permission=Permission.WORK_TICKET,
    body=Assignment,
    answer=TicketDetail,
    errors=(409,),
)
def assign_customer(who: Who, ticket_id: int, body: Assignment) -> TicketDetail:
    """Assign the customer of an unidentified caller, so the emergency can be billed

    A ticket that already has its customer keeps it (409).
    """
    session = db.session()
    found = _ticket(ticket_id, who)
    customer = session.scalar(select(Customer).where(Customer.number == body.customer))
    if customer is None:
        raise Refused(
            422,
            f"There is no customer {body.customer!r}.",
            [FieldError(loc=["body", "customer"], msg="no such customer")],
        )
    try:
        work.assign_customer(session, found, customer, who.name, clock.now())
    except work.TicketError as exc:
        raise Refused(409, str(exc)) from None
    return _worked(ticket_id, who, "assign customer", customer=customer.number)

"""The voice re-page of a voicemail nobody took: the worker's check and each re-page call's end.

Loads a waiting voicemail into `escalation.repage.Waiting`, asks `decide`, and applies it: the
phones to ring are claimed (an engineer is rung for one emergency at a time, hotline/calls.py)
and placed through the dialer (REST, after the commit, never inside a voice request), the
timeline says who was rung in which round, and a re-page that ran out says so once. The calls'
own webhooks are in hotline/voice/repage.py; taking the call-back (by this call, by SMS, on the
ticket page) stops the calls still ringing (`taken`).

Needs a Twilio account (the REST API places the calls); without one only the SMS reminders run.
HOTLINE_REPAGE_MINUTES (0: off) and HOTLINE_REPAGE_ROUNDS shape it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from escalation import callflow, repage
from escalation.callflow import Kind, State
from hotline import calls, dialer, roster, tickets
from hotline.models import Engineer, Leg, Ticket

REPAGE = "repage"  # the dialer's purpose of a re-page call
ENDPOINT = "repage"  # the voice handler its TwiML comes from (hotline/voice/repage.py)
# An engineer being re-paged is held for this ticket a little longer than the phone rings: the
# menu, the recording, and the way back of the status callback.
MENU = timedelta(minutes=3)


def rules() -> repage.Rules:
    config = current_app.config
    return repage.Rules(timedelta(minutes=int(config["HOTLINE_REPAGE_MINUTES"])),
                        int(config["HOTLINE_REPAGE_ROUNDS"]))  # fmt: skip


def on() -> bool:
    """Re-paging runs with a Twilio account and HOTLINE_REPAGE_MINUTES above 0."""
    return dialer.available() and int(current_app.config["HOTLINE_REPAGE_MINUTES"]) > 0


# --- load ------------------------------------------------------------------------------------


def left_at(ticket: Ticket) -> datetime:
    """When the voicemail was left: the end of the call that left it."""
    return ticket.ended_at or ticket.arrived_at


def entries(session: Session, ticket: Ticket) -> tuple[repage.Target, ...]:
    """The chain's phones: the frozen chain, or the chain as it stood when the call came in
    (a call that fell to the fallback before its chain was frozen), as the SMS went."""
    chain = ticket.frozen_chain().entries
    if not chain:
        chain = roster.chain_for(session, ticket.customer, ticket.arrived_at).entries
    return repage.targets(chain)


def lead(session: Session, ticket: Ticket) -> tuple[repage.Target, ...]:
    team = ticket.customer.team if ticket.customer else None
    if team is None or team.project_lead is None:
        return ()
    person = roster.people(session).get(team.project_lead.key)
    return repage.lead(person, int(current_app.config["HOTLINE_RING_TIMEOUT"]))


def waiting(session: Session, ticket: Ticket, now: datetime) -> repage.Waiting:
    busy = session.scalars(
        select(Engineer.key).where(
            Engineer.busy_ticket_id.is_not(None), Engineer.busy_ticket_id != ticket.id,
            Engineer.busy_until > now,
        )
    ).all()  # fmt: skip
    return repage.Waiting(
        left_at=left_at(ticket),
        taken=ticket.acknowledged_at is not None,
        closed=ticket.resolved_at is not None or ticket.state != State.CALLBACK_PENDING,
        chain=entries(session, ticket),
        lead=lead(session, ticket),
        paged=tuple(
            repage.Paged(
                leg.repage_round or 0,
                leg.chain_entry or 0,
                leg.to_number,
                leg.created_at,
                leg.ended_at,
            )
            for leg in ticket.legs
            if leg.purpose == REPAGE
        ),  # fmt: skip
        busy=frozenset(busy),
    )


# --- decide and apply ------------------------------------------------------------------------


def step(session: Session, ticket: Ticket, now: datetime) -> repage.Decision:
    """Decide what the re-page of `ticket` does now, and do it (the caller commits)."""
    decision = repage.decide(waiting(session, ticket, now), now, rules())
    if isinstance(decision, repage.Page):
        _page(session, ticket, decision, now)
    elif isinstance(decision, repage.Stop):
        if decision.why is repage.Why.TAKEN:
            taken(session, ticket)
        elif decision.why in (repage.Why.EXHAUSTED, repage.Why.NOBODY) and not any(
            e.kind == Kind.REPAGE_ENDED for e in ticket.events
        ):
            tickets.log(session, ticket, now, Kind.REPAGE_ENDED, why=decision.why.value)
    return decision


def _page(session: Session, ticket: Ticket, page: repage.Page, now: datetime) -> None:
    keys = {t.engineer for t in page.targets}
    engineers = {e.key: e for e in session.scalars(select(Engineer).where(Engineer.key.in_(keys)))}
    for target in page.targets:
        engineer = engineers.get(target.engineer)
        until = now + timedelta(seconds=target.timeout) + MENU
        if engineer is None or not calls.claim(session, engineer.id, ticket.id, now, until):
            note = callflow.skip(target.engineer, "busy with another emergency")
            tickets.log(session, ticket, now, note.kind, **note.detail, repage=page.round)
            continue
        leg = dialer.place(session, ticket, REPAGE, target.number, ENDPOINT, now,
                           engineer_id=engineer.id, timeout=target.timeout)  # fmt: skip
        leg.repage_round, leg.chain_entry = page.round, target.entry
        tickets.log(session, ticket, now, Kind.REPAGED, engineer=target.engineer,
                    level=target.level, round=page.round, leg=leg.id)  # fmt: skip


def taken(session: Session, ticket: Ticket, keep: Leg | None = None) -> None:
    """Someone took the call-back: every re-page call still on stops, but `keep` (the call
    they took it on; by default the taker's call that is being answered, if any)."""
    if keep is None:
        keep = next(
            (leg for leg in ticket.legs
             if leg.purpose == REPAGE and leg.ended_at is None and leg.answered_at is not None
             and leg.engineer_id == ticket.acknowledged_by_id),
            None,
        )  # fmt: skip
    if any(leg.purpose == REPAGE and leg.ended_at is None and leg is not keep
           for leg in ticket.legs):  # fmt: skip
        dialer.stop(session, ticket, keep=keep.id if keep else None, purposes=(REPAGE,))


def ended(session: Session, leg: Leg, now: datetime) -> None:
    """A re-page call ended (the dialer's hook): free the engineer, ring whoever is next."""
    ticket = leg.ticket
    still = any(
        other.engineer_id == leg.engineer_id and other.ended_at is None and other is not leg
        for other in ticket.legs
    )  # fmt: skip
    if leg.engineer_id is not None and not still:
        calls.release(session, ticket.id, leg.engineer_id)
    if on():
        step(session, ticket, now)


dialer.ENDED[REPAGE] = dialer.NOT_PLACED[REPAGE] = ended


# --- the worker's check -----------------------------------------------------------------------


def due(session: Session, now: datetime) -> int:
    """The worker's job: every voicemail waiting for a call-back gets its next re-page step.
    Each ticket under its call's lock (its webhooks and this check one after the other).
    Returns how many calls it placed."""
    if not on():
        return 0
    pending = session.execute(
        select(Ticket.id, Ticket.call_sid).where(
            Ticket.state == State.CALLBACK_PENDING, Ticket.acknowledged_at.is_(None),
            Ticket.resolved_at.is_(None),
        )
    ).all()  # fmt: skip
    session.commit()
    placed = 0
    for ticket_id, call_sid in pending:
        calls.lock(session, call_sid)
        ticket = session.get(Ticket, ticket_id, populate_existing=True)
        if ticket is not None:
            decision = step(session, ticket, now)
            if isinstance(decision, repage.Page):
                placed += len(decision.targets)
        session.commit()
    return placed

"""The call service: a ticket read into the core's `Call`, and a core `Step` applied to it.

The voice handlers load a ticket here, ask `escalation.callflow`, and hand the step back to
`apply`, which is the one place a ticket's state, open question, attempt outcomes and timeline
change, and where a step's effects (freeze the chain, free the engineers, queue the messages)
happen. Two guarantees live here as conditional UPDATEs, atomic on SQLite and PostgreSQL alike:
an engineer is claimed by one emergency at a time, and a ticket is accepted by one attempt only.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from escalation import bridge, callflow, repeat
from escalation.callflow import Customer as Change
from escalation.callflow import Effect, Kind, Outcome, State, Step
from hotline import db, dialer, logs, outbound, roster, tickets, urgent
from hotline.models import Attempt, Customer, Engineer, Leg, RepeatCall, Ticket

# Twilio ends every call after 4 hours: a bridged engineer is free again after that at the latest.
LONGEST_CALL = timedelta(hours=4)
# After the ring itself: Twilio's five extra seconds, the whisper, and the dial result's way back.
RING_MARGIN = timedelta(seconds=30)


def setting(name: str) -> int:
    return int(current_app.config[name])


# --- load ----------------------------------------------------------------------------------


def lock(session: Session, call_sid: str) -> None:
    """Take the call's lock until this transaction ends: one call's webhooks (on any server)
    and the sweeper act on it one after the other. PostgreSQL: an advisory lock on the CallSid;
    SQLite: every write transaction is serial already (BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                        {"k": call_sid})  # fmt: skip


def by_call_sid(session: Session, call_sid: str) -> Ticket | None:
    ticket = session.scalar(select(Ticket).where(Ticket.call_sid == call_sid))
    logs.bind(ticket=ticket.id if ticket else None)  # every log line of the call names it
    return ticket


# What every webhook of a call reads of its ticket, in the one query that loads it.
WITH_CALL = (joinedload(Ticket.customer), joinedload(Ticket.attempts),
             joinedload(Ticket.repeat_calls))  # fmt: skip


def load(session: Session, ticket_id: str | None, call_sid: str | None) -> Ticket:
    """The ticket an action URL names; it must belong to the call that asks."""
    ticket = session.get(Ticket, int(ticket_id or ""), options=WITH_CALL)
    if ticket is None or (call_sid and ticket.call_sid != call_sid):
        raise LookupError(f"ticket {ticket_id} is not the ticket of call {call_sid}")
    logs.bind(ticket=ticket.id)
    return ticket


def view(ticket: Ticket) -> callflow.Call:
    """The ticket as the core's typed call: the call it has now (a repeat call that took the
    ticket over walks its own attempts, on hold since it came in)."""
    now_on = taken_over(ticket)
    first = (now_on.first_attempt if now_on else None) or 1
    legs = {leg.attempt_id: leg for leg in ticket.legs if leg.purpose == dialer.RING}
    return callflow.Call(
        state=State(ticket.state),
        question=callflow.Question(ticket.question) if ticket.question else None,
        try_=ticket.question_try,
        customer=ticket.customer_id is not None,
        confirmed_at=now_on.arrived_at if now_on else ticket.confirmed_at,
        attempts=tuple(
            callflow.Attempt(
                a.seq,
                a.entry,
                a.number,
                Outcome(a.outcome),
                a.answered_at is not None,
                a.dial_status is not None,
                _leg(legs.get(a.id)),
            )
            for a in ticket.attempts
            if a.seq >= first
        ),  # fmt: skip
        accepted=next((a.seq for a in ticket.attempts if a.id == ticket.accepted_attempt_id), None),
        ended=ticket.ended_at is not None,
        recorded=ticket.voicemail_url is not None,
        typed=bool(ticket.typed),
        bridge=ticket.conference,
    )


def _leg(leg: Leg | None) -> callflow.Leg | None:
    if leg is None:
        return None
    if leg.status in ("queued", "sending"):
        return callflow.Leg.QUEUED
    return callflow.Leg.ERROR if leg.status == "error" else callflow.Leg.PLACED


def taken_over(ticket: Ticket) -> RepeatCall | None:
    """The repeat call that is now the ticket's call, if one took it over."""
    return next((r for r in ticket.repeat_calls if r.call_sid == ticket.call_sid), None)


def silent_to_voicemail(session: Session) -> bool:
    """The provider policy's `silent` option (escalation/chain.py `Policy`)."""
    from escalation.chain import parse_policy
    from hotline.models import Provider

    provider = Provider.one(session)
    return parse_policy(provider.policy if provider else None).silent_to_voicemail


def attempt(ticket: Ticket, seq: int) -> Attempt | None:
    return next((a for a in ticket.attempts if a.seq == seq), None)


# --- open ----------------------------------------------------------------------------------


def open_ticket(
    session: Session, ticket: Ticket, step: Step, now: datetime, customer: Customer | None
) -> Ticket:
    """Insert a new call's ticket with its first step, or return the ticket a racing request of
    the same call inserted first (the CallSid is unique)."""
    try:
        with session.begin_nested():
            session.add(ticket)
            apply(session, ticket, step, now, customer)
    except IntegrityError:
        found = by_call_sid(session, ticket.call_sid)
        assert found is not None
        return found
    logs.bind(ticket=ticket.id)
    return ticket


# --- calls that repeat (escalation/repeat.py) -----------------------------------------------


def open_tickets(session: Session, number: str | None, now: datetime) -> list[Ticket]:
    """The caller's tickets a new call may join, newest first: not resolved, opened within
    `repeat.WINDOW`. Takes the number's lock first, so two calls from one number at once are
    decided one after the other (the second sees the first's ticket). None for a withheld
    number: it joins nothing."""
    if not number:
        return []
    lock(session, f"from:{number}")
    return list(
        session.scalars(
            select(Ticket)
            .where(
                Ticket.from_number == number,
                Ticket.resolved_at.is_(None),
                Ticket.arrived_at >= now - repeat.WINDOW,
            )
            .order_by(Ticket.arrived_at.desc(), Ticket.id.desc())
            .limit(5)
        )
    )


def opened(ticket: Ticket) -> repeat.Open:
    return repeat.Open(view(ticket), ticket.arrived_at, ticket.resolved_at is not None)


def repeat_call(session: Session, call_sid: str) -> RepeatCall | None:
    found = session.scalar(select(RepeatCall).where(RepeatCall.call_sid == call_sid))
    logs.bind(ticket=found.ticket_id if found else None)
    return found


def join(
    session: Session, ticket: Ticket, how: repeat.Joins, step: Step, call_sid: str, now: datetime
) -> Step:
    """Record a repeat call on the ticket it joins, then apply its first step."""
    session.add(RepeatCall(ticket=ticket, call_sid=call_sid, joins=how, arrived_at=now))
    session.flush()
    logs.bind(ticket=ticket.id)
    return apply(session, ticket, step, now, call_sid=call_sid)


def _take_over(session: Session, ticket: Ticket, now: datetime, call_sid: str = "",
               **_: Any) -> None:  # fmt: skip
    """The repeat call becomes the ticket's call: its own attempts, the chain as the rota
    stands now with the engineer who accepted before first, nobody's accept yet."""
    again = next(r for r in ticket.repeat_calls if r.call_sid == call_sid)
    won = next((a for a in ticket.attempts if a.id == ticket.accepted_attempt_id), None)
    entries = ticket.frozen_chain().entries
    accepted = entries[won.entry] if won and 0 <= won.entry < len(entries) else None
    chain = repeat.rechain(roster.chain_for(session, ticket.customer, now), accepted)
    again.earlier_call_sid, again.first_attempt = ticket.call_sid, len(ticket.attempts) + 1
    ticket.call_sid, ticket.chain, ticket.bridge = call_sid, chain.to_json(), _bridge(chain)
    ticket.ended_at = ticket.accepted_attempt_id = None
    tickets.log(session, ticket, now, Kind.CONFIRMED, chain=len(chain.entries), again=True)


def _reannounce(session: Session, ticket: Ticket, now: datetime, call_sid: str = "",
                **_: Any) -> None:  # fmt: skip
    tickets.announce_voicemail(session, ticket, again=call_sid)


def _keep_repeat_message(session: Session, ticket: Ticket, now: datetime, call_sid: str = "",
                         recording_url: str = "", recording_seconds: int | None = None,
                         **_: Any) -> None:  # fmt: skip
    again = next(r for r in ticket.repeat_calls if r.call_sid == call_sid)
    again.recording_url, again.recording_seconds = recording_url, recording_seconds


# --- apply ---------------------------------------------------------------------------------


def apply(
    session: Session,
    ticket: Ticket,
    step: Step,
    now: datetime,
    customer: Customer | None = None,
    **facts: Any,
) -> Step:
    """Write what `step` decided onto the ticket and carry out its effects.

    `customer` is the customer a keypad step claims or identifies; `facts` are the request's
    data a step's effects keep (recording URL and length, talk time). Returns the step whose
    action the caller hears: a `Walk` becomes the `Ring` or `Voicemail` the walk came to.
    """
    ticket.heard_at = now
    ticket.typed = bool(ticket.typed) or step.typed
    if _accepts(step) and not _accept(session, ticket, step, now):
        return apply(session, ticket, callflow.too_late(), now)
    if step.ended and ticket.ended_at is None:
        ticket.ended_at = now
        ticket.call_seconds = facts.get("call_seconds")
    if step.state is not None:
        ticket.state = step.state
    if step.question is not None or step.state is not None:
        ticket.question = step.question
        ticket.question_try = step.try_
    _change_customer(ticket, step, customer)
    if step.answered is not None and (reached := attempt(ticket, step.answered)):
        reached.answered_at = now
        reached.child_call_sid = facts.get("child_call_sid")
    if step.outcome is not None:
        _end_attempt(ticket, *step.outcome, now, **facts)
    for note in step.notes:
        tickets.log(session, ticket, now, note.kind, **note.detail)
    for effect in step.effects:
        EFFECTS[effect](session, ticket, now, **facts, seq=step.outcome[0] if step.outcome else 0)
    if isinstance(step.action, callflow.Walk):
        return walk(session, ticket, now)
    return step


def _change_customer(ticket: Ticket, step: Step, customer: Customer | None) -> None:
    if step.customer is Change.FORGET:
        ticket.customer, ticket.language = None, "de"
    elif step.customer is not None and customer is not None:
        ticket.customer = customer
        ticket.language = customer.language or "de"
    if step.customer is Change.IDENTIFY:
        ticket.identified_by = step.identified_by


def _end_attempt(ticket: Ticket, seq: int, outcome: Outcome, now: datetime, **facts: Any) -> None:
    found = attempt(ticket, seq)
    if found is None:
        return
    found.outcome = outcome
    if "dial_status" in facts:  # the dial result: Twilio's own word on this attempt
        found.dial_status = facts["dial_status"]
        found.bridged = facts.get("bridged")
        found.child_call_sid = found.child_call_sid or facts.get("child_call_sid")
        found.ended_at = found.ended_at or now
        if outcome is Outcome.ACCEPTED:
            found.talk_seconds = facts.get("talk_seconds", 0)
            ticket.bridged_seconds = _talked(ticket)
    elif outcome is Outcome.CANCELLED:
        found.ended_at = now


# --- effects -------------------------------------------------------------------------------


def _freeze_chain(session: Session, ticket: Ticket, now: datetime, **_: Any) -> None:
    ticket.confirmed_at = now
    chain = roster.chain_for(session, ticket.customer, now)
    ticket.chain = chain.to_json()
    ticket.bridge = _bridge(chain)
    tickets.log(session, ticket, now, Kind.CONFIRMED, chain=len(chain.entries),
                bridge=ticket.bridge)  # fmt: skip
    outbound.publish(session, ticket, "emergency.opened", now)


def _bridge(chain: Any) -> str:
    """How this call meets its engineers: the policy's bridge (or HOTLINE_BRIDGE over it), a
    conference only where the REST API can place its legs."""
    forced = current_app.config.get("HOTLINE_BRIDGE", "policy")
    wanted = chain.bridge if forced not in ("dial", "conference") else forced
    return "conference" if wanted == "conference" and dialer.available() else "dial"


def _release(
    session: Session, ticket: Ticket, now: datetime, call_seconds: int | None = None, **_: Any
) -> None:
    release(session, ticket.id)
    if call_seconds is None:
        return  # the sweeper: nobody knows how long a lost call was bridged; bill nothing
    for a in ticket.attempts:  # the caller hung up a bridged call: talk time until now, which
        if a.outcome == Outcome.ACCEPTED and a.ended_at is None:  # the dial result may correct
            a.ended_at = now
            a.talk_seconds = int((now - (ticket.accepted_at or now)).total_seconds())
            ticket.bridged_seconds = _talked(ticket)


def _talked(ticket: Ticket) -> int:
    """Bridged seconds over all the ticket's calls (a dropped call and its reconnection)."""
    return sum(a.talk_seconds or 0 for a in ticket.attempts if a.outcome == Outcome.ACCEPTED)


def _tell_accepted(session: Session, ticket: Ticket, now: datetime, **_: Any) -> None:
    won = next(a for a in ticket.attempts if a.id == ticket.accepted_attempt_id)
    tickets.tell_accepted(session, ticket, won)
    outbound.publish(session, ticket, "emergency.accepted", now)


def _tell_missed(session: Session, ticket: Ticket, now: datetime, **_: Any) -> None:
    tickets.tell_missed(session, ticket)


def _announce_voicemail(
    session: Session, ticket: Ticket, now: datetime, recording_url: str = "",
    recording_seconds: int | None = None, **_: Any,
) -> None:  # fmt: skip
    ticket.voicemail_url, ticket.voicemail_seconds = recording_url, recording_seconds
    tickets.announce_voicemail(session, ticket)
    outbound.publish(session, ticket, "emergency.voicemail", now)


def _forward_message(
    session: Session, ticket: Ticket, now: datetime, recording_url: str = "",
    recording_seconds: int | None = None, **_: Any,
) -> None:  # fmt: skip
    ticket.voicemail_url, ticket.voicemail_seconds = recording_url, recording_seconds
    tickets.forward_message(session, ticket, now)


def _queue_urgent(session: Session, ticket: Ticket, now: datetime, **_: Any) -> None:
    urgent.queue(session, ticket, now)
    back = urgent.comes_back(session, ticket, now).at
    outbound.publish(session, ticket, "urgent.opened", now, comes_back_at=back)


def _keep_message(
    session: Session, ticket: Ticket, now: datetime, recording_url: str = "",
    recording_seconds: int | None = None, **_: Any,
) -> None:  # fmt: skip
    ticket.voicemail_url, ticket.voicemail_seconds = recording_url, recording_seconds
    outbound.publish(session, ticket, "urgent.message", now)


def _stop_legs(session: Session, ticket: Ticket, now: datetime, **_: Any) -> None:
    won = attempt(ticket, next((a.seq for a in ticket.attempts
                                if a.id == ticket.accepted_attempt_id), 0))  # fmt: skip
    keep = next((leg.id for leg in ticket.legs if won and leg.attempt_id == won.id), None)
    dialer.stop(session, ticket, keep=keep)


def _free_engineer(session: Session, ticket: Ticket, now: datetime, seq: int = 0,
                   **_: Any) -> None:  # fmt: skip
    ended = attempt(ticket, seq)
    if ended is not None and ended.engineer_id is not None:
        release(session, ticket.id, ended.engineer_id)


def _walk_on(session: Session, ticket: Ticket, now: datetime, **_: Any) -> None:
    """The level rang out while the caller holds in the conference: the next legs, or the
    caller moves on (to the voicemail)."""
    step = walk(session, ticket, now)
    if not isinstance(step.action, callflow.Connect):
        dialer.move_caller(session, ticket, now)


def _move_caller(session: Session, ticket: Ticket, now: datetime, **_: Any) -> None:
    dialer.move_caller(session, ticket, now)


def _to_dial(session: Session, ticket: Ticket, now: datetime, **_: Any) -> None:
    """The conference could not place its legs: attempts that never rang are marked so (the
    walk rings their people again, by <Dial>), and this call stays on <Dial> from here on."""
    ticket.bridge = "dial"
    for a in ticket.attempts:
        if a.outcome == Outcome.RINGING and a.ended_at is None:
            a.outcome, a.ended_at = Outcome.NOT_PLACED, now


EFFECTS = {
    Effect.FREEZE_CHAIN: _freeze_chain,
    Effect.RELEASE: _release,
    Effect.TELL_ACCEPTED: _tell_accepted,
    Effect.TELL_MISSED: _tell_missed,
    Effect.ANNOUNCE_VOICEMAIL: _announce_voicemail,
    Effect.FORWARD_MESSAGE: _forward_message,
    Effect.QUEUE_URGENT: _queue_urgent,
    Effect.KEEP_MESSAGE: _keep_message,
    Effect.TAKE_OVER: _take_over,
    Effect.REANNOUNCE: _reannounce,
    Effect.KEEP_REPEAT_MESSAGE: _keep_repeat_message,
    Effect.STOP_LEGS: _stop_legs,
    Effect.FREE_ENGINEER: _free_engineer,
    Effect.WALK_ON: _walk_on,
    Effect.MOVE_CALLER: _move_caller,
    Effect.TO_DIAL: _to_dial,
}


# --- walking the chain ---------------------------------------------------------------------


def walk(session: Session, ticket: Ticket, now: datetime) -> Step:
    """Dial the next chain entry whose engineer can be claimed, or send the caller to voicemail.

    The core says which entries are still worth trying; claiming is the database's part.
    """
    chain = ticket.frozen_chain().entries
    decision = callflow.walk(
        view(ticket), [e.number for e in chain], now,
        timedelta(seconds=setting("HOTLINE_MAX_HOLD")),
    )  # fmt: skip
    if isinstance(decision, callflow.Voicemail):
        return apply(session, ticket, callflow.nobody(decision.reason), now)
    keys = [chain[i].engineer for i in decision.candidates if chain[i].engineer]
    engineers = {e.key: e for e in session.scalars(select(Engineer).where(Engineer.key.in_(keys)))}
    shapes = [bridge.Entry(e.level, e.ring, e.engineer) for e in chain]
    for group in bridge.groups(shapes, decision.candidates, ticket.conference):
        rung: list[Attempt] = []
        for index in group:
            entry = chain[index]
            engineer = engineers.get(entry.engineer or "")
            timeout = callflow.ring_timeout(
                entry.timeout or setting("HOTLINE_RING_TIMEOUT"), decision.timeout_cap
            )
            if entry.engineer and engineer is None:
                reason = "no longer in the directory"
            elif engineer and not claim(session, engineer.id, ticket.id, now,
                                        _ring_end(now, timeout), wait=False):  # fmt: skip
                reason = "busy with another emergency"
            else:
                rung.append(_attempt(session, ticket, index, entry, engineer, timeout, now))
                continue
            note = callflow.skip(entry.engineer or "", reason)
            tickets.log(session, ticket, now, note.kind, **note.detail)
        if rung:
            return _ring(session, ticket, rung, now)
    return apply(session, ticket, callflow.nobody("everyone left is busy"), now)


def _attempt(session: Session, ticket: Ticket, index: int, entry: Any,
             engineer: Engineer | None, timeout: int, now: datetime) -> Attempt:  # fmt: skip
    found = Attempt(
        ticket=ticket, seq=len(ticket.attempts) + 1, entry=index, level=entry.level,
        engineer_id=engineer.id if engineer else None, number=entry.number, timeout=timeout,
        started_at=now,
    )  # fmt: skip
    session.add(found)
    session.flush()
    return found


def _ring(session: Session, ticket: Ticket, rung: list[Attempt], now: datetime) -> Step:
    """Ring the claimed attempts: one `<Dial>`, or conference legs placed through the REST API
    (after this request commits)."""
    chain = ticket.frozen_chain().entries
    if not ticket.conference:
        (one,) = rung
        step = callflow.ring(one.seq, chain[one.entry].engineer, one.level, one.timeout or 0)
        return apply(session, ticket, step, now)
    for a in rung:
        dialer.place(
            session, ticket, dialer.RING, a.number, "whisper", now,
            engineer_id=a.engineer_id, attempt_id=a.id, timeout=a.timeout or 20,
        )  # fmt: skip
        note = callflow.ring(a.seq, chain[a.entry].engineer, a.level, a.timeout or 0).notes[0]
        tickets.log(session, ticket, now, note.kind, **note.detail, via="conference")
    return apply(session, ticket, bridge.placed(), now)


def _ring_end(now: datetime, timeout: int) -> datetime:
    whisper = timedelta(seconds=setting("HOTLINE_WHISPER_TIMEOUT") * 2)
    return now + timedelta(seconds=timeout) + whisper + RING_MARGIN


# --- the conference bridge ----------------------------------------------------------------


def in_bridge(ticket: Ticket) -> list[int]:
    """The chain entries in the ticket's conference, or being called into it."""
    entries = ticket.frozen_chain().entries
    present = [a.entry for a in ticket.attempts if a.outcome == Outcome.ACCEPTED]
    calling = {leg.to_number for leg in ticket.legs if leg.purpose == dialer.WARM
               and leg.status not in (*dialer.ENDED_STATUSES, "error")}  # fmt: skip
    return present + [i for i, e in enumerate(entries) if e.number in calling]


def _not_placed(session: Session, leg: Leg, now: datetime) -> None:
    """The dialer's word that a ring leg never went out (dialer.ENDED)."""
    ticket = leg.ticket
    lock(session, ticket.call_sid)
    session.refresh(ticket)
    if leg.attempt is not None:
        apply(session, ticket, bridge.not_placed(view(ticket), leg.attempt.seq), now)


dialer.NOT_PLACED[dialer.RING] = _not_placed


def dial(session: Session, now: datetime) -> int:
    """The worker's `dialer` job: legs whose status callbacks never came are ended as
    unanswered (the caller holding in the conference is rung the next level), then whatever
    is queued is sent."""
    overdue = session.execute(
        select(Leg.id, Ticket.call_sid).join(Ticket).where(
            Leg.purpose == dialer.RING, Leg.status.in_(["sent", "initiated", "ringing"]),
            Leg.answered_at.is_(None), Ticket.ended_at.is_(None),
        )
    ).all()  # fmt: skip
    session.commit()
    for leg_id, call_sid in overdue:
        lock(session, call_sid)
        leg = session.get(Leg, leg_id, populate_existing=True)
        if leg is None or leg.attempt is None or not _overdue(leg, now):
            session.commit()
            continue
        leg.stop = True  # whatever it is doing at Twilio, it rings no longer
        ticket = leg.ticket
        if dialer.reported(session, leg, "no-answer", None, now):
            apply(session, ticket, bridge.leg_ended(view(ticket), leg.attempt.seq,
                                                    callflow.CallStatus.NO_ANSWER, False, False),
                  now, dial_status="no-answer")  # fmt: skip
        session.commit()
    return dialer.send(session, now)


def _overdue(leg: Leg, now: datetime) -> bool:
    """Unanswered after the ring could have ended (the claim's own end, `_ring_end`)."""
    return leg.answered_at is None and now > _ring_end(leg.created_at, leg.timeout)


def pull_in(session: Session, ticket: Ticket, entry: Any, now: datetime) -> None:
    """Call a chain entry into the running conference (warm escalation), claiming them."""
    engineer = session.scalar(select(Engineer).where(Engineer.key == entry.engineer))
    if engineer is not None:
        claim(session, engineer.id, ticket.id, now, now + LONGEST_CALL)
    dialer.place(session, ticket, dialer.WARM, entry.number, "invite", now,
                 engineer_id=engineer.id if engineer else None)  # fmt: skip


# --- the two atomic guarantees -------------------------------------------------------------


def claim(session: Session, engineer_id: int, ticket_id: int, now: datetime,
          until: datetime, wait: bool = True) -> bool:  # fmt: skip
    """Claim the engineer for this ticket until `until`, unless another emergency holds them.

    A claim whose time ran out is free: a lost webhook never keeps an engineer busy for long.
    `wait=False` (walking the chain): an engineer whose row another request is changing at this
    moment (claiming them for another emergency, or releasing them from one) counts as busy, and
    the walk goes on to the next entry instead of waiting for that request to commit. In a burst
    of calls, confirmations queued on the few on-call engineers' rows, one after the other, until
    the deadline (PostgreSQL; SQLite takes writes one at a time anyway).
    """
    free = Engineer.id == engineer_id, or_(
        Engineer.busy_ticket_id.is_(None),
        Engineer.busy_ticket_id == ticket_id,
        Engineer.busy_until.is_(None),
        Engineer.busy_until <= now,
    )  # fmt: skip
    if not wait:
        unlocked = select(Engineer.id).where(*free).with_for_update(skip_locked=True)
        free = (Engineer.id == unlocked.scalar_subquery(),)
    return db.claim(
        session, Engineer, *free,
        busy_ticket_id=ticket_id, busy_since=now, busy_until=until, last_called_at=now,
    )  # fmt: skip


def release(session: Session, ticket_id: int, engineer_id: int | None = None) -> None:
    """Free the engineer(s) this ticket holds."""
    statement = update(Engineer).where(Engineer.busy_ticket_id == ticket_id)
    if engineer_id is not None:
        statement = statement.where(Engineer.id == engineer_id)
    session.execute(
        statement.values(busy_ticket_id=None, busy_since=None, busy_until=None)
        .execution_options(synchronize_session=False)
    )  # fmt: skip


def _accepts(step: Step) -> bool:
    return (
        step.state is State.CONNECTED
        and step.outcome is not None
        and (step.outcome[1] is Outcome.ACCEPTED)
    )


def _accept(session: Session, ticket: Ticket, step: Step, now: datetime) -> bool:
    """A step that connects the call: the database must agree this attempt was first."""
    won = attempt(ticket, step.outcome[0]) if step.outcome else None
    if won is None:
        return False
    if ticket.accepted_attempt_id is not None:
        return ticket.accepted_attempt_id == won.id  # this step only repeats the accept
    return accept(session, ticket, won, now)


def accept(session: Session, ticket: Ticket, won: Attempt, now: datetime) -> bool:
    """The one atomic accept: True for the first attempt that presses 1, False for any other.

    The accepting engineer stays claimed for the whole call (Twilio's longest).
    """
    if not db.claim(
        session, Ticket, Ticket.id == ticket.id, Ticket.accepted_attempt_id.is_(None),
        accepted_attempt_id=won.id, accepted_by_id=won.engineer_id, accepted_at=now,
    ):  # fmt: skip
        session.refresh(ticket)
        return False
    session.refresh(ticket)
    if won.engineer_id is not None:
        claim(session, won.engineer_id, ticket.id, now, now + LONGEST_CALL)
    return True


def recorded(ticket: Ticket, status: str, url: str, seconds: int | None) -> None:
    """Twilio's recording callback: the final URL of the voicemail once the file is ready."""
    if status == "completed" and url:
        ticket.voicemail_url = url
        ticket.voicemail_seconds = seconds or None


# --- the sweeper ---------------------------------------------------------------------------


def sweep(session: Session, now: datetime) -> int:
    """Close the tickets Twilio left hanging (a lost status callback, an outage), free their
    engineers and tell the on-call engineer: a job of the worker. Returns how many it closed."""
    max_wait = timedelta(
        seconds=setting("HOTLINE_MAX_HOLD") + setting("HOTLINE_VOICEMAIL_MAX") + 300
    )
    live = session.execute(
        select(Ticket.id, Ticket.call_sid).where(
            or_(
                Ticket.ended_at.is_(None) & Ticket.state.in_([*callflow.LIVE, State.CONNECTED]),
                Ticket.ended_at.is_not(None) & (Ticket.state == State.VOICEMAIL),
            )
        )
    ).all()
    session.commit()
    closed = 0
    for ticket_id, call_sid in live:
        lock(session, call_sid)  # a webhook of this call (or another sweeper) goes first
        ticket = session.get(Ticket, ticket_id, populate_existing=True)
        heard = (ticket.heard_at or ticket.arrived_at) if ticket else now
        ended = ticket is not None and ticket.ended_at is not None
        if ticket is None or not callflow.stuck(
            State(ticket.state), heard, now, LONGEST_CALL, max_wait, ended
        ):
            session.commit()
            continue
        apply(session, ticket, callflow.lost(view(ticket), heard), now)
        session.commit()
        closed += 1
    return closed

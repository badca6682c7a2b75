"""The customer's leg of the call: arrive, identify, confirm, walk the chain, voicemail, hang-up.

Each handler reads: verify (the `webhook` guard), load the ticket, decide (`escalation.callflow`),
apply (`hotline.calls`), render (`twiml`). The guard commits and stores the answer, so a request
Twilio repeats gets the same answer and changes nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from flask import Response, current_app, request

from escalation import callflow, repeat
from escalation.callflow import CallStatus
from hotline import callers, calls, db, phones, replay
from hotline.clock import now
from hotline.models import Ticket
from hotline.voice import twiml, voice
from hotline.voice.context import context
from hotline.voice.fallback import (
    after_dial_fallback,
    caller_fallback,
    empty,
    kept_message,
    kept_recording,
)
from hotline.voice.guard import number, param, webhook


def _refer() -> bool:
    return bool(current_app.config["HOTLINE_UNIDENTIFIED"] == "refer")


def _ticket() -> Ticket:
    return calls.load(db.session(), request.args.get("ticket"), param("CallSid", 64))


def _answer(ticket: Ticket, step: callflow.Step) -> Response:
    return twiml.render(step.action, context(db.session(), ticket, step.action))


@voice.post("/incoming")
@webhook(caller_fallback)
def incoming() -> Response:
    """A new call: identify by caller ID, then open the ticket in one insert."""
    session, at, sid = db.session(), now(), param("CallSid", 64)
    if not sid:
        raise LookupError("a call without a CallSid")
    ticket = calls.by_call_sid(session, sid)
    if ticket is not None:  # another request of a known call: where it is now
        return _answer(ticket, calls.apply(session, ticket, callflow.where(calls.view(ticket)), at))
    again = calls.repeat_call(session, sid)
    if again is not None:  # another request of a repeat call that joined a ticket
        step = repeat.where(repeat.Joins(again.joins))
        return _answer(again.ticket, calls.apply(session, again.ticket, step, at))
    raw, to = param("From"), param("To")
    found = callers.identify(session, raw)
    if callers.blocked(session, raw):
        step = callflow.refuse(caller_as_sent=raw, to=to)
    elif joined := _joins(raw, at):  # the same number, its emergency still open: one ticket
        ticket, how = joined
        step = repeat.join(how, sid, calls.view(ticket), caller_as_sent=raw, to=to)
        return _answer(ticket, calls.join(session, ticket, how, step, sid, at))
    else:
        step = callflow.arrive(
            found.customer.number if found.customer else None, found.method, found.reason,
            caller_as_sent=raw, to=to,
        )  # fmt: skip
    ticket = Ticket(
        call_sid=sid, from_raw=raw or None, from_number=phones.caller_id(raw),
        to_number=phones.caller_id(to), arrived_at=at, language="de",
        attempts=[], repeat_calls=[],  # a new call has none: never asked of the database
    )  # fmt: skip
    ticket = calls.open_ticket(session, ticket, step, at, found.customer)
    return _answer(ticket, step)


def _joins(raw: str, at: datetime) -> tuple[Ticket, repeat.Joins] | None:
    """The open ticket a call from `raw` joins (under the number's lock), and how; or None."""
    candidates = calls.open_tickets(db.session(), phones.caller_id(raw), at)
    picked = repeat.pick([calls.opened(t) for t in candidates], at)
    return (candidates[picked[0]], picked[1]) if picked else None


@voice.post("/again")
@webhook(kept_recording)
def again() -> Response:
    """The message a repeat caller left after hearing their emergency is being handled."""
    sid, url = param("CallSid", 64), param("RecordingUrl", 500)
    seconds = number("RecordingDuration")
    found = calls.repeat_call(db.session(), sid)
    if found is None or str(found.ticket_id) != request.args.get("ticket"):
        raise LookupError(f"call {sid} joined no ticket {request.args.get('ticket')}")
    step = repeat.message(found.recording_url is not None, sid, seconds, url or None)
    step = calls.apply(db.session(), found.ticket, step, now(), call_sid=sid, recording_url=url,
                       recording_seconds=seconds)  # fmt: skip
    return _answer(found.ticket, step)


@voice.post("/identify")
@webhook(caller_fallback)
def identify() -> Response:
    session, ticket, digits = db.session(), _ticket(), param("Digits", 32)
    customer = callers.by_customer_number(session, digits) if digits else None
    step = callflow.customer_number(
        calls.view(ticket), number("try", "args") or 0, digits,
        customer.number if customer else None, bool(customer and customer.pin), _refer(),
    )  # fmt: skip
    return _answer(ticket, calls.apply(session, ticket, step, now(), customer))


@voice.post("/pin")
@webhook(caller_fallback)
def pin() -> Response:
    ticket = _ticket()
    customer = ticket.customer
    step = callflow.pin(
        calls.view(ticket), number("try", "args") or 0, param("Digits", 32),
        customer.pin if customer else None, customer.number if customer else None, _refer(),
    )  # fmt: skip
    return _answer(ticket, calls.apply(db.session(), ticket, step, now(), customer))


@voice.post("/confirm")
@webhook(caller_fallback)
def confirm() -> Response:
    ticket = _ticket()
    silent = ticket.customer is None and calls.silent_to_voicemail(db.session())
    step = callflow.confirmation(calls.view(ticket), number("try", "args") or 0,
                                 param("Digits", 8), silent)  # fmt: skip
    return _answer(ticket, calls.apply(db.session(), ticket, step, now()))


@voice.post("/dial-result")
@webhook(after_dial_fallback)
def dial_result() -> Response:
    ticket, status = _ticket(), CallStatus.parse(param("DialCallStatus"))
    talk = number("DialCallDuration") or 0
    caller = CallStatus.parse(param("CallStatus"))
    bridged = param("DialBridged", 8) == "true"
    step = callflow.dial_ended(calls.view(ticket), number("attempt", "args") or 0, status, talk,
                               caller_gone=caller is not None and caller.ended,
                               bridged=bridged)  # fmt: skip
    step = calls.apply(
        db.session(), ticket, step, now(), dial_status=param("DialCallStatus", 16),
        bridged=bridged, child_call_sid=param("DialCallSid", 64) or None,
        talk_seconds=talk,
    )  # fmt: skip
    return _answer(ticket, step)


@voice.post("/voicemail")
@webhook(kept_recording)
def voicemail() -> Response:
    ticket, url, seconds = _ticket(), param("RecordingUrl", 500), number("RecordingDuration")
    step = callflow.voicemail(calls.view(ticket), seconds, url or None)
    step = calls.apply(db.session(), ticket, step, now(), recording_url=url,
                       recording_seconds=seconds)  # fmt: skip
    return _answer(ticket, step)


@voice.post("/message")
@webhook(kept_message)
def message() -> Response:
    """A short message after "not an emergency": it goes to the support mailbox."""
    ticket, url, seconds = _ticket(), param("RecordingUrl", 500), number("RecordingDuration")
    step = callflow.message(calls.view(ticket), seconds, url or None)
    step = calls.apply(db.session(), ticket, step, now(), recording_url=url,
                       recording_seconds=seconds)  # fmt: skip
    return _answer(ticket, step)


@voice.post("/recording")
@webhook(empty)
def recording() -> Response:
    """The recording status callback: the final recording URL once the file is ready."""
    calls.recorded(_ticket(), param("RecordingStatus", 16), param("RecordingUrl", 500),
                   number("RecordingDuration"))  # fmt: skip
    return empty()


@voice.post("/status")
@webhook(empty)
def status() -> Response:
    """The number's status callback: the authority on when (and how) the caller's call ended."""
    session, sid = db.session(), param("CallSid", 64)
    if replay.replay(session, now(), sid):  # what the fallback path knows of it comes first
        calls.lock(session, sid)  # the replay committed: take the call's lock again
    ticket = calls.by_call_sid(session, sid)
    if ticket is None:
        return empty()
    step = callflow.hangup(calls.view(ticket), CallStatus.parse(param("CallStatus")),
                           number("CallDuration") or 0)  # fmt: skip
    calls.apply(session, ticket, step, now(), call_seconds=number("CallDuration") or 0)
    return empty()

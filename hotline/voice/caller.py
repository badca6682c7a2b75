"""The customer's leg of the call: arrive, identify, confirm, walk the chain, voicemail, hang-up.

Each handler reads like a sentence: verify (the `webhook` guard), load the ticket, ask
`escalation.callflow`, store, render. Twilio may repeat any request: a handler whose step was
already taken answers with where the call is now (`resume`) and stores nothing twice.
"""

from __future__ import annotations

import hmac
from datetime import timedelta

from flask import Response, current_app, request
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from escalation import callflow
from escalation.callflow import (
    AskConfirmation,
    AskCustomerNumber,
    AskPin,
    NotEmergency,
    Refer,
    Step,
    Voicemail,
    Walk,
)
from hotline import callers, db, notify, phones, roster, tickets
from hotline.clock import now
from hotline.models import Attempt, Customer, Engineer, Provider, Ticket
from hotline.voice import steps, twiml, voice
from hotline.voice.fallback import caller_fallback, empty
from hotline.voice.guard import webhook
from hotline.voice.prompts import text

# The caller's answers, as logged on the ticket; their count makes repeated requests harmless.
CUSTOMER_NUMBER = "customer number entered"
PIN = "pin entered"
CONFIRMATION = "confirmation answered"


def _config(name: str) -> int:
    return int(current_app.config[name])


def _ticket(session: Session) -> Ticket:
    """The ticket an action URL names; it must belong to the call that asks."""
    ticket = session.get(Ticket, int(request.args["ticket"]))
    if ticket is None or ticket.call_sid != request.form.get("CallSid"):
        raise LookupError(f"ticket {request.args.get('ticket')} is not this call's")
    return ticket


# --- arrive and identify -------------------------------------------------------------------


@voice.post("/incoming")
@webhook(caller_fallback)
def incoming() -> Response:
    """A new call: identify by caller ID, then open the ticket in one insert."""
    session = db.session()
    sid = request.form["CallSid"]
    ticket = tickets.get(session, sid)
    if ticket is None:
        at, raw = now(), request.form.get("From")
        found = callers.identify(session, raw)
        customer = found.customer
        ticket = tickets.open_ticket(
            session,
            Ticket(
                call_sid=sid,
                from_raw=raw,
                from_number=phones.caller_id(raw),
                to_number=request.form.get("To"),
                arrived_at=at,
                customer=customer,
                identified_by=found.method,
                language=customer.language if customer else "de",
                state=callflow.CONFIRMING if customer else callflow.IDENTIFYING,
            ),
            [
                ("arrived", {"caller_as_sent": raw, "to": request.form.get("To")}),
                ("identified", {"customer": customer.number, "by": found.method})
                if customer
                else ("not identified", {"reason": found.reason}),
            ],
        )
        session.commit()
    return twiml.reply(_resume(session, ticket))


def _identify(session: Session, ticket: Ticket, customer: Customer, method: str) -> None:
    ticket.customer = customer
    ticket.identified_by = method
    ticket.language = customer.language or "de"
    ticket.state = callflow.CONFIRMING
    tickets.log(session, ticket, now(), "identified", customer=customer.number, by=method)


@voice.post("/identify")
@webhook(caller_fallback)
def identify() -> Response:
    session = db.session()
    ticket = _ticket(session)
    attempt = int(request.args.get("try", 1))
    if _answered(ticket, callflow.IDENTIFYING, CUSTOMER_NUMBER, attempt) or ticket.customer:
        return twiml.reply(_resume(session, ticket))
    digits = request.form.get("Digits", "").strip()
    customer = callers.by_customer_number(session, digits) if digits else None
    tickets.log(session, ticket, now(), CUSTOMER_NUMBER, digits=digits, found=bool(customer))
    refer = current_app.config["HOTLINE_UNIDENTIFIED"] == "refer"
    step = callflow.after_customer_number(
        customer is not None, bool(customer and customer.pin), attempt, refer
    )
    if customer is not None:
        if isinstance(step, AskPin):
            ticket.customer = customer  # claimed, not yet proven
            ticket.language = customer.language or "de"
        else:
            _identify(session, ticket, customer, "keypad")
    else:
        _unidentified(session, ticket, step)
    session.commit()
    return twiml.reply(steps.render(step, ticket, session))


@voice.post("/pin")
@webhook(caller_fallback)
def pin() -> Response:
    session = db.session()
    ticket = _ticket(session)
    attempt = int(request.args.get("try", 1))
    if _answered(ticket, callflow.IDENTIFYING, PIN, attempt) or ticket.customer is None:
        return twiml.reply(_resume(session, ticket))
    typed = request.form.get("Digits", "").strip().strip("#*")
    correct = hmac.compare_digest(typed.encode(), (ticket.customer.pin or "").encode())
    tickets.log(session, ticket, now(), PIN, correct=correct)
    refer = current_app.config["HOTLINE_UNIDENTIFIED"] == "refer"
    step = callflow.after_pin(correct, attempt, refer)
    if correct:
        _identify(session, ticket, ticket.customer, "pin")
    elif not isinstance(step, AskPin):
        ticket.customer = None
        ticket.language = "de"
        _unidentified(session, ticket, step)
    session.commit()
    return twiml.reply(steps.render(step, ticket, session))


def _unidentified(session: Session, ticket: Ticket, step: Step) -> None:
    if isinstance(step, AskConfirmation):
        ticket.state = callflow.CONFIRMING
        tickets.log(session, ticket, now(), "continues unidentified")
    elif isinstance(step, Refer):
        ticket.state = callflow.REFERRED
        tickets.log(session, ticket, now(), "referred to the office")


# --- confirm and walk ----------------------------------------------------------------------


@voice.post("/confirm")
@webhook(caller_fallback)
def confirm() -> Response:
    session = db.session()
    ticket = _ticket(session)
    attempt = int(request.args.get("try", 1))
    if _answered(ticket, callflow.CONFIRMING, CONFIRMATION, attempt):
        return twiml.reply(_resume(session, ticket))
    digits = request.form.get("Digits", "").strip()
    step = callflow.after_confirmation(digits, attempt)
    at = now()
    tickets.log(session, ticket, at, CONFIRMATION, digits=digits or "none")
    if isinstance(step, Walk):
        ticket.confirmed_at = at
        ticket.state = callflow.RINGING
        chain = roster.chain_for(session, ticket.customer, at)
        ticket.chain = chain.to_json()
        ticket.chain_skipped = chain.skipped_json()
        tickets.log(session, ticket, at, "emergency confirmed", chain=len(ticket.chain))
        response = _walk(session, ticket)
    else:
        if isinstance(step, NotEmergency):
            ticket.state = callflow.NOT_EMERGENCY
            tickets.log(session, ticket, at, "not an emergency")
        response = steps.render(step, ticket, session)
    session.commit()
    return twiml.reply(response)


def _walk(session: Session, ticket: Ticket) -> VoiceResponse:
    """Dial the next chain entry that can be claimed, or go to voicemail."""
    at = now()
    chain = ticket.chain or []
    tried = [callflow.Tried(a.entry, a.number) for a in ticket.attempts]
    decision = callflow.next_dial(
        [e["number"] for e in chain],
        tried,
        ticket.confirmed_at or at,
        at,
        timedelta(seconds=_config("HOTLINE_MAX_HOLD")),
    )
    if isinstance(decision, callflow.Dial):
        keys = [chain[i]["engineer"] for i in decision.candidates if chain[i].get("engineer")]
        engineers = {
            e.key: e for e in session.scalars(select(Engineer).where(Engineer.key.in_(keys)))
        }
        for index in decision.candidates:
            key = chain[index].get("engineer")
            engineer = engineers.get(key or "")
            if key and engineer is None:
                reason = "no longer in the directory"
            elif engineer and not tickets.claim(session, engineer.id, ticket.id, at):
                reason = "busy with another emergency"
            else:
                return _dial(session, ticket, index, engineer, decision.timeout_cap)
            tickets.log(session, ticket, at, "skipped", engineer=key, reason=reason)
        decision = Voicemail("everyone left is busy")
    ticket.state = callflow.VOICEMAIL
    tickets.log(session, ticket, at, "voicemail", reason=decision.reason)
    return steps.render(decision, ticket, session)


def _dial(
    session: Session, ticket: Ticket, index: int, engineer: Engineer | None, cap: int
) -> VoiceResponse:
    entry = (ticket.chain or [])[index]
    attempt = Attempt(
        ticket=ticket,
        seq=len(ticket.attempts) + 1,
        entry=index,
        level=entry["level"],
        engineer_id=engineer.id if engineer else None,
        number=entry["number"],
        started_at=now(),
    )
    session.add(attempt)
    session.flush()
    timeout = callflow.ring_timeout(
        int(entry.get("timeout") or _config("HOTLINE_RING_TIMEOUT")), cap
    )
    tickets.log(
        session,
        ticket,
        attempt.started_at,
        "ringing",
        attempt=attempt.seq,
        engineer=entry.get("engineer"),
        level=entry["level"],
        timeout=timeout,
    )
    return steps.dial(ticket, attempt, timeout)


@voice.post("/dial-result")
@webhook(caller_fallback)
def dial_result() -> Response:
    session = db.session()
    ticket = _ticket(session)
    seq = int(request.args["attempt"])
    attempt = next((a for a in ticket.attempts if a.seq == seq), None)
    if attempt is None or attempt.dial_status is not None:  # unknown, or handled before
        return twiml.reply(_resume(session, ticket))
    at = now()
    status = request.form.get("DialCallStatus", "")
    accepted = ticket.accepted_attempt_id == attempt.id
    attempt.outcome = callflow.dial_outcome(accepted, attempt.outcome == "declined", status)
    attempt.dial_status = status
    attempt.bridged = request.form.get("DialBridged") == "true"
    attempt.ended_at = attempt.ended_at or at  # the status callback may have come first
    attempt.child_call_sid = attempt.child_call_sid or request.form.get("DialCallSid")
    tickets.release(session, ticket.id, attempt.engineer_id)
    tickets.log(
        session,
        ticket,
        at,
        "attempt ended",
        attempt=seq,
        outcome=attempt.outcome,
        dial_status=status,
    )
    if accepted:
        talk = int(request.form.get("DialCallDuration") or 0)
        attempt.talk_seconds = ticket.bridged_seconds = talk
        tickets.log(session, ticket, at, "bridged call ended", seconds=talk)
        response = twiml.goodbye(text("goodbye", ticket.language), ticket.language)
    elif request.form.get("CallStatus") in ("completed", "canceled"):
        response = twiml.hangup()  # the caller is gone: do not walk on
    else:
        response = _walk(session, ticket)
    session.commit()
    return twiml.reply(response)


# --- voicemail and the not-an-emergency message --------------------------------------------


@voice.post("/voicemail")
@webhook(caller_fallback)
def voicemail() -> Response:
    session = db.session()
    ticket = _ticket(session)
    seconds = int(request.form.get("RecordingDuration") or 0)
    url = request.form.get("RecordingUrl")
    if ticket.state == callflow.VOICEMAIL and url and seconds > 0:
        at = now()
        ticket.voicemail_url, ticket.voicemail_seconds = url, seconds
        ticket.state = callflow.CALLBACK_PENDING
        tickets.log(session, ticket, at, "voicemail left", seconds=seconds)
        tickets.announce_voicemail(session, ticket)
        session.commit()
    words = "thanks" if ticket.state == callflow.CALLBACK_PENDING else "no_recording"
    return twiml.reply(twiml.goodbye(text(words, ticket.language), ticket.language))


@voice.post("/message")
@webhook(lambda: twiml.reply(twiml.goodbye(text("thanks"), "de")))
def message() -> Response:
    """A short message after "press 2": it goes to the support mailbox as a normal request."""
    session = db.session()
    ticket = _ticket(session)
    url = request.form.get("RecordingUrl")
    seconds = int(request.form.get("RecordingDuration") or 0)
    provider = Provider.one(session)
    if url and seconds > 0 and ticket.voicemail_url is None:
        ticket.voicemail_url, ticket.voicemail_seconds = url, seconds
        tickets.log(session, ticket, now(), "message left", seconds=seconds)
        if provider and provider.support_email:
            notify.enqueue_email(
                session,
                provider.support_email,
                f"Telefonnachricht von {tickets.who(ticket)} (kein Notfall)",
                f"Anrufer: {tickets.caller(ticket)}\nKunde: {tickets.who(ticket)}\n"
                f"Nachricht ({seconds} s): {url}\nTicket: "
                f"{tickets.link(ticket)}\n",
                key=f"message:{ticket.id}",
                ticket_id=ticket.id,
            )
        session.commit()
    return twiml.reply(twiml.goodbye(text("thanks", ticket.language), ticket.language))


@voice.post("/recording")
@webhook(empty)
def recording() -> Response:
    """The recording status callback: the final recording URL once the file is ready."""
    session = db.session()
    ticket = _ticket(session)
    if request.form.get("RecordingStatus") == "completed" and request.form.get("RecordingUrl"):
        ticket.voicemail_url = request.form["RecordingUrl"]
        ticket.voicemail_seconds = int(request.form.get("RecordingDuration") or 0) or None
        session.commit()
    return empty()


# --- the caller hangs up -------------------------------------------------------------------


@voice.post("/status")
@webhook(empty)
def status() -> Response:
    """The number's status callback: the authority on when (and how) the caller's call ended."""
    session = db.session()
    ticket = tickets.get(session, request.form.get("CallSid", ""))
    call_status = request.form.get("CallStatus", "")
    if ticket is None or call_status not in (
        "completed",
        "busy",
        "failed",
        "no-answer",
        "canceled",
    ):
        return empty()
    sequence = int(request.form.get("SequenceNumber") or 0)
    if ticket.ended_at is not None or (ticket.status_sequence or -1) > sequence:
        return empty()  # a repeat, or older than what we know
    at = now()
    ticket.status_sequence = sequence
    ticket.ended_at = at
    ticket.call_seconds = int(request.form.get("CallDuration") or 0)
    before = ticket.state
    ticket.state = callflow.after_hangup(before)
    tickets.release(session, ticket.id)
    for attempt in ticket.attempts:
        if attempt.ended_at is None and attempt.outcome == "accepted":
            # the caller hung up a bridged call; the dial result, if it comes, has the exact time
            attempt.ended_at = at
            attempt.talk_seconds = ticket.bridged_seconds = int(
                (at - (ticket.accepted_at or at)).total_seconds()
            )
        elif attempt.ended_at is None:
            attempt.outcome, attempt.ended_at = "canceled", at
    tickets.log(session, ticket, at, "call ended", status=call_status, seconds=ticket.call_seconds)
    if ticket.state == callflow.ABANDONED:
        tickets.log(session, ticket, at, "abandoned", during=before)
        _tell_missed(session, ticket)
    session.commit()
    return empty()


def _tell_missed(session: Session, ticket: Ticket) -> None:
    """A customer tried to call and hung up: the on-call engineer hears of it, with the number
    (the support mailbox when the rota has nobody)."""
    chain = ticket.chain or roster.chain_for(session, ticket.customer, ticket.arrived_at).to_json()
    first = next((e for e in chain if e.get("engineer")), None)
    body = (
        f"Verpasster Notruf #{ticket.id}: {tickets.who(ticket)} ({tickets.caller(ticket)}) hat "
        f"aufgelegt, bevor jemand angenommen hat. Bitte zurückrufen."
    )
    if first is not None:
        notify.enqueue_sms(session, first["number"], body, f"missed:{ticket.id}", ticket.id)
        return
    provider = Provider.one(session)
    if provider and provider.support_email:
        notify.enqueue_email(
            session,
            provider.support_email,
            body,
            body,
            key=f"missed:{ticket.id}",
            ticket_id=ticket.id,
        )


# --- repeated requests ---------------------------------------------------------------------


def _answers(ticket: Ticket, kind: str) -> int:
    """How many answers of this kind the caller already gave (the event log counts them)."""
    return sum(event.kind == kind for event in ticket.events)


def _answered(ticket: Ticket, state: str, kind: str, attempt: int) -> bool:
    """True when this request repeats one already handled (Twilio retries) or comes too late."""
    return ticket.state != state or _answers(ticket, kind) >= attempt


def _where(ticket: Ticket) -> Step:
    """The question a ticket is waiting at."""
    if ticket.state == callflow.IDENTIFYING:
        if ticket.customer is not None:
            return AskPin(_answers(ticket, PIN) + 1)
        return AskCustomerNumber(_answers(ticket, CUSTOMER_NUMBER) + 1)
    return AskConfirmation(_answers(ticket, CONFIRMATION) + 1)


def _resume(session: Session, ticket: Ticket) -> VoiceResponse:
    """Answer a repeated or late request with where the call is now; store nothing new."""
    if ticket.state in (callflow.IDENTIFYING, callflow.CONFIRMING):
        return steps.render(_where(ticket), ticket, session)
    if ticket.state == callflow.RINGING:
        ringing = next((a for a in reversed(ticket.attempts) if a.outcome == "ringing"), None)
        if ringing is not None:
            entry = (ticket.chain or [])[ringing.entry]
            return steps.dial(ticket, ringing, int(entry["timeout"]))
        response = _walk(session, ticket)
        session.commit()
        return response
    if ticket.state == callflow.VOICEMAIL:
        return steps.render(Voicemail("repeat"), ticket, session)
    return twiml.goodbye(text("goodbye", ticket.language), ticket.language)

"""The engineer's leg: the whisper (who is calling) and the key press that accepts.

These requests run on the child leg (`CallSid` is the engineer's leg, `ParentCallSid` the
customer's); the ticket and attempt come from the signed query string.
"""

from __future__ import annotations

from flask import Response, current_app, request
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from hotline import db, notify, phones, tickets
from hotline.clock import now
from hotline.models import Attempt, Ticket
from hotline.voice import twiml, voice
from hotline.voice.fallback import engineer_fallback
from hotline.voice.guard import webhook
from hotline.voice.prompts import text


def _attempt(session: Session) -> tuple[Ticket, Attempt]:
    ticket = session.get(Ticket, int(request.args["ticket"]))
    parent = request.form.get("ParentCallSid")
    if ticket is None or (parent and parent != ticket.call_sid):
        raise LookupError(f"ticket {request.args.get('ticket')} is not this call's")
    seq = int(request.args["attempt"])
    attempt = next(a for a in ticket.attempts if a.seq == seq)
    return ticket, attempt


def _hangup(words: str | None = None) -> Response:
    response = VoiceResponse()
    if words:
        twiml.say(response, words)
    response.hangup()
    return twiml.reply(response)


@voice.post("/whisper")
@webhook(engineer_fallback)
def whisper() -> Response:
    session = db.session()
    ticket, attempt = _attempt(session)
    if attempt.outcome != "ringing" or ticket.accepted_attempt_id is not None:
        return _hangup(text("taken"))
    if attempt.answered_at is None:
        attempt.answered_at = now()
        attempt.child_call_sid = request.form.get("CallSid")
        tickets.log(session, ticket, attempt.answered_at, "answered", attempt=attempt.seq)
        session.commit()
    caller = phones.spoken(ticket.from_number) if ticket.from_number else "unterdrückt"
    customer = ticket.customer.name if ticket.customer else text("unknown_caller")
    words = text("whisper", customer=customer, caller=caller)
    accept = twiml.url("accept", ticket=ticket.id, attempt=attempt.seq)
    return twiml.reply(
        twiml.whisper(words, accept, timeout=current_app.config["HOTLINE_WHISPER_TIMEOUT"])
    )


@voice.post("/accept")
@webhook(engineer_fallback)
def accept() -> Response:
    session = db.session()
    ticket, attempt = _attempt(session)
    digits = request.form.get("Digits", "")
    at = now()
    if digits == "1" and ticket.accepted_attempt_id == attempt.id:
        return _bridge()  # Twilio repeated the key press
    if digits == "1" and attempt.outcome == "ringing" and ticket.ended_at is None:
        if not tickets.accept(session, ticket, attempt, at):
            session.commit()
            return _hangup(text("taken"))
        attempt.outcome = "accepted"
        engineer = attempt.engineer.key if attempt.engineer else None
        tickets.log(session, ticket, at, "accepted", attempt=attempt.seq, engineer=engineer)
        _tell_accepted(session, ticket, attempt)
        session.commit()
        return _bridge()
    if digits == "2" and attempt.outcome == "ringing":
        attempt.outcome = "declined"
        tickets.log(session, ticket, at, "declined", attempt=attempt.seq)
        session.commit()
    return _hangup()


def _bridge() -> Response:
    """A document that ends without `<Hangup/>`: Twilio bridges the engineer to the caller."""
    response = VoiceResponse()
    twiml.say(response, text("accepted"))
    return twiml.reply(response)


def _tell_accepted(session: Session, ticket: Ticket, attempt: Attempt) -> None:
    """The accepting engineer gets the ticket summary by SMS (sent by the worker)."""
    body = (
        f"Notfall #{ticket.id} angenommen: {tickets.who(ticket)}, "
        f"Anrufer {tickets.caller(ticket)}. "
        f"{tickets.link(ticket, attempt.engineer.key if attempt.engineer else None)}"
    )
    notify.enqueue_sms(session, attempt.number, body, f"accepted:{ticket.id}", ticket.id)

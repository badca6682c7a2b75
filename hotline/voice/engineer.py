"""The engineer's leg: the whisper (who is calling) and the key press that accepts.

These requests run on the child leg (`CallSid` is the engineer's leg, `ParentCallSid` the
customer's); the ticket and attempt come from the signed query string.
"""

from __future__ import annotations

from flask import Response, request

from escalation import callflow
from hotline import calls, db
from hotline.clock import now
from hotline.models import Ticket
from hotline.voice import twiml, voice
from hotline.voice.context import context
from hotline.voice.fallback import engineer_fallback
from hotline.voice.guard import number, param, webhook


def _ticket() -> Ticket:
    return calls.load(db.session(), request.args.get("ticket"), param("ParentCallSid", 64))


@voice.post("/whisper")
@webhook(engineer_fallback)
def whisper() -> Response:
    ticket = _ticket()
    step = callflow.whisper(calls.view(ticket), number("attempt", "args") or 0)
    step = calls.apply(db.session(), ticket, step, now(), child_call_sid=param("CallSid", 64))
    return twiml.render(step.action, context(db.session(), ticket, step.action))


@voice.post("/accept")
@webhook(engineer_fallback)
def accept() -> Response:
    ticket, seq = _ticket(), number("attempt", "args") or 0
    won = calls.attempt(ticket, seq)
    engineer = won.engineer.key if won and won.engineer else None
    step = callflow.key(calls.view(ticket), seq, param("Digits", 8), engineer)
    step = calls.apply(db.session(), ticket, step, now())
    return twiml.render(step.action, context(db.session(), ticket, step.action))

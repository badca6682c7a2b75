"""The engineer's leg: the whisper (who is calling) and the key press that accepts.

These requests run on the child leg (`CallSid` is the engineer's leg, `ParentCallSid` the
customer's); the ticket and attempt come from the signed query string.
"""

from __future__ import annotations

from flask import Response, request

from escalation import callflow
from hotline import calls, db
from hotline.clock import now
from hotline.models import Leg, Ticket
from hotline.voice import twiml, voice
from hotline.voice.context import context
from hotline.voice.fallback import engineer_fallback
from hotline.voice.guard import number, param, webhook


def _ticket() -> Ticket:
    return calls.load(db.session(), request.args.get("ticket"),
                      param("ParentCallSid", 64) or request.args.get("call"))  # fmt: skip


def placed_leg(ticket: Ticket) -> Leg | None:
    """A conference leg (placed through the REST API) names itself in its signed URL; it must be
    the ticket's, and the call asking must be it."""
    if "leg" not in request.args:
        return None
    leg = db.session().get(Leg, number("leg", "args") or 0)
    sid = param("CallSid", 64)
    if leg is None or leg.ticket_id != ticket.id or (leg.call_sid and sid and leg.call_sid != sid):
        raise LookupError(f"leg {request.args.get('leg')} is not a leg of ticket {ticket.id}")
    leg.call_sid = leg.call_sid or sid or None
    return leg


@voice.post("/whisper")
@webhook(engineer_fallback)
def whisper() -> Response:
    ticket = _ticket()
    leg = placed_leg(ticket)
    step = callflow.whisper(calls.view(ticket), number("attempt", "args") or 0)
    step = calls.apply(db.session(), ticket, step, now(), child_call_sid=param("CallSid", 64))
    return twiml.render(step.action, context(db.session(), ticket, step.action,
                                             leg.id if leg else None))  # fmt: skip


@voice.post("/accept")
@webhook(engineer_fallback)
def accept() -> Response:
    ticket, seq = _ticket(), number("attempt", "args") or 0
    leg = placed_leg(ticket)
    if leg is not None:
        leg.pressed = param("Digits", 8) or None
    won = calls.attempt(ticket, seq)
    engineer = won.engineer.key if won and won.engineer else None
    step = callflow.key(calls.view(ticket), seq, param("Digits", 8), engineer)
    step = calls.apply(db.session(), ticket, step, now())
    return twiml.render(step.action, context(db.session(), ticket, step.action,
                                             leg.id if leg else None))  # fmt: skip

"""The call-back's webhooks: the engineer's call (placed by the REST API, or a re-page call whose
engineer pressed 2) offers 1 to dial the customer; the customer's leg is dialled with the
central number as caller ID, so the customer sees the hotline and the engineer's own number
stays private; its end keeps the talk time on the leg and the ticket (hotline/callback.py).
"""

from __future__ import annotations

from flask import Response
from twilio.twiml.voice_response import VoiceResponse

from escalation import callback as rules
from hotline import callback, db, dialer, phones
from hotline.clock import now
from hotline.voice import voice
from hotline.voice.guard import number, param, webhook
from hotline.voice.prompts import text
from hotline.voice.repage import MENU_TIMEOUT, leg_url, load, sorry
from hotline.voice.twiml import reply, say

RING = 30  # seconds the customer's phone rings


@voice.post("/callback")
@webhook(sorry)
def callback_menu() -> Response:
    """The engineer picked up (or pressed 2 in a re-page call): whom 1 calls."""
    session = db.session()
    ticket, leg = load()
    to = callback.to(session, ticket)
    response = VoiceResponse()
    if to is None:
        say(response, text("callback_none"))
        response.hangup()
        return reply(response)
    customer = ticket.customer.name if ticket.customer else text("unknown_caller")
    words = text("callback_menu", ticket=str(ticket.id), customer=customer,
                 number=phones.spoken(to))  # fmt: skip
    gather = response.gather(num_digits=1, timeout=MENU_TIMEOUT,
                             action=leg_url("callback_key", ticket, leg))  # fmt: skip
    say(gather, words)
    say(gather, words)
    response.hangup()
    return reply(response)


@voice.post("/callback-key")
@webhook(sorry)
def callback_key() -> Response:
    """1 dials the customer from the central number; anything else hangs up."""
    session = db.session()
    ticket, leg = load()
    digits = param("Digits", 8)
    leg.pressed = digits or None
    to = callback.to(session, ticket)
    response = VoiceResponse()
    if not rules.pressed(digits) or to is None:
        response.hangup()
        return reply(response)
    say(response, text("connecting"))
    dial = response.dial(caller_id=dialer.central(session, ticket), timeout=RING,
                         action=leg_url("callback_done", ticket, leg))  # fmt: skip
    dial.number(to)
    return reply(response)


@voice.post("/callback-done")
@webhook(sorry)
def callback_done() -> Response:
    """The customer's leg ended: keep how long they talked."""
    session = db.session()
    ticket, leg = load()
    status = param("DialCallStatus", 16)
    callback.talked(session, leg, status, number("DialCallDuration") or 0, now())
    response = VoiceResponse()
    say(response, text("callback_done" if leg.talk_seconds else "callback_unreached"))
    response.hangup()
    return reply(response)

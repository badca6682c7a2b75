"""The re-page call's webhooks: an engineer called about a voicemail nobody took.

`/repage` is the call's TwiML when they pick up: who left it and how long ago, then 1 to hear
it, 2 to take the call-back, 3 to pass it on (escalation/repage.py decides; hotline/repage.py
places the calls). 2 goes on into the call-back menu on the same call (hotline/voice/callback.py).
The requests run on a leg the REST API placed: its signed URL names the ticket, the leg and the
caller's CallSid (their lock); any failure answers a short word and hangs up, never a stack
trace, and the leg's end rings the next phone.
"""

from __future__ import annotations

from flask import Response, request
from twilio.twiml.voice_response import VoiceResponse

from escalation import repage as rules
from escalation.callflow import Kind
from escalation.repage import Heard
from hotline import calls, db, phones, tickets
from hotline import repage as paging
from hotline.clock import now
from hotline.models import Engineer, Leg, Ticket
from hotline.voice import voice
from hotline.voice.guard import number, param, webhook
from hotline.voice.prompts import text, waited
from hotline.voice.twiml import reply, say, url

MENU_TIMEOUT = 8  # seconds to press a key after the menu (it is said twice)


def sorry() -> Response:
    """Any failure on an engineer's re-page or call-back call: a short word, hang up (no
    database: the SMS link still opens the ticket)."""
    response = VoiceResponse()
    say(response, text("engineer_failure"))
    response.hangup()
    return reply(response)


def load() -> tuple[Ticket, Leg]:
    """The ticket and the leg the signed URL names; the leg must be the ticket's, and the call
    asking must be it."""
    ticket = calls.load(db.session(), request.args.get("ticket"), request.args.get("call"))
    leg = db.session().get(Leg, number("leg", "args") or 0)
    sid = param("CallSid", 64)
    if leg is None or leg.ticket_id != ticket.id or (leg.call_sid and sid and leg.call_sid != sid):
        raise LookupError(f"leg {request.args.get('leg')} is not a leg of ticket {ticket.id}")
    leg.call_sid = leg.call_sid or sid or None
    leg.answered_at = leg.answered_at or now()  # its TwiML is asked for: it was answered
    return ticket, leg


def leg_url(endpoint: str, ticket: Ticket, leg: Leg, **more: int | str) -> str:
    return url(endpoint, ticket=ticket.id, leg=leg.id, call=ticket.call_sid, **more)


def _still(ticket: Ticket, leg: Leg) -> bool:
    taken = ticket.acknowledged_by_id
    taker = db.session().get(Engineer, taken) if taken else None
    return rules.waiting(
        ticket.state == "callback_pending" and ticket.resolved_at is None,
        taker.key if taker else None,
        leg.engineer.key if leg.engineer else None,
    )


@voice.post("/repage")
@webhook(sorry)
def repage() -> Response:
    ticket, leg = load()
    return _render(rules.answered(_still(ticket, leg)), ticket, leg)


@voice.post("/repage-key")
@webhook(sorry)
def repage_key() -> Response:
    session, at = db.session(), now()
    ticket, leg = load()
    digits = param("Digits", 8)
    leg.pressed = digits or None
    heard = rules.pressed(digits, _still(ticket, leg), bool(ticket.voicemail_url))
    who = leg.engineer.key if leg.engineer else None
    if heard is Heard.TAKE and leg.engineer is not None:
        taker = tickets.acknowledge(session, ticket, leg.engineer, at)
        heard = rules.took(taker.id == leg.engineer.id)
    elif heard is Heard.PASS:
        tickets.log(session, ticket, at, Kind.PASSED_ON, engineer=who, leg=leg.id)
    return _render(heard, ticket, leg)


def _render(heard: Heard, ticket: Ticket, leg: Leg) -> Response:
    response = VoiceResponse()
    if heard is Heard.MENU:
        customer = ticket.customer.name if ticket.customer else text("unknown_caller")
        caller = phones.spoken(ticket.from_number) if ticket.from_number else "unterdrückt"
        ago = int((now() - paging.left_at(ticket)).total_seconds())
        words = text("repage", customer=customer, caller=caller, ago=waited(ago, "de"))
        gather = response.gather(num_digits=1, timeout=MENU_TIMEOUT,
                                 action=leg_url("repage_key", ticket, leg))  # fmt: skip
        say(gather, words)
        say(gather, words)
        response.hangup()  # silence (a voicemail box) takes nothing: the next phone rings
    elif heard is Heard.PLAY:
        response.play(ticket.voicemail_url or "")
        response.redirect(leg_url("repage", ticket, leg, heard=1))
    elif heard is Heard.TAKE:
        response.redirect(leg_url("callback_menu", ticket, leg))
    else:
        say(response, text("repage_passed" if heard is Heard.PASS else "repage_taken"))
        response.hangup()
    return reply(response)

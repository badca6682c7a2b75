"""The conference bridge's webhooks (escalation/bridge.py decides, hotline/dialer.py places).

The caller's leg: `/bridge` (are the legs placed? hold, or ring by `<Dial>`), `/bridge-ended`
(the conference is over for the caller, or the caller was moved: where the call is now),
`/hold` (the conference's wait document). The REST-placed legs: `/leg` (a leg's status
callback), `/conference` (who joined and left), `/star` and `/pull` (an engineer pressed `*`
and chose whom to pull in), `/invite` and `/invited` (the pulled-in engineer's screen).
"""

from __future__ import annotations

from flask import Response, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from escalation import bridge, callflow
from escalation.callflow import CallStatus
from hotline import calls, db, dialer, tickets
from hotline.clock import now
from hotline.models import Leg, Ticket
from hotline.voice import twiml, voice
from hotline.voice.context import context
from hotline.voice.engineer import placed_leg
from hotline.voice.fallback import caller_fallback, empty, rejoin
from hotline.voice.guard import number, param, public_url, webhook
from hotline.voice.prompts import text


def _ticket() -> Ticket:
    return calls.load(db.session(), request.args.get("ticket"), request.args.get("call"))


def _leg(ticket: Ticket) -> Leg:
    found = placed_leg(ticket)
    if found is None:
        raise LookupError(f"a conference request of ticket {ticket.id} names no leg")
    return found


def _answer(ticket: Ticket, step: callflow.Step, leg: Leg | None = None) -> Response:
    action = step.action
    return twiml.render(action, context(db.session(), ticket, action, leg.id if leg else None))


def waiting() -> Response:
    """The wait document without the database: music, then ask again."""
    response = VoiceResponse()
    twiml.say(response, text("hold_first"))
    response.play(current_app.config["HOTLINE_HOLD_MUSIC"])
    response.redirect(public_url())  # the URL Twilio signs, not the one a proxy passed on
    return Response(str(response), mimetype="text/xml")


# --- the caller's leg ------------------------------------------------------------------------


@voice.post("/bridge", endpoint="bridge")
@webhook(caller_fallback)
def check() -> Response:
    ticket = _ticket()
    step = bridge.check(calls.view(ticket), number("try", "args") or 1)
    return _answer(ticket, calls.apply(db.session(), ticket, step, now()))


@voice.post("/bridge-ended")
@webhook(caller_fallback)
def bridge_ended() -> Response:
    ticket = _ticket()
    return _answer(ticket, calls.apply(db.session(), ticket, callflow.where(calls.view(ticket)),
                                       now()))  # fmt: skip


@voice.post("/hold")
@webhook(waiting, store=False)
def hold() -> Response:
    session, ticket = db.session(), _ticket()
    tried = [leg.status for leg in ticket.legs if leg.purpose == dialer.CALLER
             and leg.status in ("completed", "error")]  # fmt: skip
    step = bridge.wait(calls.view(ticket), bool(tried) and tried[-1] == "error")
    calls.apply(session, ticket, step, now())
    dialer.kick(current_app._get_current_object())  # type: ignore[attr-defined]  # what is left
    stranded = isinstance(step.action, callflow.Hold) and step.action.stranded
    return twiml.reply(twiml.hold_music(context(session, ticket, step.action), stranded))


# --- what Twilio reports ---------------------------------------------------------------------


@voice.post("/leg")
@webhook(empty)
def leg() -> Response:
    """A placed leg's status callback: ringing, answered, or how it ended."""
    session, ticket = db.session(), _ticket()
    found, at = _leg(ticket), now()
    status = param("CallStatus", 16)
    found.call_sid = found.call_sid or param("CallSid", 64) or None
    if not dialer.reported(session, found, status, number("CallDuration"), at):
        return empty()
    others = any(
        other.joined_at and not other.left_at and other.id != found.id for other in ticket.legs
    )
    if found.purpose == dialer.RING and found.attempt is not None:
        step = bridge.leg_ended(calls.view(ticket), found.attempt.seq, CallStatus.parse(status),
                                found.pressed == "2", others)  # fmt: skip
        calls.apply(session, ticket, step, at, dial_status=status[:16],
                    child_call_sid=found.call_sid, talk_seconds=_talked(found))  # fmt: skip
    elif found.purpose == dialer.WARM:
        if found.engineer_id is not None:
            calls.release(session, ticket.id, found.engineer_id)
        calls.apply(session, ticket, bridge.warm_ended(calls.view(ticket), others), at)
    return empty()


def _talked(leg: Leg) -> int:
    if leg.joined_at is None:
        return 0
    return int(((leg.left_at or now()) - leg.joined_at).total_seconds())


@voice.post("/conference")
@webhook(empty)
def conference() -> Response:
    """The conference's events: who joined and who left, on the ticket's legs and timeline."""
    session, ticket, at = db.session(), _ticket(), now()
    event, sid = param("StatusCallbackEvent", 32), param("CallSid", 64)
    found = next((leg for leg in ticket.legs if leg.call_sid and leg.call_sid == sid), None)
    if found is None:  # the caller's own leg (or a second phone of the line)
        return empty()
    who = found.engineer.key if found.engineer else None
    if event == "participant-join" and (found.joined_at is None or found.left_at):
        found.joined_at, found.left_at = found.joined_at or at, None  # back after `*`
        tickets.log(session, ticket, at, callflow.Kind.JOINED, engineer=who, leg=found.id)
    elif event == "participant-leave" and found.joined_at and found.left_at is None:
        found.left_at = at
        note = bridge.left(who, _talked(found))
        tickets.log(session, ticket, at, note.kind, **note.detail, leg=found.id)
    return empty()


# --- the engineers' legs ---------------------------------------------------------------------


@voice.post("/star")
@webhook(rejoin)
def star() -> Response:
    ticket = _ticket()
    found = _leg(ticket)
    return _answer(ticket, bridge.star(calls.view(ticket)), found)


@voice.post("/pull")
@webhook(rejoin)
def pull() -> Response:
    """The `*` menu's answer: call the next person of the chain, or the project lead."""
    session, ticket, at = db.session(), _ticket(), now()
    found, digits = _leg(ticket), param("Digits", 8)
    entries = ticket.frozen_chain().entries
    accepted = calls.attempt(ticket, calls.view(ticket).accepted or 0)
    shapes = [bridge.Entry(e.level, e.ring, e.engineer) for e in entries]
    start = accepted.entry if accepted else -1
    index = bridge.pull(shapes, start, calls.in_bridge(ticket), digits)
    chosen = entries[index] if index is not None else None
    step = bridge.pulled(calls.view(ticket), digits, chosen.engineer if chosen else None,
                         chosen.name if chosen else "",
                         found.engineer.key if found.engineer else None)  # fmt: skip
    if chosen is not None and step.notes:  # pulled in: their leg is placed after the commit
        calls.pull_in(session, ticket, chosen, at)
    return _answer(ticket, calls.apply(session, ticket, step, at), found)


@voice.post("/invite")
@webhook(rejoin)
def invite() -> Response:
    """A pulled-in engineer answered: who calls, who asks them in."""
    ticket = _ticket()
    found = _leg(ticket)
    colleague = ticket.accepted_by.name if ticket.accepted_by else text("a_colleague")
    return _answer(ticket, bridge.invite(calls.view(ticket), colleague), found)


@voice.post("/invited")
@webhook(rejoin)
def invited() -> Response:
    session, ticket = db.session(), _ticket()
    found = _leg(ticket)
    found.pressed = param("Digits", 8) or None
    step = bridge.invited(calls.view(ticket), param("Digits", 8))
    return _answer(ticket, calls.apply(session, ticket, step, now()), found)

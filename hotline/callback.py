"""The call-back bridge: the hotline calls the engineer, then the customer, from the central number.

`start` (the ticket page's "Zurückrufen") takes the call-back when it is still open, holds the
engineer for this ticket and queues the call to their phone (hotline/dialer.py places it after
the commit). Its TwiML (hotline/voice/callback.py) offers 1 to dial the customer with
`<Dial callerId=CENTRAL>`: the customer sees the hotline, the engineer's number stays private.
A re-page call whose engineer pressed 2 goes on into the same menu. `talked` keeps what Twilio
reports of the customer's leg: the leg's talk seconds, the ticket's `callback_seconds` (phone
time in billing) and, for a voicemail nobody had accepted, the acceptance (escalation/callback.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from escalation import callback
from escalation.callflow import Kind
from hotline import calls, dialer, roster, tickets
from hotline.models import Engineer, Leg, Ticket

CALLBACK = "callback"  # the dialer's purpose of a call-back
ENDPOINT = "callback_menu"  # the voice handler its TwiML comes from (hotline/voice/callback.py)
RING = 30  # seconds the engineer's phone rings
# The engineer is held for this ticket while the call-back may run (Twilio's longest call).
HOLD = calls.LONGEST_CALL


class Refused(Exception):
    """A call-back that cannot start; the message says why, in German, for the page."""


def ticket_view(session: Session, ticket: Ticket) -> callback.Ticket:
    customer = ticket.customer
    taker = session.get(Engineer, ticket.acknowledged_by_id) if ticket.acknowledged_by_id else None
    return callback.Ticket(
        ended=ticket.ended_at is not None,
        resolved=ticket.resolved_at is not None,
        taken_by=taker.key if taker else None,
        caller=ticket.from_number,
        customer_numbers=tuple(
            p.value for p in (customer.phones if customer else []) if p.kind == "number"
        ),
    )


def to(session: Session, ticket: Ticket) -> str | None:
    """The customer's number this ticket's call-back dials."""
    return callback.number(ticket_view(session, ticket))


def live(ticket: Ticket) -> list[str]:
    """The numbers this ticket's legs are calling right now."""
    return [leg.to_number for leg in ticket.legs if leg.ended_at is None and leg.status != "error"]


def start(session: Session, ticket: Ticket, engineer: Engineer, now: datetime) -> Leg:
    """Call `engineer` to call the customer back (the caller checked `callback.may`)."""
    if not dialer.available():
        raise Refused("Zurückrufen über die Hotline braucht ein Twilio-Konto (TWILIO_ACCOUNT_SID).")
    phone = callback.phone(roster.people(session).get(engineer.key))
    if phone is None:
        raise Refused("Für Sie ist keine Telefonnummer hinterlegt.")
    if callback.busy(phone, live(ticket)):
        raise Refused("Ihr Telefon klingelt schon für diesen Notfall: bitte nehmen Sie dort ab.")
    if not calls.claim(session, engineer.id, ticket.id, now, now + HOLD):
        raise Refused("Sie sind gerade in einem anderen Notfall.")
    if ticket.state == "callback_pending" and ticket.acknowledged_at is None:
        tickets.acknowledge(session, ticket, engineer, now)  # starting it takes the call-back
    leg = dialer.place(session, ticket, CALLBACK, phone, ENDPOINT, now, engineer_id=engineer.id,
                       timeout=RING)  # fmt: skip
    tickets.log(session, ticket, now, Kind.CALLBACK, engineer=engineer.key, leg=leg.id)
    return leg


def talked(session: Session, leg: Leg, status: str, seconds: int, now: datetime) -> None:
    """The customer's leg of a call-back ended (the `<Dial>` action): keep the talk time."""
    if leg.talk_seconds is not None:
        return  # Twilio repeated the action
    ticket = leg.ticket
    leg.talk_seconds = seconds if status == "completed" else 0
    if leg.talk_seconds:
        leg.joined_at, leg.left_at = now - timedelta(seconds=leg.talk_seconds), now
    ticket.callback_seconds = sum(x.talk_seconds or 0 for x in ticket.legs) or None
    who = leg.engineer.key if leg.engineer else None
    if callback.accepts(ticket.accepted_at is not None, leg.talk_seconds) and leg.joined_at:
        ticket.accepted_at, ticket.accepted_by_id = leg.joined_at, leg.engineer_id
        tickets.log(session, ticket, now, Kind.ACCEPTED, engineer=who, via="call-back")
    tickets.log(session, ticket, now, Kind.CALLED_BACK, engineer=who, status=status,
                seconds=leg.talk_seconds, leg=leg.id)  # fmt: skip


def ended(session: Session, leg: Leg, now: datetime) -> None:
    """A call-back's own call ended (the dialer's hook): the engineer is free again."""
    if leg.engineer_id is not None:
        calls.release(session, leg.ticket_id, leg.engineer_id)


dialer.ENDED[CALLBACK] = dialer.NOT_PLACED[CALLBACK] = ended

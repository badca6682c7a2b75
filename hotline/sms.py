"""Two-way SMS: an engineer replies 1 or OK to a voicemail SMS and takes the call-back.

`POST /sms/incoming` is the number's Messaging webhook, signed like every Twilio webhook and
answered through the same guard (a retried request gets the same answer). The reply goes to the
newest open voicemail this number was told about; everyone else on its chain hears who took it.
"""

from __future__ import annotations

from flask import Blueprint, Response
from sqlalchemy import select
from twilio.twiml.messaging_response import MessagingResponse

from escalation import replies
from escalation.callflow import State
from hotline import db, phones, tickets
from hotline.clock import now
from hotline.models import Engineer, Message, Ticket
from hotline.voice.guard import param, webhook

sms = Blueprint("sms", __name__, url_prefix="/sms")

UNKNOWN = "Diese Nummer gehört zu keinem Techniker des Notdienstes."
NOTHING = "Es wartet gerade kein Rückruf auf Sie."
HOW = "Antworten Sie mit 1 oder OK, um den Rückruf zu übernehmen."


def _answer(words: str) -> Response:
    response = MessagingResponse()
    response.message(words)
    return Response(str(response), mimetype="text/xml")


def _quiet() -> Response:
    return Response(str(MessagingResponse()), mimetype="text/xml")


@sms.post("/incoming")
@webhook(_quiet)
def incoming() -> Response:
    session = db.session()
    number = phones.caller_id(param("From"))
    engineer = session.scalar(select(Engineer).where(Engineer.mobile == number)) if number else None
    if engineer is None:
        return _answer(UNKNOWN)
    if not replies.takes(param("Body", 160)):
        return _answer(HOW)
    ticket = session.scalar(
        select(Ticket)
        .join(Message, Message.ticket_id == Ticket.id)
        .where(Message.to == number, Message.dedupe_key.like("voicemail:%"),
               Ticket.state == State.CALLBACK_PENDING)
        .order_by(Ticket.arrived_at.desc())
        .limit(1)
    )  # fmt: skip
    if ticket is None:
        return _answer(NOTHING)
    taker = tickets.acknowledge(session, ticket, engineer, now())
    if taker.id != engineer.id:
        return _answer(f"Den Rückruf zu Notfall #{ticket.id} hat bereits {taker.name} übernommen.")
    return _answer(f"Danke, {engineer.name}: Sie rufen zu Notfall #{ticket.id} zurück. "
                   f"{tickets.link(ticket, engineer.key)}")  # fmt: skip

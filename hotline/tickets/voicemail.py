"""A voicemail waiting for a call-back: announced to the whole chain, announced again every
HOTLINE_REANNOUNCE_MINUTES until an engineer acknowledges it. The words are in
hotline/templates/ (sms/voicemail, email/voicemail)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from escalation import callflow
from hotline import db, notify, texts
from hotline.clock import local, zone
from hotline.models import Engineer, Provider, Ticket
from hotline.tickets.messages import link
from hotline.tickets.store import log

logger = logging.getLogger(__name__)


def chain_people(session: Session, ticket: Ticket) -> dict[str, str]:
    """Everybody in the frozen chain plus the customer's project lead: mobile -> engineer key.

    A call that never got as far as freezing its chain (it fell to the fallback before the
    confirmation) is told to the chain as it stood when the call came in. SMS go to an
    engineer's mobile, never to the further phones the chain may ring.
    """
    from hotline import roster

    entries = ticket.frozen_chain().entries
    if not entries:
        entries = roster.chain_for(session, ticket.customer, ticket.arrived_at).entries
    keys = list(dict.fromkeys(e.engineer for e in entries if e.engineer))
    mobiles = dict(
        session.execute(select(Engineer.key, Engineer.mobile).where(Engineer.key.in_(keys)))
        .tuples()
        .all()
    )
    people = {mobiles[k]: k for k in keys if mobiles.get(k)}
    customer = ticket.customer
    if customer and customer.team and customer.team.project_lead:
        lead = customer.team.project_lead
        if lead.mobile:
            people.setdefault(lead.mobile, lead.key)
    return people


def announce_voicemail(
    session: Session, ticket: Ticket, round_: int = 0, again: str | None = None
) -> int:
    """SMS to everyone in the chain and the project lead; `round_` > 0 re-announces; `again`
    (the CallSid of a repeat call) says the caller has just called again. Once an engineer
    has taken the call-back, only they are told that.

    A chain with nobody to text (an empty rota) must not swallow the voicemail: then the
    provider's support mailbox gets it, and the log says so loudly.
    """
    arrived = local(ticket.arrived_at, zone(session))
    people = chain_people(session, ticket)
    taker = session.get(Engineer, ticket.acknowledged_by_id) if ticket.acknowledged_by_id else None
    if again and taker is not None and taker.mobile:
        people = {taker.mobile: taker.key}
    which = f"again-{again}" if again else str(round_)
    reminder = round_ > 0 or again is not None
    sent = 0
    for number, key in people.items():
        body = texts.sms(
            "voicemail", ticket=ticket, arrived=arrived, reminder=reminder, again=bool(again),
            link=link(ticket, key),
        )  # fmt: skip
        sent += notify.enqueue_sms(
            session, number, body, f"voicemail:{ticket.id}:{which}:{number}", ticket.id
        )
    if not people:
        logger.error("voicemail on ticket %s: nobody in the chain to tell", ticket.id)
        mailbox = Provider.one(session)
        if mailbox and mailbox.support_email:
            mail = texts.email(
                "voicemail", ticket=ticket, arrived=arrived, reminder=reminder, again=bool(again),
                link=link(ticket),
            )  # fmt: skip
            sent += notify.enqueue_email(
                session, mailbox.support_email, mail.subject, mail.text,
                key=f"voicemail:{ticket.id}:{which}:mailbox", ticket_id=ticket.id,
            )  # fmt: skip
    return sent


def reannounce(session: Session, now: datetime) -> int:
    """Re-announce voicemails nobody has acknowledged yet, every HOTLINE_REANNOUNCE_MINUTES."""
    from flask import current_app

    every = timedelta(minutes=current_app.config["HOTLINE_REANNOUNCE_MINUTES"])
    pending = session.scalars(
        select(Ticket).where(
            Ticket.state == callflow.State.CALLBACK_PENDING, Ticket.acknowledged_at.is_(None)
        )
    ).all()
    sent = 0
    for ticket in pending:
        since = ticket.ended_at or ticket.arrived_at
        round_ = int((now - since) / every)
        if round_ >= 1:
            sent += announce_voicemail(session, ticket, round_)
    session.commit()
    return sent


def acknowledge(session: Session, ticket: Ticket, engineer: Engineer, now: datetime) -> Engineer:
    """An engineer acknowledges the voicemail: they call back (the page says "Rückruf
    übernommen"), re-announcing and the voice re-page stop, and everyone else who was told of it
    hears who took it.
    Returns who has the call-back: `engineer`, or whoever took it first (one conditional
    UPDATE: two takers at once, one winner)."""
    won = db.claim(
        session, Ticket, Ticket.id == ticket.id, Ticket.acknowledged_at.is_(None),
        acknowledged_at=now, acknowledged_by_id=engineer.id,
    )  # fmt: skip
    session.refresh(ticket)
    taker = session.get(Engineer, ticket.acknowledged_by_id) or engineer
    if not won:
        return taker
    log(session, ticket, now, callflow.Kind.ACKNOWLEDGED, engineer=engineer.key)
    from hotline import repage  # the voice re-page stops: its calls still ringing hang up

    repage.taken(session, ticket)
    for number, key in chain_people(session, ticket).items():
        if key != engineer.key:
            body = texts.sms("taken", ticket=ticket, engineer=engineer.name)
            notify.enqueue_sms(session, number, body, f"taken:{ticket.id}:{number}", ticket.id)
    return engineer

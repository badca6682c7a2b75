"""Emergency tickets: the timeline, the messages about a ticket, and the ticket read back.

The call itself (states, claims, accepting) is applied in hotline/calls.py.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from escalation import callflow
from hotline import db, links, notify
from hotline.clock import local, zone
from hotline.models import Attempt, Customer, Engineer, Event, Provider, Ticket

logger = logging.getLogger(__name__)


def get(session: Session, call_sid: str) -> Ticket | None:
    return session.scalar(select(Ticket).where(Ticket.call_sid == call_sid))


def find(session: Session, ident: str) -> Ticket | None:
    """By id or by CallSid, for the CLI and links."""
    if ident.isdigit():
        return session.get(Ticket, int(ident))
    return get(session, ident)


def log(session: Session, ticket: Ticket, at: datetime, kind: str, **detail: Any) -> None:
    """One line of the ticket's timeline; `kind` is one of `escalation.callflow.Kind`."""
    session.add(Event(ticket=ticket, at=at, kind=str(kind), detail=detail or None))


# --- messages about a ticket ---------------------------------------------------------------


def who(ticket: Ticket) -> str:
    return ticket.customer.name if ticket.customer else "unbekannter Anrufer"


def caller(ticket: Ticket) -> str:
    return ticket.from_number or "Rufnummer unterdrückt"


def link(ticket: Ticket, who: str | None = None) -> str:
    """The ticket page for one reader: the signed token in the URL is their access."""
    return links.ticket(ticket.id, who)


def chain_people(session: Session, ticket: Ticket) -> dict[str, str]:
    """Everybody in the frozen chain plus the customer's project lead: mobile -> engineer key."""
    entries = ticket.frozen_chain().entries
    people = {e.number: e.engineer for e in entries if e.engineer}
    customer = ticket.customer
    if customer and customer.team and customer.team.project_lead:
        lead = customer.team.project_lead
        if lead.mobile:
            people.setdefault(lead.mobile, lead.key)
    return people


def announce_voicemail(session: Session, ticket: Ticket, round_: int = 0) -> int:
    """SMS to everyone in the chain and the project lead; `round_` > 0 re-announces.

    A chain with nobody to text (an empty rota) must not swallow the voicemail: then the
    provider's support mailbox gets it, and the log says so loudly.
    """
    when = local(ticket.arrived_at, zone(session)).strftime("%d.%m. %H:%M")
    again = "ERINNERUNG: " if round_ else ""
    what = f"Notfall-Voicemail #{ticket.id} von {who(ticket)} ({caller(ticket)}), {when}."
    people = chain_people(session, ticket)
    sent = 0
    for number, key in people.items():
        body = f"{again}{what} Niemand hat angenommen. Bitte zurückrufen: {link(ticket, key)}"
        sent += notify.enqueue_sms(
            session, number, body, f"voicemail:{ticket.id}:{round_}:{number}", ticket.id
        )
    if not people:
        logger.error("voicemail on ticket %s: nobody in the chain to tell", ticket.id)
        mailbox = Provider.one(session)
        if mailbox and mailbox.support_email:
            sent += notify.enqueue_email(
                session, mailbox.support_email, f"{again}{what}",
                f"{what}\nNiemand war in der Bereitschaft erreichbar. Bitte zurückrufen.\n"
                f"{link(ticket)}\n",
                key=f"voicemail:{ticket.id}:{round_}:mailbox", ticket_id=ticket.id,
            )  # fmt: skip
    return sent


def tell_accepted(session: Session, ticket: Ticket, attempt: Attempt) -> None:
    """The accepting engineer gets the ticket summary by SMS (sent by the worker)."""
    body = (
        f"Notfall #{ticket.id} angenommen: {who(ticket)}, Anrufer {caller(ticket)}. "
        f"{link(ticket, attempt.engineer.key if attempt.engineer else None)}"
    )
    notify.enqueue_sms(session, attempt.number, body, f"accepted:{ticket.id}", ticket.id)


def tell_missed(session: Session, ticket: Ticket) -> None:
    """A customer tried to call and hung up (or the call was lost): the first engineer of the
    chain hears of it, with the number; the support mailbox when the rota has nobody."""
    from hotline import roster

    chain = ticket.frozen_chain()
    if not chain.entries:
        chain = roster.chain_for(session, ticket.customer, ticket.arrived_at)
    first = next((e for e in chain.entries if e.engineer), None)
    body = (
        f"Verpasster Notruf #{ticket.id}: {who(ticket)} ({caller(ticket)}) hat "
        f"aufgelegt, bevor jemand angenommen hat. Bitte zurückrufen."
    )
    if first is not None:
        notify.enqueue_sms(session, first.number, body, f"missed:{ticket.id}", ticket.id)
        return
    provider = Provider.one(session)
    if provider and provider.support_email:
        notify.enqueue_email(session, provider.support_email, body, body,
                             key=f"missed:{ticket.id}", ticket_id=ticket.id)  # fmt: skip


def forward_message(session: Session, ticket: Ticket) -> None:
    """A not-an-emergency message goes to the support mailbox as a normal request."""
    provider = Provider.one(session)
    if not (provider and provider.support_email):
        logger.error("message on ticket %s: no support mailbox to forward it to", ticket.id)
        return
    notify.enqueue_email(
        session, provider.support_email,
        f"Telefonnachricht von {who(ticket)} (kein Notfall)",
        f"Anrufer: {caller(ticket)}\nKunde: {who(ticket)}\n"
        f"Nachricht ({ticket.voicemail_seconds or '?'} s): {ticket.voicemail_url}\n"
        f"Ticket: {link(ticket)}\n",
        key=f"message:{ticket.id}", ticket_id=ticket.id,
    )  # fmt: skip


def reannounce(session: Session, now: datetime) -> int:
    """Re-announce voicemails nobody has taken yet, every HOTLINE_REANNOUNCE_MINUTES."""
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


def acknowledge(session: Session, ticket: Ticket, engineer: Engineer, now: datetime) -> None:
    """Someone takes the voicemail: re-announcing stops."""
    if ticket.acknowledged_at is None:
        ticket.acknowledged_at = now
        ticket.acknowledged_by_id = engineer.id
        log(session, ticket, now, callflow.Kind.ACKNOWLEDGED, engineer=engineer.key)


# --- reading a ticket ----------------------------------------------------------------------


def shown(at: datetime | None) -> str | None:
    """An instant as wall-clock time of the provider's zone in ISO form (with its offset), to
    the second, for people."""
    return local(at, zone(db.session())).replace(microsecond=0).isoformat() if at else None


def as_dict(ticket: Ticket) -> dict[str, Any]:
    """The whole ticket with its timeline, Berlin times, for `flask ticket --json`."""
    customer: Customer | None = ticket.customer
    return {
        "id": ticket.id,
        "call_sid": ticket.call_sid,
        "state": ticket.state,
        "caller_as_sent": ticket.from_raw,
        "caller": ticket.from_number,
        "customer": {"number": customer.number, "name": customer.name} if customer else None,
        "identified_by": ticket.identified_by,
        "language": ticket.language,
        "arrived_at": shown(ticket.arrived_at),
        "confirmed_at": shown(ticket.confirmed_at),
        "accepted_by": ticket.accepted_by.key if ticket.accepted_by else None,
        "accepted_at": shown(ticket.accepted_at),
        "bridged_seconds": ticket.bridged_seconds,
        "voicemail_url": ticket.voicemail_url,
        "voicemail_seconds": ticket.voicemail_seconds,
        "acknowledged_at": shown(ticket.acknowledged_at),
        "ended_at": shown(ticket.ended_at),
        "call_seconds": ticket.call_seconds,
        "resolved_at": shown(ticket.resolved_at),
        "chain": [asdict(e) for e in ticket.frozen_chain().entries],
        "chain_skipped": [asdict(s) for s in ticket.frozen_chain().skipped],
        "attempts": [
            {
                "seq": a.seq,
                "level": a.level,
                "engineer": a.engineer.key if a.engineer else None,
                "number": a.number,
                "started_at": shown(a.started_at),
                "answered_at": shown(a.answered_at),
                "ended_at": shown(a.ended_at),
                "outcome": a.outcome,
                "dial_status": a.dial_status,
                "ring_seconds": _seconds(a.started_at, a.answered_at or a.ended_at),
                "talk_seconds": a.talk_seconds,
            }
            for a in ticket.attempts
        ],
        "timeline": [
            {"at": shown(e.at), "event": e.kind, **(e.detail or {})} for e in ticket.events
        ],
    }


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    return int((end - start).total_seconds()) if start and end else None

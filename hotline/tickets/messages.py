"""The messages about a call, through the outbox: to the engineer who accepted it, about a caller
who hung up, and a message that is no emergency to the support mailbox. The words are in
hotline/templates/ (sms/accepted, sms/missed, email/missed, email/message); a ticket system
that takes messages gets them instead of the mailbox."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import links, notify, outbound, texts
from hotline.models import Attempt, Engineer, Provider, Ticket

logger = logging.getLogger(__name__)


def link(ticket: Ticket, who: str | None = None) -> str:
    """The ticket page for one reader: the signed token in the URL is their access."""
    return links.ticket(ticket.id, who)


def tell_accepted(session: Session, ticket: Ticket, attempt: Attempt) -> None:
    """The accepting engineer gets the ticket summary by SMS (sent by the worker), with the
    customer's IT documentation and emergency notes; the customer's fixed contact, when it is
    someone else, hears who has their customer's emergency (SMS and e-mail)."""
    reader = attempt.engineer.key if attempt.engineer else None
    body = texts.sms("accepted", ticket=ticket, link=link(ticket, reader))
    to = attempt.engineer.mobile if attempt.engineer else attempt.number  # never a landline
    if to:
        notify.enqueue_sms(session, to, body, f"accepted:{ticket.id}", ticket.id)
    contact = ticket.customer.contact if ticket.customer else None
    if contact is None or contact.id == attempt.engineer_id:
        return
    who = attempt.engineer.name if attempt.engineer else "die Ausfallnummer"
    context = {"ticket": ticket, "engineer": who, "contact": contact.name,
               "link": link(ticket, contact.key)}  # fmt: skip
    if contact.mobile:
        notify.enqueue_sms(session, contact.mobile, texts.sms("handled", **context),
                           f"handled:{ticket.id}", ticket.id)  # fmt: skip
    if contact.email:
        mail = texts.email("handled", **context)
        notify.enqueue_email(session, contact.email, mail.subject, mail.text,
                             key=f"handled-mail:{ticket.id}", ticket_id=ticket.id)  # fmt: skip


def tell_missed(session: Session, ticket: Ticket) -> None:
    """A customer tried to call and hung up (or the call was lost): the first engineer of the
    chain hears of it, with the number; the support mailbox when the rota has nobody."""
    from hotline import roster

    chain = ticket.frozen_chain()
    if not chain.entries:
        chain = roster.chain_for(session, ticket.customer, ticket.arrived_at)
    keys = [e.engineer for e in chain.entries if e.engineer]
    mobiles = dict(
        session.execute(select(Engineer.key, Engineer.mobile).where(Engineer.key.in_(keys)))
        .tuples()
        .all()
    )
    first = next((mobiles[k] for k in keys if mobiles.get(k)), None)  # SMS: mobiles only
    if first is not None:
        body = texts.sms("missed", ticket=ticket)
        notify.enqueue_sms(session, first, body, f"missed:{ticket.id}", ticket.id)
        return
    provider = Provider.one(session)
    if provider and provider.support_email:
        mail = texts.email("missed", ticket=ticket)
        notify.enqueue_email(session, provider.support_email, mail.subject, mail.text,
                             key=f"missed:{ticket.id}", ticket_id=ticket.id)  # fmt: skip


def forward_message(session: Session, ticket: Ticket, now: datetime) -> None:
    """A not-an-emergency message becomes a normal request: a ticket in the ticket system when
    one takes messages (hotline/outbound/), else an e-mail to the support mailbox."""
    if outbound.publish(session, ticket, "message.received", now):
        return
    mail_message(session, ticket)


def mail_message(session: Session, ticket: Ticket) -> None:
    """The message to the support mailbox (also when no ticket system took it after all)."""
    provider = Provider.one(session)
    if not (provider and provider.support_email):
        logger.error("message on ticket %s: no support mailbox to forward it to", ticket.id)
        return
    mail = texts.email("message", ticket=ticket, link=link(ticket))
    notify.enqueue_email(session, provider.support_email, mail.subject, mail.text,
                         key=f"message:{ticket.id}", ticket_id=ticket.id)  # fmt: skip

"""Working a ticket after the call: notes, and a customer for an unidentified caller.

The page, the API and the command line all come here, so a note or an assignment is written the
same way whoever makes it: into the ticket and its timeline, under the name of who did it.
Resolving (work minutes) is hotline/billing.py's `resolve`: it settles the ticket's appointments.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from escalation.callflow import Kind
from hotline.models import BillingLine, Customer, Ticket
from hotline.tickets.store import log

LONGEST_NOTE = 2000


class TicketError(ValueError):
    """A change the ticket's state does not allow; the message says why."""


def add_note(session: Session, ticket: Ticket, text: str, by: str, at: datetime) -> None:
    """Append a note to the ticket's notes (personal data: the retention period erases them);
    the timeline says who added one when, not what it says."""
    text = text.strip()
    if not text:
        raise TicketError("a note needs a text")
    if len(text) > LONGEST_NOTE:
        raise TicketError(f"a note has at most {LONGEST_NOTE} characters")
    ticket.notes = f"{ticket.notes}\n{text}" if ticket.notes else text
    log(session, ticket, at, Kind.NOTE_ADDED, by=by)


def assign_customer(
    session: Session, ticket: Ticket, customer: Customer, by: str, at: datetime
) -> None:
    """The customer of an unidentified caller, found out afterwards: so the emergency is billed
    to them in the next month-end run. A ticket that knows its customer keeps it."""
    if ticket.customer_id is not None:
        current = session.get(Customer, ticket.customer_id)
        name = f"{current.number} {current.name}" if current else str(ticket.customer_id)
        raise TicketError(f"ticket {ticket.id} already belongs to customer {name}")
    if session.scalar(select(BillingLine.id).where(BillingLine.ticket_id == ticket.id)):
        raise TicketError(f"ticket {ticket.id} is billed in a closed month")
    ticket.customer = customer
    ticket.identified_by = "assigned"
    log(session, ticket, at, Kind.CUSTOMER_ASSIGNED, customer=customer.number, by=by)

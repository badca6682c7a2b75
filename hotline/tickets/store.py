"""A ticket in the database: found by id or CallSid, and its timeline written line by line."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.models import Event, Ticket


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

"""What a TwiML document says besides its action, loaded for the renderer (which has no database).

The provider is read only for the actions that speak of it, so a known caller's path costs no
extra query.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from escalation import callflow
from escalation.callflow import Question
from hotline import urgent
from hotline.clock import now
from hotline.models import Provider, Ticket
from hotline.voice.twiml import Context, Dialled


def context(
    session: Session, ticket: Ticket, action: callflow.Action, leg: int | None = None
) -> Context:
    needs_provider = (
        isinstance(action, callflow.Refer | callflow.TakeMessage)
        or (isinstance(action, callflow.Ask) and action.question is Question.CUSTOMER_NUMBER)
        or (isinstance(action, callflow.Ring) and not ticket.to_number)
    )
    provider = (Provider.one(session) if needs_provider else None) or Provider(name="Notdienst")
    ring = current_app.config["HOTLINE_RING_TIMEOUT"]
    now_on = next((r for r in ticket.repeat_calls if r.call_sid == ticket.call_sid), None)
    first = (now_on.first_attempt if now_on else None) or 1
    placed = [a.seq for a in ticket.attempts if a.seq >= first and a.outcome != "not-placed"]
    first = min(placed, default=first)  # a conference leg the REST API refused never rang
    opening = next((a for a in ticket.attempts if a.seq == first), None)
    return Context(
        ticket=ticket.id,
        language=ticket.language or "de",
        customer=ticket.customer.name if ticket.customer else None,
        caller=ticket.from_number,
        central=ticket.to_number or provider.central_number,
        provider=provider.name,
        office=provider.office_number,
        support=provider.support_email or "",
        documented=bool(ticket.customer and ticket.customer.documentation_url),
        attempts={a.seq: Dialled(a.number, a.timeout or ring) for a in ticket.attempts},
        comes_back=(
            urgent.spoken(session, ticket, now())
            if isinstance(action, callflow.TakeMessage) and action.urgent
            else ""
        ),
        first=first,
        reconnect=bool(now_on and opening and opening.engineer_id == ticket.accepted_by_id),
        call=ticket.call_sid,
        leg=leg,
        waited=int((now() - (ticket.confirmed_at or now())).total_seconds()),
    )

"""Urgent, not an emergency (the caller pressed 3): a priority ticket for the customer's team,
whose e-mail goes out when its working hours begin. Nobody's phone rings.

When that is: escalation/urgent.py, from the provider's working hours and the public holidays
of the customer's team (its own region, else the provider's).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from escalation import urgent, wallclock
from hotline import appointments, notify, texts
from hotline.models import Provider, Ticket
from hotline.tickets.messages import link
from hotline.voice.prompts import when_back


def comes_back(session: Session, ticket: Ticket, now: datetime) -> urgent.ComesBack:
    plan = appointments.planning(session)
    team = ticket.customer.team if ticket.customer else None
    holidays = plan.holidays(team.holiday_region if team else None)
    return urgent.comes_back(now, plan.hours, plan.zone, holidays)


def spoken(session: Session, ticket: Ticket, now: datetime) -> str:
    """What the caller hears: "morgen ab 8:00 Uhr", "noch heute"..."""
    back = comes_back(session, ticket, now)
    zone = appointments.planning(session).zone
    return when_back(wallclock.wall(back.at, zone), wallclock.wall(now, zone), back.now,
                     ticket.language or "de")  # fmt: skip


def queue(session: Session, ticket: Ticket, now: datetime) -> int:
    """The team's e-mail about the priority ticket, each engineer with their own link, to go
    out when the team's working hours begin (at once within them). Without a customer's team:
    the support mailbox. Returns how many were queued."""
    back = comes_back(session, ticket, now)
    zone = appointments.planning(session).zone
    team = ticket.customer.team if ticket.customer else None
    people = [e for e in team.engineers if e.active and e.email] if team else []
    if team and team.project_lead and team.project_lead.email and team.project_lead not in people:
        people.append(team.project_lead)
    context = {"ticket": ticket, "back": wallclock.wall(back.at, zone), "zone": zone}
    if not people:
        provider = Provider.one(session)
        if provider is None or not provider.support_email:
            return 0
        mail = texts.email("urgent", **context, link=link(ticket))
        return int(notify.enqueue_email(session, provider.support_email, mail.subject, mail.text,
                   f"urgent:{ticket.id}", ticket_id=ticket.id, not_before=back.at))  # fmt: skip
    queued = 0
    for engineer in people:
        mail = texts.email("urgent", **context, link=link(ticket, engineer.key))
        queued += notify.enqueue_email(
            session, engineer.email or "", mail.subject, mail.text,
            f"urgent:{ticket.id}:{engineer.key}", ticket_id=ticket.id, not_before=back.at,
        )  # fmt: skip
    return queued

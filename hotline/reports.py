"""The status e-mail of the seed: per customer, this month's hours against the quota, the
emergencies and their outcome, the customer's displaced appointments, and the quota notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from escalation.billing import cents, hours, notice, quota_share
from escalation.displacement import DISPLACING
from hotline import appointments, billing, texts
from hotline.models import Appointment, Customer, Displacement, Ticket


@dataclass(frozen=True)
class Status:
    subject: str
    text: str
    html: str
    notice: str | None  # "near" (80 %) or "used_up", from escalation.billing.notice


def decimal_comma(value: object) -> str:
    return str(value).replace(".", ",")


def percent(share: Decimal | None) -> int | None:
    """Whole percent, half up like every other figure (round() would round 62.5 to 62)."""
    return None if share is None else int((share * 100).quantize(Decimal(1), ROUND_HALF_UP))


def status(session: Session, customer: Customer, now: datetime) -> Status:
    zone = appointments.planning(session).zone
    month = billing.month_of(now, zone)
    since = billing.month_start(month, zone)
    every = billing.month_lines(session, customer, month, now)  # emergencies and time entries
    lines = {x.ticket_id: x for x in every if x.ticket_id is not None}
    terms = billing.terms(customer.contract, month)
    used = sum(line.billed_minutes for line in every)
    share = quota_share(used, terms)
    # The month's emergencies so far, and any earlier one whose hours count in this month.
    emergencies = session.scalars(
        select(Ticket)
        .where(
            Ticket.customer_id == customer.id,
            or_(Ticket.accepted_at.between(since, now), Ticket.id.in_(lines)),
        )
        .order_by(Ticket.accepted_at, Ticket.id)
    ).all()
    moved = session.scalars(
        select(Appointment)
        .join(Displacement, Displacement.appointment_id == Appointment.id)
        .where(
            Appointment.customer_id == customer.id,
            Displacement.outcome.in_(DISPLACING),
            Displacement.decided_at.between(since, now),
        )
        .distinct()
        .order_by(Appointment.starts_at)
    ).all()
    language = appointments.language(customer)
    context: dict[str, Any] = {
        "language": language,
        "customer": customer,
        "provider": appointments.provider(session).name,
        "month": month,
        "zone": zone,
        "quota": cents(terms.monthly_hours),
        "n": decimal_comma if language == "de" else str,
        "used": hours(used),
        "extra": hours(sum(line.extra_minutes for line in every)),
        "percent": percent(share),
        "notice": notice(share),
        "emergencies": [(t, lines.get(t.id)) for t in emergencies],
        "moved": moved,
    }
    mail = texts.email("status", **context)
    return Status(mail.subject, mail.text, mail.html or "", context["notice"])


def queue_status(session: Session, customer: Customer, now: datetime) -> bool:
    """Queue one customer's status e-mail now (the billing page's button), at most once a day
    like `status-emails`; False when it was queued today already or there is no address."""
    from hotline import notify

    if not customer.email:
        return False
    mail = status(session, customer, now)
    day = now.astimezone(appointments.planning(session).zone).date()
    return notify.enqueue_email(
        session, customer.email, mail.subject, mail.text, _daily(customer, day), mail.html
    )


def _daily(customer: Customer, day: date) -> str:
    """The outbox key of a status e-mail sent on request: one a day per customer."""
    return f"status:{customer.number}:{day.isoformat()}"


JOURFIXE = "jourfixe"  # an appointment whose title names it is a JourFixe (case ignored)
AFTER_JOURFIXE = timedelta(days=1)


def queue_status_emails(session: Session, now: datetime, everyone: bool = False) -> int:
    """The scheduler's daily job: a customer's status e-mail goes out the morning after each
    JourFixe (the seed's rhythm), and once when the quota reaches 80 % and once when it is used
    up; `everyone` (the `status-emails` command) sends all of them now, at most once a day.
    Returns how many were queued; commits."""
    from hotline import notify

    zone = appointments.planning(session).zone
    day = now.astimezone(zone).date()
    met = set(
        session.scalars(
            select(Appointment.customer_id).where(
                func.lower(Appointment.title).contains(JOURFIXE),
                Appointment.ends_at.between(now - AFTER_JOURFIXE, now),
                Appointment.status.not_in(DISPLACING),
            )
        )
    )
    queued = 0
    customers = session.scalars(
        select(Customer).where(Customer.email.is_not(None)).order_by(Customer.number)
    ).all()
    for customer in customers:
        if customer.contract is None or not customer.email:
            continue
        mail = status(session, customer, now)
        if everyone or customer.id in met:
            key = _daily(customer, day)
        elif mail.notice:
            key = f"status:{customer.number}:{billing.month_of(now, zone)}:{mail.notice}"
        else:
            continue
        queued += notify.enqueue_email(
            session, customer.email, mail.subject, mail.text, key, mail.html
        )
    session.commit()
    return queued

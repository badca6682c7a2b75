"""The status e-mail of the seed, sent for the customer's project lead after each JourFixe: the
hours since the last JourFixe and in the month against the quota, the open requests, the top
topics, the month's emergencies with their surcharges, the customer's displaced appointments,
and the notice at 80 % and when the quota is used up.

It comes from the hotline's address under the project lead's name, and answers go to the lead
(`Reply-To`): the provider's mail server sends it, so it passes SPF and DMARC as every other
e-mail of the hotline, and the customer still writes back to a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from escalation import jourfixe as rule
from escalation.billing import cents, hours, notice, quota_share
from escalation.displacement import DISPLACING
from hotline import appointments, billing, jourfixe, texts
from hotline.models import Appointment, Customer, Displacement, Message, Ticket, TimeEntry


@dataclass(frozen=True)
class Status:
    subject: str
    text: str
    html: str
    notice: str | None  # "near" (80 %) or "used_up", from escalation.billing.notice
    to: list[str]  # the recipients (none: it cannot be sent)
    sender: str  # the From's name: the project lead's, at the provider
    reply_to: str | None  # the project lead's address (else the provider's support address)
    jourfixe: datetime | None  # the JourFixe it reports; None: a report on request


def decimal_comma(value: object) -> str:
    return str(value).replace(".", ",")


def percent(share: Decimal | None) -> int | None:
    """Whole percent, half up like every other figure (round() would round 62.5 to 62)."""
    return None if share is None else int((share * 100).quantize(Decimal(1), ROUND_HALF_UP))


def preview(session: Session, customer: Customer, now: datetime) -> Status:
    """The customer's next status e-mail as it would go out now: for the JourFixe it will
    report (`jourfixe.target`), or without a rhythm the month's report."""
    return status(session, customer, now, jourfixe.target(session, customer, now))


def status(
    session: Session, customer: Customer, now: datetime, occurrence: datetime | None = None
) -> Status:
    """The customer's status e-mail at `now`: for the JourFixe beginning at `occurrence`, or
    (None) the month's report, on request or for a quota notice."""
    zone = appointments.planning(session).zone
    rhythm = jourfixe.rhythm(customer)
    if rhythm is None:
        occurrence = None
    month = billing.month_of(now, zone)
    since = billing.month_start(month, zone)
    every = billing.month_lines(session, customer, month, now)  # emergencies and time entries
    lines = {x.ticket_id: x for x in every if x.ticket_id is not None}
    terms = billing.terms(customer.contract, month)
    used = sum(line.billed_minutes for line in every)
    share = quota_share(used, terms)
    period = rule.period(rhythm, occurrence, now, zone)
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
    lead = jourfixe.lead(customer)
    provider = appointments.provider(session)
    context: dict[str, Any] = {
        "language": language,
        "customer": customer,
        "provider": provider.name,
        "lead": lead.name if lead else None,
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
        "jourfixe": occurrence.astimezone(zone) if occurrence else None,
        "next_jourfixe": (
            rhythm.following(occurrence, zone).astimezone(zone) if rhythm and occurrence else None
        ),
        "since": period.since,
        "since_hours": hours(_since(session, customer, period, month, now)),
        "topics": [(t, hours(m)) for t, m in rule.top_topics(_work(session, customer, period))],
        "requests": jourfixe.open_requests(session, customer, now),
    }
    mail = texts.email("status", **context)
    return Status(
        mail.subject, mail.text, mail.html or "", context["notice"], jourfixe.recipients(customer),
        f"{lead.name} ({provider.name})" if lead and provider.name else provider.name,
        (lead.email if lead and lead.email else None) or provider.support_email, occurrence,
    )  # fmt: skip


def _since(
    session: Session, customer: Customer, period: rule.Period, month: date, now: datetime
) -> int:
    """Billed minutes of the period's days, from every month it touches (each line once)."""
    first = (period.since or month).replace(day=1)
    seen: dict[tuple[int | None, int | None], int] = {}
    while first <= month:
        for day, line in billing.dated_lines(session, customer, first, now):
            if period.holds(day):
                seen[(line.ticket_id, line.entry_id)] = line.billed_minutes
        first = billing.next_month(first)
    return sum(seen.values())


def _work(session: Session, customer: Customer, period: rule.Period) -> list[tuple[str, int]]:
    """The period's time entries as (topic, minutes), billable or not: what was worked on."""
    query = select(TimeEntry.topic, TimeEntry.minutes).where(
        TimeEntry.customer_id == customer.id, TimeEntry.day <= period.until
    )
    if period.since is not None:
        query = query.where(TimeEntry.day >= period.since)
    else:
        query = query.where(TimeEntry.day >= period.until.replace(day=1))
    return [(topic, minutes) for topic, minutes in session.execute(query).tuples()]


def queue(session: Session, customer: Customer, mail: Status, key: str) -> bool:
    """Put `mail` into the outbox under `key`; False when that key was queued before or the
    customer has no address."""
    from hotline import notify

    if not mail.to:
        return False
    return notify.enqueue_email(
        session, ", ".join(mail.to), mail.subject, mail.text, key, mail.html,
        sender_name=mail.sender, reply_to=mail.reply_to,
    )  # fmt: skip


def queue_status(
    session: Session, customer: Customer, now: datetime, occurrence: datetime | None = None
) -> bool:
    """Queue a status e-mail now (the preview's button): the one of the JourFixe beginning at
    `occurrence` (the one previewed: a second press sends nothing), which then sends no other;
    without `occurrence` the next one; without a rhythm the month's report, at most one a day.
    False when it was queued already or there is no address; ValueError for an `occurrence`
    that is no JourFixe of the customer's rhythm."""
    rhythm = jourfixe.rhythm(customer)
    if rhythm is None:
        mail = status(session, customer, now, None)
        day = now.astimezone(appointments.planning(session).zone).date()
        return queue(session, customer, mail, _daily(customer, day))
    zone = appointments.planning(session).zone
    if occurrence is None:
        occurrence = jourfixe.target(session, customer, now)
    elif rhythm.latest(occurrence, zone) != occurrence:
        raise ValueError(f"{occurrence.isoformat()} is no JourFixe of {customer.number}")
    assert occurrence is not None
    mail = status(session, customer, now, occurrence)
    return queue(session, customer, mail, jourfixe.key(customer, occurrence))


def _daily(customer: Customer, day: date) -> str:
    """The outbox key of a status e-mail sent on request: one a day per customer."""
    return f"status:{customer.number}:{day.isoformat()}"


def queue_status_emails(session: Session, now: datetime, everyone: bool = False) -> int:
    """The worker's job: a customer's status e-mail after each JourFixe of its rhythm (once
    per JourFixe, whoever runs this: the key names it), and once a month when the quota
    reaches 80 % and once when it is used up; `everyone` (the `status-emails` command) sends
    every customer's report now, at most once a day. Returns how many were queued; commits."""
    zone = appointments.planning(session).zone
    queued = 0
    for customer in session.scalars(select(Customer).order_by(Customer.number)):
        if customer.contract is None or not jourfixe.recipients(customer):
            continue
        rhythm = jourfixe.rhythm(customer)
        due = rhythm.due(now, zone) if rhythm and not everyone else None
        if due is not None and jourfixe.queued(session, customer, due) is None:
            mail = status(session, customer, now, due)
            queued += queue(session, customer, mail, jourfixe.key(customer, due))
            continue
        if everyone:
            key = _daily(customer, now.astimezone(zone).date())
        else:  # the figures alone first: most runs find nothing to send
            month = billing.month_of(now, zone)
            used = sum(x.billed_minutes for x in billing.month_lines(session, customer, month, now))
            level = notice(quota_share(used, billing.terms(customer.contract, month)))
            key = f"status:{customer.number}:{month}:{level}"
            if level is None or session.scalar(select(Message.id).where(Message.dedupe_key == key)):
                continue
        queued += queue(session, customer, status(session, customer, now, None), key)
    session.commit()
    return queued

"""What the customer is told about a decision, in their language (e-mail and SMS)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from hotline import texts
from hotline.appointments.plan import language, planning, provider
from hotline.models import (
    Appointment,
    Engineer,
)


@dataclass(frozen=True)
class Notice:
    """What a customer is told of a decision, composed but not sent: the page shows it before
    the dispatcher confirms, and `tell_customer` sends exactly this."""

    email_to: str | None
    email: texts.Email | None
    sms_to: str | None
    sms: str | None


def notice(
    session: Session,
    appointment: Appointment,
    outcome: str,
    start: datetime | None = None,
    engineer: Engineer | None = None,
) -> Notice:
    """The customer's notice of `outcome`, the appointment (as it stands, or moved to `start`
    with `engineer`, same length) in the customer's language; nothing for no customer."""
    customer = appointment.customer
    if customer is None:
        return Notice(None, None, None, None)
    zone = planning(session).zone
    start = start or appointment.starts_at
    lang = language(customer)
    context = {
        "a": appointment,
        "engineer": engineer or appointment.engineer,
        "customer": customer,
        "outcome": outcome,
        "start": start.astimezone(zone),
        "end": (start + (appointment.ends_at - appointment.starts_at)).astimezone(zone),
        "was": (appointment.original_starts_at or appointment.starts_at).astimezone(zone),
        "provider": provider(session).name,
    }
    mail = texts.email(f"appointment.{lang}", **context) if customer.email else None
    sms = texts.sms(f"appointment.{lang}", **context) if customer.sms_number else None
    return Notice(customer.email, mail, customer.sms_number, sms)


def tell_customer(session: Session, appointment: Appointment, outcome: str, now: datetime) -> None:
    """E-mail (and SMS where set) to the appointment's customer, in their language.

    One notice per decision: the key names its time and result, so moving an appointment back
    to a time it had before still tells the customer, and only a repeat enqueues nothing.
    """
    from hotline import notify

    told = notice(session, appointment, outcome)
    moved_to = appointment.starts_at.isoformat()
    key = f"appointment:{appointment.id}:{outcome}:{now.isoformat()}:{moved_to}"
    if told.email_to and told.email:
        notify.enqueue_email(session, told.email_to, told.email.subject, told.email.text,
                             f"{key}:email")  # fmt: skip
    if told.sms_to and told.sms:
        notify.enqueue_sms(session, told.sms_to, told.sms, f"{key}:sms")

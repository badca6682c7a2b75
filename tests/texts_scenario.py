"""Every SMS and e-mail the hotline writes, composed once for fixed tickets and appointments: the
wording test compares them with tests/texts.json, the hostile test with hostile names."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from builders import FALLBACK, MOBILES, MUELLER_PHONE, small_provider
from sqlalchemy import select
from sqlalchemy.orm import Session

from escalation.alarms import Condition, Key
from escalation.displacement import AT_RISK, CANCELLED, RESCHEDULED
from hotline import (
    accounts,
    appointments,
    clock,
    overquota,
    reports,
    roster,
    tickets,
    urgent,
    watch,
)
from hotline.models import (
    Appointment,
    Attempt,
    BillingLine,
    BillingRun,
    Displacement,
    JourFixe,
    Message,
    Rotation,
    Ticket,
    TimeEntry,
)
from hotline.outbound import events, zammad

AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
ALARMS: list[tuple[Key, dict[str, Any]]] = [
    (Key.WORKER, {"minutes": 3}), (Key.WEB, {"minutes": None}), (Key.FALLBACK, {"tickets": [702]}),
    (Key.MESSAGES, {"count": 4}), (Key.SIGNATURES, {"count": 17}),
    (Key.ROTA, {"team": "gruen", "count": 1, "starts_at": "2026-12-01T17:00:00+00:00"}),
]  # fmt: skip  # 03:00 in Berlin, the `clock` fixture's time
RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE0"


def compose_everything(session: Session, names: dict[str, str] | None = None) -> list[Any]:
    """Compose every message once; `names` replaces the names people and customers gave us
    (customer, engineer, provider, appointment title, caller ID as sent). Returns the outbox
    (channel, to, subject, body, html) and the status e-mails (subject, text, html)."""
    names = names or {}
    people = small_provider(session)
    session.expire_all()  # the contract's figures as the database gives them back (Decimal)
    engineers, mueller, acme = people["engineers"], people["mueller"], people["acme"]
    provider = appointments.provider(session)
    provider.settings = {"dispatcher_email": "dispo@example.de"}
    for key in ("customer", "provider"):
        if key in names:
            (mueller if key == "customer" else provider).name = names[key]
    if "engineer" in names:
        engineers["jonas"].name = names["engineer"]
    mueller.email, mueller.sms_number = "it@mueller.example", "+491700000001"
    acme.email, acme.sms_number = "it@acme.example", "+447700900001"
    known = Ticket(
        id=701, call_sid="CA701", from_raw=names.get("caller", MUELLER_PHONE),
        from_number=MUELLER_PHONE, customer=mueller, arrived_at=AT, state="callback_pending",
        chain=roster.chain_for(session, mueller, AT).to_json(), voicemail_url=RECORDING,
        voicemail_seconds=42, ended_at=AT + timedelta(minutes=3), accepted_by=engineers["jonas"],
        accepted_at=AT + timedelta(minutes=1),
    )  # fmt: skip
    withheld = Ticket(
        id=702, call_sid="CA702", arrived_at=AT, state="callback_pending",
        accepted_by=engineers["jonas"], accepted_at=AT + timedelta(minutes=2),
    )  # fmt: skip
    session.add_all([known, withheld])
    won = Attempt(ticket=known, seq=1, entry=0, level="own-primary", engineer=engineers["jonas"],
                  number=MOBILES["jonas"], started_at=AT)  # fmt: skip
    fallback = Attempt(ticket=withheld, seq=1, entry=0, level="fallback", number=FALLBACK,
                       started_at=AT)  # fmt: skip
    session.add_all([won, fallback])
    visit = Appointment(
        id=801, key="visit", engineer=engineers["jonas"], customer=mueller, status=AT_RISK,
        starts_at=AT + timedelta(hours=7), ends_at=AT + timedelta(hours=8), onsite=True,
        title=names.get("title", "Server-Update"),
    )  # fmt: skip
    call = Appointment(
        id=802, key="call", engineer=engineers["jonas"], customer=acme, status=AT_RISK,
        starts_at=AT + timedelta(hours=8), ends_at=AT + timedelta(hours=9), onsite=False,
        title=names.get("title", "JourFixe"),
    )  # fmt: skip
    session.add_all([visit, call])
    session.flush()

    tickets.tell_accepted(session, known, won)
    tickets.tell_accepted(session, withheld, fallback)
    engineers["jonas"].email = "jonas@example.de"  # Müller's fixed contact hears who took it
    other = Ticket(id=703, call_sid="CA703", from_number=MUELLER_PHONE, customer=mueller,
                   arrived_at=AT, state="connected")  # fmt: skip
    by_mia = Attempt(ticket=other, seq=1, entry=1, level="own-secondary",
                     engineer=engineers["mia"], number=MOBILES["mia"], started_at=AT)  # fmt: skip
    session.add_all([other, by_mia])
    session.flush()
    tickets.tell_accepted(session, other, by_mia)
    tickets.acknowledge(session, known, engineers["mia"], AT + timedelta(minutes=9))
    tickets.tell_missed(session, known)
    tickets.announce_voicemail(session, known)
    tickets.announce_voicemail(session, known, 2)
    tickets.forward_message(session, known, AT)
    tickets.forward_message(session, withheld, AT)
    appointments._tell_dispatcher(session, known, [visit, call], [], "displaced")
    appointments._tell_dispatcher(session, known, [], [visit], "released")
    appointments._tell_dispatcher(session, withheld, [call], [], "displaced by withheld")
    for appointment, outcome in ((visit, RESCHEDULED), (call, CANCELLED)):
        appointment.original_starts_at = appointment.starts_at
        appointment.starts_at += timedelta(days=1)
        appointment.ends_at += timedelta(days=1)
        for minute, lang in enumerate(("de", "en")):
            appointment.customer.language = lang
            decided = AT + timedelta(hours=1, minutes=minute)
            appointments.tell_customer(session, appointment, outcome, decided)
        appointment.status = outcome
        session.add(Displacement(appointment=appointment, ticket=known, created_at=AT,
                                 outcome=outcome, decided_at=decided))  # fmt: skip
    engineers["anna"].email = "anna@example.de"  # Müller's project lead: three months over
    for month in (9, 10, 11):
        run = BillingRun(month=date(2026, month, 1), closed_at=AT)
        run.lines.append(BillingLine(
            customer=mueller, accepted_at=AT, phone_seconds=0, work_minutes=700, raw_minutes=700,
            billed_minutes=705, quota_minutes=600, extra_minutes=105, monthly_hours=Decimal(10),
            hourly_rate=Decimal(120), amount=Decimal(1410), extra_amount=Decimal(210),
            surcharge=Decimal(0), displaced=[],
        ))  # fmt: skip
        session.add(run)
        session.flush()
    overquota.tell(session, run)
    urgent.queue(session, known, AT)  # pressed 3 at 03:00: the team hears at 08:00
    mueller.language, acme.language = "de", "en"
    # Müller meets every second Tuesday at 10:00: its next e-mail reports today's JourFixe,
    # with the open call-back (#701) and a topic; Acme has no rhythm: the month's report.
    mueller.jourfixe = JourFixe(weekday=1, at="10:00", start=date(2026, 11, 3), every_weeks=2)
    session.add(TimeEntry(customer=mueller, engineer=engineers["jonas"], day=date(2026, 11, 20),
                          minutes=90, topic="Server-Migration: Freigaben", created_at=AT,
                          created_by="test"))  # fmt: skip
    session.flush()
    statuses = [reports.preview(session, c, AT + timedelta(hours=2)) for c in (mueller, acme)]
    for rotation in session.scalars(select(Rotation)):  # nobody on call: the support mailbox
        session.delete(rotation)
    session.flush()
    tickets.tell_missed(session, withheld)
    tickets.announce_voicemail(session, withheld)
    engineers["anna"].email = "anna@example.de"  # a project lead: the alarms' e-mail
    for key, detail in ALARMS:
        watch.tell(session, Condition(key, detail), True, AT)
        watch.tell(session, Condition(key, {}), False, AT + timedelta(minutes=20))
    invited = accounts.create(session, "jonas@example.de", "engineer", AT, engineer="jonas")
    accounts.send_invite(session, invited, "sms", AT)  # the one-time link of a new account
    accounts.send_invite(session, invited, "email", AT)
    outbox = session.scalars(select(Message).order_by(Message.id)).all()
    return [
        *([m.channel, m.to, m.subject, m.body, m.html] for m in outbox),
        *zammad_articles(session, known, withheld),
        *([s.subject, s.text, s.html] for s in statuses),
    ]


def zammad_articles(session: Session, known: Ticket, withheld: Ticket) -> list[list[Any]]:
    """What a Zammad is told of each event: ("zammad", event, article subject, article text,
    ticket title), the first article of a ticket and a later one."""
    zone = clock.zone(session)
    known.resolved_at, known.work_minutes = AT + timedelta(hours=1), 20
    found = []
    for ticket, state, event in (
        (known, "connected", "emergency.opened"), (known, "connected", "emergency.accepted"),
        (known, "callback_pending", "emergency.voicemail"),
        (known, "connected", "emergency.resolved"), (known, "not_emergency", "message.received"),
        (withheld, "not_emergency", "message.received"), (known, "urgent", "urgent.opened"),
        (known, "urgent", "urgent.message"),
    ):  # fmt: skip
        ticket.state = state
        body = events.body(ticket, event, AT, comes_back_at=AT + timedelta(hours=5))
        for first in (True, False):
            subject, text = zammad.article(body, zone, first)
            found.append(["zammad", event, subject, text, zammad.title(body, zone)])
    return found

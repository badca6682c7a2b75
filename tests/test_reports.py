"""The status e-mail: figures, notices, language; delivered by SMTP to a real local server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from smtp_server import Inbox, running_smtp
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_appointments import NOW, World, at, build

from hotline import appointments, billing, notify, reports
from hotline.models import Message, Ticket


@pytest.fixture
def world(session: Session, clock: Any) -> World:
    clock.at = NOW
    return build(session)


@pytest.fixture
def inbox(app: Flask) -> Iterator[Inbox]:
    with running_smtp() as inbox:
        app.config.update(HOTLINE_SMTP_HOST=inbox.host, HOTLINE_SMTP_PORT=inbox.port)
        yield inbox


@pytest.mark.parametrize(
    ("share", "expected"),
    [(None, None), ("0", None), ("0.79", None), ("0.8", "near"), ("0.99", "near"),
     ("1", "used_up"), ("1.5", "used_up")],
)  # fmt: skip
def test_notice(share: str | None, expected: str | None) -> None:
    assert reports.notice(Decimal(share) if share else None) == expected


@pytest.mark.parametrize(
    ("share", "expected"), [(None, None), ("0.625", 63), ("0.825", 83), ("0.8749", 87)]
)
def test_percent_rounds_half_up(share: str | None, expected: int | None) -> None:
    assert reports.percent(Decimal(share) if share else None) == expected


def test_status_shows_hours_against_quota_with_the_80_percent_notice(
    session: Session, world: World
) -> None:
    a1 = world.appointment(session, "a1", world.mueller, "2026-12-01 10:00", "2026-12-01 11:00")
    session.commit()
    appointments.check_displacements(session, NOW)
    appointments.reschedule(session, a1, at("2026-12-02 10:00"), NOW)
    billing.resolve(session, world.ticket, at("2026-12-01 10:30"), work_minutes=90)  # 100 min
    session.commit()

    mail = reports.status(session, world.caller, at("2026-12-03 12:00"))

    assert mail.subject == "Statusbericht 12/2026: Bäckerei Brot"
    assert (
        "Geleistete Stunden (Support, Projekte und Notfälle) in diesem Monat: 1,75 Std. von "
        "2,00 Std." in mail.text
    )
    assert "(88 %)" in mail.text
    assert "zu 88 % verbraucht" in mail.text
    assert "1 verdrängte Termine, Aufschlag (Servicevertrag §2): 105,00 EUR" in mail.text
    assert "Müller" not in mail.text + mail.html  # another customer is never named
    assert "<strong>Hinweis: Ihr Stundenkontingent" in mail.html


def test_status_names_the_customers_own_moved_appointments_in_english(
    session: Session, world: World
) -> None:
    world.acme.contract = billing.Contract(monthly_hours=Decimal("0"))
    a1 = world.appointment(session, "a1", world.acme, "2026-12-01 10:00", "2026-12-01 11:00")
    session.commit()
    appointments.check_displacements(session, NOW)
    appointments.reschedule(session, a1, at("2026-12-02 10:00"), NOW)
    session.commit()

    mail = reports.status(session, world.acme, NOW + timedelta(hours=2))

    assert mail.subject == "Status report 2026-12: Acme Ltd"
    assert "Emergencies: none" in mail.text
    assert "- 2026-12-01 10:00 JourFixe Acme Ltd: moved to 2026-12-02 10:00" in mail.text


def test_status_lists_the_emergencies_its_hours_come_from(session: Session, world: World) -> None:
    """Those of the month up to now, and one from the month before that was resolved in it."""

    def emergency(sid: str, accepted: str) -> Ticket:
        t = Ticket(call_sid=sid, customer=world.caller, arrived_at=at(accepted),
                   accepted_by=world.jonas, accepted_at=at(accepted))  # fmt: skip
        session.add(t)
        return t

    november = emergency("CA-nov", "2026-11-30 23:00")
    january = emergency("CA-jan", "2027-01-04 09:00")
    session.flush()
    billing.resolve(session, november, at("2026-12-01 00:30"), work_minutes=0)
    session.commit()

    mail = reports.status(session, world.caller, at("2026-12-03 12:00"))

    listed = [line for line in mail.text.splitlines() if line.startswith("- #")]
    assert [line.split()[1] for line in listed] == [f"#{november.id}", f"#{world.ticket.id}"]
    assert f"#{january.id}" not in mail.html


def test_quota_used_up(session: Session, world: World) -> None:
    billing.resolve(session, world.ticket, at("2026-12-01 12:00"), work_minutes=150)
    session.commit()
    mail = reports.status(session, world.caller, at("2026-12-02 08:00"))
    assert "ausgeschöpft" in mail.text
    assert "Mehraufwand: 0,75 Std." in mail.text  # 10 min phone + 150 = 165, quota 120


def test_status_emails_go_out_once_a_day_by_smtp(
    session: Session, world: World, clock: Any, inbox: Inbox
) -> None:
    billing.resolve(session, world.ticket, at("2026-12-01 10:00"), work_minutes=30)
    session.commit()
    clock.at = NOW + timedelta(days=1)

    assert reports.queue_status_emails(session, clock.at, everyone=True) == 1  # 10099 only
    assert reports.queue_status_emails(session, clock.at, everyone=True) == 0
    assert notify.deliver_due(session, clock.at) == 1

    (received,) = inbox.messages
    assert received["To"] == "chef@brot.example"
    assert received["Subject"] == "Statusbericht 12/2026: Bäckerei Brot"
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert "0,75 Std. von 2,00 Std. Stundenkontingent (38 %)" in text
    assert ">Statusbericht 12/2026: Bäckerei Brot</h1>" in html
    assert session.scalars(select(Message)).one().status == "sent"


def test_status_of_a_closed_month_reads_the_run(session: Session, world: World) -> None:
    billing.resolve(session, world.ticket, at("2026-12-01 10:00"), work_minutes=30)
    session.commit()
    billing.close(session, NOW.date().replace(day=1), at("2027-01-01 00:00"))
    mail = reports.status(session, world.caller, at("2026-12-31 23:00"))
    assert "0,75 Std. von 2,00 Std. Stundenkontingent (38 %)" in mail.text
    assert f"- #{world.ticket.id} 01.12.2026 09:00: gelöst, 45 min" in mail.text


def test_the_worker_mails_after_each_jourfixe_and_at_the_quota_notices(
    session: Session, world: World
) -> None:
    """Not every day: after each JourFixe of the rhythm (Tuesdays 09:00 for 3 h), and once per
    notice level and month. An appointment titled JourFixe is an appointment like any other."""
    from hotline.models import Appointment, JourFixe

    session.add(Appointment(key="jf-1", engineer=world.anna, customer=world.caller,
                            starts_at=at("2026-12-02 09:00"), ends_at=at("2026-12-02 12:00"),
                            title="JourFixe vor Ort", onsite=True))  # fmt: skip
    session.commit()
    assert reports.queue_status_emails(session, at("2026-12-03 07:00")) == 0  # nothing due
    world.caller.jourfixe = JourFixe(weekday=1, at="09:00", start=at("2026-11-01 00:00").date(),
                                     every_weeks=1, minutes=180)  # fmt: skip
    session.commit()
    assert reports.queue_status_emails(session, at("2026-12-01 11:59")) == 0  # still on
    assert reports.queue_status_emails(session, at("2026-12-01 12:00")) == 1  # it has ended
    assert reports.queue_status_emails(session, at("2026-12-01 12:10")) == 0  # once
    assert reports.queue_status_emails(session, at("2026-12-02 07:00")) == 0
    billing.resolve(session, world.ticket, at("2026-12-01 12:00"), work_minutes=90)
    session.commit()  # 10 min phone + 90 min work: 105 of 120 minutes, 88 %
    later = at("2026-12-05 07:00")
    assert reports.queue_status_emails(session, later) == 1  # the 80 % notice
    assert reports.queue_status_emails(session, later + timedelta(days=1)) == 0
    assert reports.queue_status_emails(session, at("2026-12-08 12:30")) == 1  # next Tuesday
    keys = session.scalars(select(Message.dedupe_key).order_by(Message.id)).all()
    assert keys == ["status:10099:jourfixe:2026-12-01T08:00Z", "status:10099:2026-12-01:near",
                    "status:10099:jourfixe:2026-12-08T08:00Z"]  # fmt: skip
    mails = session.scalars(select(Message).order_by(Message.id)).all()
    assert {m.to for m in mails} == {"chef@brot.example"}
    assert {(m.sender_name, m.reply_to) for m in mails} == {
        ("Lena Koch (Solutionbar IT-Service)", "support@example.de")  # Lena has no address
    }

"""The status e-mail after a JourFixe, as it arrives: delivered by SMTP to a real local server
and read back with Python's `email` parser under `policy.strict` (From with the project lead's
name, encoded umlauts, Reply-To, To with every recipient, Date, Message-ID, text and HTML as
multipart/alternative); the figures since the last JourFixe and in the month, the open requests
and topics; one e-mail per JourFixe, with two workers at once and with "send now"."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from email_reader import strict
from flask import Flask
from smtp_server import Inbox, running_smtp
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_appointments import NOW, World, at, build
from test_voice_concurrency import together

from hotline import billing, db, jourfixe, notify, reports
from hotline.models import Customer, JourFixe, Message, Ticket, TimeEntry

MAIL_FROM = "Störungsdienst <hotline@solutionbar.example>"


@pytest.fixture
def world(session: Session, clock: Any) -> World:
    """build()'s world; Bäckerei Brot (10099, 2 h quota) meets every Tuesday 09:00-11:00 from
    24 November, its project lead Lena Kühn sends the e-mail to two addresses."""
    clock.at = NOW
    made = build(session)
    made.lena.name, made.lena.email = "Lena Kühn", "lena@solutionbar.example"
    made.caller.status_recipients = ["chef@brot.example", "buero@brot.example"]
    made.caller.jourfixe = JourFixe(weekday=1, at="09:00", start=date(2026, 11, 24),
                                    every_weeks=1, minutes=120)  # fmt: skip
    session.commit()
    return made


@pytest.fixture
def inbox(app: Flask) -> Iterator[Inbox]:
    with running_smtp() as inbox:
        app.config.update(HOTLINE_SMTP_HOST=inbox.host, HOTLINE_SMTP_PORT=inbox.port,
                          HOTLINE_MAIL_FROM=MAIL_FROM)  # fmt: skip
        yield inbox


def work(session: Session, world: World, day: str, minutes: int, topic: str) -> None:
    session.add(TimeEntry(customer=world.caller, engineer=world.jonas, minutes=minutes,
                          day=date.fromisoformat(day), topic=topic, created_at=NOW,
                          created_by="test"))  # fmt: skip


def test_the_email_after_a_jourfixe_as_a_strict_reader_gets_it(
    session: Session, world: World, inbox: Inbox
) -> None:
    work(session, world, "2026-11-24", 60, "JourFixe: Planung")  # the last JourFixe's own day
    work(session, world, "2026-11-27", 45, "Drucker: Toner")
    work(session, world, "2026-12-01", 30, "Backup: Prüfung")  # today, the JourFixe's day
    billing.resolve(session, world.ticket, at("2026-12-01 09:50"), work_minutes=20)  # 10 + 20
    urgent = Ticket(call_sid="CA-urgent", customer=world.caller, state="urgent",
                    arrived_at=at("2026-11-30 22:00"))  # fmt: skip
    session.add(urgent)
    session.commit()

    assert reports.queue_status_emails(session, at("2026-12-01 10:59")) == 0  # on until 11:00
    assert reports.queue_status_emails(session, at("2026-12-01 11:05")) == 1
    assert notify.deliver_due(session, at("2026-12-01 11:05")) == 1

    (raw,) = inbox.raw
    assert inbox.recipients == [["chef@brot.example", "buero@brot.example"]]
    mail = strict(raw)
    assert "=?utf-8?" in mail.as_string().split("\n\n", 1)[0]  # the umlauts travel encoded
    (sender,) = mail["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (
        "Lena Kühn (Solutionbar IT-Service)", "hotline@solutionbar.example"
    )  # fmt: skip
    assert mail["Reply-To"] == "lena@solutionbar.example"
    assert [a.addr_spec for a in mail["To"].addresses] == [
        "chef@brot.example", "buero@brot.example"
    ]  # fmt: skip
    assert mail["Subject"] == "Statusbericht zum JourFixe am 01.12.2026: Bäckerei Brot"
    assert mail["Date"].datetime == at("2026-12-01 11:05")  # in the provider's zone, +01:00
    assert mail["Message-ID"].endswith("@solutionbar.example>")
    assert mail.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in mail.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    text = "\n".join(mail.get_body(("plain",)).get_content().splitlines())
    for line in (
        "hier der Stand nach unserem JourFixe am 01.12.2026.",
        # 45 + 30 min of entries after the last JourFixe's day, and the emergency's 30
        "Geleistete Stunden seit dem letzten JourFixe (ab 25.11.2026): 1,75 Std.",
        "in diesem Monat: 1,00 Std. von 2,00 Std. Stundenkontingent (50 %)",
        f"- #{urgent.id} 30.11.2026 22:00: dringende Anfrage per Telefon",
        "- Drucker: 0,75 Std.\n- Backup: 0,50 Std.",
        f"- #{world.ticket.id} 01.12.2026 09:00: gelöst, 30 min",
        "Der nächste JourFixe: 08.12.2026, 09:00 Uhr.",
        "Mit freundlichen Grüßen\nLena Kühn\nSolutionbar IT-Service",
    ):
        assert line in text, line
    assert "JourFixe: Planung" not in text and "Planung" not in text  # the day before the period
    html = mail.get_body(("html",)).get_content()
    assert "<h2>Offene Anfragen</h2>" in html and "Lena Kühn" in html


def test_english_for_an_english_customer(session: Session, world: World) -> None:
    world.caller.language = "en"
    session.commit()
    mail = reports.status(session, world.caller, at("2026-12-01 11:05"), at("2026-12-01 09:00"))
    assert mail.subject == "Status report on the JourFixe of 2026-12-01: Bäckerei Brot"
    assert "Hours worked since the last JourFixe (from 2026-11-25): 0.00 h" in mail.text
    assert (
        "Open requests: none" in mail.text and "The next JourFixe: 2026-12-08, 09:00." in mail.text
    )


def test_no_lead_address_answers_go_to_the_support_mailbox(session: Session, world: World) -> None:
    world.lena.email = None
    world.caller.project_lead = world.anna  # the customer's own lead wins over the team's
    session.commit()
    mail = reports.preview(session, world.caller, at("2026-12-01 11:05"))
    assert (mail.sender, mail.reply_to) == ("Anna Schmidt (Solutionbar IT-Service)",
                                            "support@example.de")  # fmt: skip
    assert mail.to == ["chef@brot.example", "buero@brot.example"]
    world.caller.status_recipients = None
    assert jourfixe.recipients(world.caller) == ["chef@brot.example"]  # the customer's address


def test_two_workers_at_once_queue_one_email_per_jourfixe(app: Flask, world: World) -> None:
    """The scheduler's lease keeps a run to one worker; without it (a lease run out, a second
    worker by hand) the outbox key still lets only one e-mail in."""
    for day in ("2026-12-01", "2026-12-08", "2026-12-15"):
        end = at(f"{day} 11:00") + timedelta(minutes=3)

        def worker(end: Any = end) -> int:
            with app.app_context():
                return reports.queue_status_emails(db.session(), end)

        assert sorted(together(worker, worker, worker)) == [0, 0, 1]
    with app.app_context():
        keys = db.session().scalars(select(Message.dedupe_key).order_by(Message.id)).all()
    assert keys == [f"status:10099:jourfixe:{d}T08:00Z" for d in ("2026-12-01", "2026-12-08",
                                                                   "2026-12-15")]  # fmt: skip


def test_send_now_is_that_jourfixes_email(session: Session, world: World) -> None:
    """Pressed during the JourFixe: its e-mail goes now, the worker sends no second one after
    it, and the next preview is the next week's."""
    during = at("2026-12-01 10:30")
    shown = reports.preview(session, world.caller, during).jourfixe
    assert shown == at("2026-12-01 09:00")
    assert reports.queue_status(session, world.caller, during, shown)
    assert not reports.queue_status(session, world.caller, during, shown)  # pressed twice
    with pytest.raises(ValueError, match="no JourFixe"):
        reports.queue_status(session, world.caller, during, at("2026-12-02 09:00"))
    session.commit()
    assert reports.queue_status_emails(session, at("2026-12-01 11:05")) == 0
    assert reports.preview(session, world.caller, during).jourfixe == at("2026-12-08 09:00")
    assert reports.queue_status_emails(session, at("2026-12-08 11:05")) == 1


def test_a_worker_down_for_a_day_catches_up_but_not_further(session: Session, world: World) -> None:
    assert reports.queue_status_emails(session, at("2026-12-02 10:59")) == 1  # 23 h 59 late
    customer = session.scalar(select(Customer).where(Customer.number == "10099"))
    assert customer is not None
    assert reports.queue_status_emails(session, at("2026-12-09 11:01")) == 0  # 24 h 1 min late
    assert jourfixe.target(session, customer, at("2026-12-09 11:01")) == at("2026-12-15 09:00")

"""Urgent, not an emergency: a 3 at the question rings nobody, opens a priority ticket for the
customer's team, queues the team's e-mail for its next working hours, and tells the caller when
that is."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from office import seed
from sqlalchemy import select

from escalation import callflow
from escalation.callflow import Call, Effect, State, TakeMessage
from escalation.urgent import comes_back
from escalation.wallclock import WorkingHours
from hotline import db
from hotline.models import Attempt, Message, Ticket

BERLIN = ZoneInfo("Europe/Berlin")
HOURS = WorkingHours()  # 08:00-17:00, Monday to Friday
CHRISTMAS = {date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 26)}


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("now", "back", "at_work"),
    [
        (berlin(2026, 12, 1, 10, 0), berlin(2026, 12, 1, 10, 0), True),  # Tuesday, at work
        (berlin(2026, 12, 1, 3, 0), berlin(2026, 12, 1, 8, 0), False),  # the same morning
        (berlin(2026, 12, 1, 17, 0), berlin(2026, 12, 2, 8, 0), False),  # closing time
        (berlin(2026, 12, 4, 22, 30), berlin(2026, 12, 7, 8, 0), False),  # Friday night
        (berlin(2026, 12, 23, 18, 0), berlin(2026, 12, 28, 8, 0), False),  # over Christmas
        (berlin(2026, 12, 24, 10, 0), berlin(2026, 12, 28, 8, 0), False),  # a holiday morning
    ],
)
def test_the_team_takes_it_up_in_its_next_working_hours(
    now: datetime, back: datetime, at_work: bool
) -> None:
    found = comes_back(now, HOURS, BERLIN, CHRISTMAS)
    assert (found.at, found.now) == (back, at_work)


def test_a_3_at_the_question_rings_nobody_and_asks_for_a_message() -> None:
    call = Call(state=State.CONFIRMING, question=callflow.Question.CONFIRMATION, try_=1)
    step = callflow.confirmation(call, 1, "3")
    assert step.action == TakeMessage(urgent=True) and step.state is State.URGENT
    assert step.effects == (Effect.QUEUE_URGENT,)
    kept = callflow.message(Call(state=State.URGENT), 20, "https://api.twilio.com/rec")
    assert kept.effects == (Effect.KEEP_MESSAGE,)  # on the ticket, not to the support mailbox
    assert callflow.message(Call(state=State.URGENT), 0, None).effects == ()


@pytest.fixture
def demo(app: Flask, clock: Any) -> Flask:
    seed(app, clock())
    return app


def test_a_friday_night_caller_hears_monday_and_the_team_is_mailed_then(demo: Flask) -> None:
    result = demo.test_cli_runner().invoke(args=[
        "simulate-call", "--from", "030 1234567", "--press", "3", "--message", "20",
        "--at", "2026-12-04T22:30", "--live",  # the test's Twilio account is never reached
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Ihr Team meldet sich am Montag, dem 7. Dezember, ab 8:00 Uhr." in result.output
    with demo.app_context():
        session = db.session()
        ticket = session.scalars(select(Ticket)).one()
        assert ticket.state == "urgent" and ticket.voicemail_seconds == 20
        assert session.scalars(select(Attempt)).all() == []  # nobody's phone rang
        mails = session.scalars(select(Message).where(Message.ticket_id == ticket.id)).all()
        assert {m.to for m in mails} == {f"{k}@solutionbar.example"
                                         for k in ("anna", "jonas", "lena", "tobias")}  # fmt: skip
        monday = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
        assert {(m.channel, m.status, m.next_try_at) for m in mails} == {
            ("email", "pending", monday)
        }
        assert all("/tickets/" in m.body and "die 3 gedrückt" in m.body for m in mails)
    sent = demo.test_cli_runner().invoke(args=["send-pending", "--at", "2026-12-05T10:00"])
    assert sent.output.startswith("0 sent"), sent.output  # not on Saturday

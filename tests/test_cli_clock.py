"""`--at` sets the clock a command writes with, `outbox` reads the result in time order, and
the ticket commands say when an emergency was resolved."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_appointments import NOW, World, at, build

from hotline import notify
from hotline.models import Event, Message, Ticket


@pytest.fixture
def world(session: Session, clock: Any) -> World:
    clock.at = NOW
    return build(session)


def run(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_at_stamps_what_the_command_writes(app: Flask, session: Session, world: World) -> None:
    """The app's clock stands at 1 December 09:00; the commands act in February."""
    app.config["TWILIO_ACCOUNT_SID"] = None  # dry run: nothing leaves the machine
    run(app, "status-emails", "--at", "2027-02-03T09:00")
    mail = session.scalars(select(Message)).one()
    assert mail.created_at == mail.next_try_at == at("2027-02-03 09:00")
    assert "02/2027" in (mail.subject or "")

    run(app, "send-pending", "--at", "2027-02-03T09:05")
    session.expire_all()
    assert mail.sent_at == at("2027-02-03 09:05")

    run(app, "acknowledge", str(world.ticket.id), "--by", "jonas", "--at", "2027-02-03T09:10")
    run(app, "waive", str(world.ticket.id), "--by", "lena", "--reason", "x", "--at",
        "2027-02-03T09:20")  # fmt: skip
    session.expire_all()
    ticket = session.get(Ticket, world.ticket.id)
    assert ticket is not None and ticket.acknowledged_at == at("2027-02-03 09:10")
    kinds = {e.kind: e.at for e in session.scalars(select(Event).where(Event.ticket == ticket))}
    assert kinds["acknowledged"] == at("2027-02-03 09:10")
    assert kinds["surcharge waived"] == at("2027-02-03 09:20")
    assert app.config["CLOCK"]() == NOW  # the command's clock ends with the command


def test_outbox_lists_newest_first_by_time_then_id(
    app: Flask, session: Session, world: World, clock: Any
) -> None:
    clock.at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    notify.enqueue_sms(session, "+491701111111", "later", "k-later")
    clock.at = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    notify.enqueue_sms(session, "+491702222222", "earlier", "k-earlier")
    clock.at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    notify.enqueue_sms(session, "+491703333333", "later, second", "k-later-2")
    session.commit()

    listed = json.loads(run(app, "outbox", "--json"))
    assert [m["body"] for m in listed] == ["later, second", "later", "earlier"]
    assert [m["dry_run"] for m in listed] == [None, None, None]  # not yet decided
    text = run(app, "outbox")
    lines = [line for line in text.splitlines() if line.startswith("#")]
    assert [line.split()[2] for line in lines] == ["10:00", "10:00", "09:00"]


def test_a_sent_dry_run_says_so_and_a_pending_one_does_not(
    app: Flask, session: Session, world: World
) -> None:
    app.config["TWILIO_ACCOUNT_SID"] = None
    notify.enqueue_sms(session, "+491701111111", "hello", "k-1")
    session.commit()
    assert json.loads(run(app, "outbox", "--json"))[0]["dry_run"] is None
    run(app, "send-pending")
    assert json.loads(run(app, "outbox", "--json"))[0]["dry_run"] is True


def test_a_resolved_ticket_says_so(app: Flask, session: Session, world: World) -> None:
    before = run(app, "tickets")
    assert "connected " in before and "resolved" not in before
    run(app, "resolve", str(world.ticket.id), "--work-minutes", "20", "--at", "2026-12-01T10:00")
    assert "connected, resolved" in run(app, "tickets")
    assert run(app, "ticket", str(world.ticket.id)).startswith(
        f"Ticket #{world.ticket.id}  connected, resolved"
    )
    [listed] = json.loads(run(app, "tickets", "--json"))
    assert (listed["state"], listed["resolved_at"]) == ("connected", "2026-12-01T10:00:00+01:00")

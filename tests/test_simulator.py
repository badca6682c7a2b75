"""`simulate-call` plays whole calls through the real webhooks, and `ticket` shows the result."""

from __future__ import annotations

import json
from typing import Any

import pytest
from builders import FALLBACK, MOBILES, small_provider
from flask import Flask

from hotline import db


@pytest.fixture
def provider(app: Flask) -> None:
    with app.app_context():
        small_provider(db.session())


def simulate(app: Flask, *args: str) -> Any:
    result = app.test_cli_runner().invoke(args=["simulate-call", "--live", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_known_caller_is_connected_to_the_first_engineer(app: Flask, provider: None) -> None:
    out = simulate(app, "--from", "030 1234567")
    assert "caller hears: Guten Tag, Müller & Söhne <Maschinenbau>." in out
    assert f"rings jonas at {MOBILES['jonas']}" in out
    assert "caller and jonas are connected" in out
    assert "Ticket #" in out and "connected" in out and "identified by number" in out
    speech = float(out.split("The caller heard ")[1].split(" s")[0])
    assert speech <= 13


def test_voicemail_box_and_decline_move_on_to_the_next(app: Flask, provider: None) -> None:
    out = simulate(
        app,
        "--from",
        "+49301234567",
        "--engineer",
        "jonas=voicemail",
        "--engineer",
        "mia=decline",
        "--json",
    )
    ticket = json.loads(out)
    assert [a["outcome"] for a in ticket["attempts"]] == ["not-accepted", "declined", "accepted"]
    assert ticket["accepted_by"] == "lena"


def test_withheld_caller_types_customer_number_and_nobody_answers(
    app: Flask, provider: None
) -> None:
    out = simulate(
        app,
        "--from",
        "anonymous",
        "--press",
        "10042",
        "--press",
        "1",
        "--others",
        "no-answer",
        "--message",
        "25",
        "--json",
    )
    ticket = json.loads(out)
    assert ticket["identified_by"] == "keypad"
    assert ticket["state"] == "callback_pending"
    assert ticket["attempts"][-1]["number"] == FALLBACK
    assert ticket["voicemail_seconds"] == 25


def test_unknown_caller_reaches_the_pool(app: Flask, provider: None) -> None:
    ticket = json.loads(
        simulate(
            app, "--from", "089 111111", "--press", "", "--press", "", "--press", "1", "--json"
        )
    )
    assert ticket["customer"] is None
    assert ticket["chain"][0]["level"] == "pool"
    assert ticket["state"] == "connected"


def test_caller_who_hangs_up_leaves_an_abandoned_ticket(app: Flask, provider: None) -> None:
    ticket = json.loads(
        simulate(
            app, "--from", "+49301234567", "--others", "no-answer", "--hangup-after", "30", "--json"
        )
    )
    assert ticket["state"] == "abandoned"


def test_ticket_commands_show_the_timeline(app: Flask, provider: None) -> None:
    simulate(app, "--from", "+49301234567")
    runner = app.test_cli_runner()
    listing = runner.invoke(args=["tickets"])
    assert "connected" in listing.output and "Müller" in listing.output
    [ticket] = json.loads(runner.invoke(args=["tickets", "--json"]).output)
    shown = runner.invoke(args=["ticket", str(ticket["id"])])
    assert shown.exit_code == 0
    for line in (
        "chain (frozen at confirmation)",
        "attempts:",
        "timeline:",
        "arrived",
        "emergency confirmed",
        "accepted",
    ):
        assert line in shown.output
    data = json.loads(runner.invoke(args=["ticket", ticket["call_sid"], "--json"]).output)
    assert data["accepted_by"] == "jonas"
    assert data["arrived_at"].endswith("+01:00")  # Berlin time in December
    assert runner.invoke(args=["ticket", "999999"]).exit_code != 0


def test_with_a_twilio_account_it_refuses_without_live(app: Flask, provider: None) -> None:
    result = app.test_cli_runner().invoke(args=["simulate-call", "--from", "+49301234567"])
    assert result.exit_code != 0
    assert "--live" in result.output


def test_on_the_embedded_default_the_sms_go_out_as_dry_run(app: Flask, provider: None) -> None:
    app.config["TWILIO_ACCOUNT_SID"] = None
    out = app.test_cli_runner().invoke(args=["simulate-call", "--from", "+49301234567"]).output
    assert f"sms to {MOBILES['jonas']}, sent (DRY RUN, logged)" in out

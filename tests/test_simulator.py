"""`simulate-call` plays whole calls through the real webhooks, and `ticket` shows the result."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from builders import FALLBACK, MOBILES, extension, small_provider
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


def stamps(out: str, text: str) -> list[str]:
    """The simulator's [mm:ss.s] stamps of its lines that contain `text`."""
    return [
        line.split("]")[0] + "]"
        for line in out.splitlines()
        if line.startswith("[") and text in line
    ]


def second(stamp: str) -> float:
    """[mm:ss.s] as seconds into the call."""
    minutes, seconds = stamp.strip("[]").split(":")
    return int(minutes) * 60 + float(seconds)


def ticket_of(app: Flask, newest: bool = False) -> Any:
    """The one ticket there is (or the newest) as `ticket --json` shows it."""
    runner = app.test_cli_runner()
    listed = json.loads(runner.invoke(args=["tickets", "--json"]).output)
    assert newest or len(listed) == 1
    return json.loads(runner.invoke(args=["ticket", str(listed[0]["id"]), "--json"]).output)


@pytest.mark.parametrize(
    ("args", "state"),
    [
        ((), "connected"),  # while talking (the default: the first engineer accepts)
        (("--others", "no-answer"), "abandoned"),  # while a phone rings
        (("--hangup-after", "5"), "abandoned"),  # while the caller is asked (the last wins)
    ],
)
def test_the_caller_hangs_up_at_the_stated_second(
    app: Flask, provider: None, args: tuple[str, ...], state: str
) -> None:
    out = simulate(app, "--from", "+49301234567", "--hangup-after", "30", *args)
    second = int(args[-1]) if args[:1] == ("--hangup-after",) else 30
    assert stamps(out, "the caller hangs up") == [f"[00:{second:02}.0]"]
    assert stamps(out, "call ended") == [f"[00:{second:02}.0]"]
    ticket = ticket_of(app)
    assert ticket["state"] == state
    assert ticket["call_seconds"] == second
    if state == "connected":  # Twilio reports the bridged seconds to the Dial action
        assert 0 < ticket["bridged_seconds"] < 30


def test_a_caller_who_hangs_up_during_the_message_keeps_what_was_recorded(
    app: Flask, provider: None
) -> None:
    nobody = ("--others", "no-answer")
    # measured on another phone of the customer's: a second call from one number joins its ticket
    measure = simulate(app, "--from", extension(1), *nobody, "--message", "0")
    [tone] = stamps(measure, "caller says nothing after the tone")
    out = simulate(app, "--from", "+49301234567", *nobody, "--message", "60",
                   "--hangup-after", str(second(tone) + 20))  # fmt: skip
    assert "the caller hangs up after 20 s of message" in out
    ticket = ticket_of(app, newest=True)
    assert ticket["state"] == "callback_pending"
    assert ticket["voicemail_seconds"] == 20


def test_the_simulator_and_the_ticket_count_the_same_ringing(app: Flask, provider: None) -> None:
    out = simulate(app, "--from", "+49301234567", "--engineer", "jonas=no-answer",
                   "--engineer", "mia=busy", "--others", "accept")  # fmt: skip
    assert "for up to 25 s (timeout 20 s, Twilio adds 5)" in out
    told = [int(line.split("'rang ")[1].split(" s'")[0]) for line in out.splitlines()
            if "'rang " in line]  # fmt: skip
    ticket = ticket_of(app)
    assert told == [a["ring_seconds"] for a in ticket["attempts"]]
    assert "25.0 s ringing" in out  # the no-answer: timeout + the 5 s Twilio adds


def test_the_dry_run_sms_goes_out_when_the_call_queued_it(app: Flask, provider: None) -> None:
    """Delivered as the call runs, at the simulator's time: the outbox tells the call's story."""
    app.config["TWILIO_ACCOUNT_SID"] = None
    simulate(app, "--from", "+49301234567", "--talk", "1500")
    ticket = ticket_of(app)
    [sms] = json.loads(app.test_cli_runner().invoke(args=["outbox", "--json"]).output)
    assert sms["dry_run"] is True
    sent = datetime.fromisoformat(sms["sent_at"])
    accepted = datetime.fromisoformat(ticket["accepted_at"])  # shown to the second
    assert accepted <= sent < accepted + timedelta(seconds=1)  # not 25 minutes later, at the end


def test_a_second_call_from_the_same_number_joins_the_open_ticket(
    app: Flask, provider: None
) -> None:
    simulate(app, "--from", "030 1234567", "--talk", "60")  # Jonas accepts; the call ends
    again = simulate(app, "--from", "030 1234567")
    assert "caller hears: Ich verbinde Sie wieder mit Ihrem Techniker." in again
    assert f"rings jonas at {MOBILES['jonas']}" in again.split("caller hears: Ich verbinde")[1]
    assert "Guten Tag" not in again  # no greeting, no question: straight to the same engineer
    ticket = ticket_of(app)  # still one ticket
    assert [e["event"] for e in ticket["timeline"]].count("called again") == 1
    # its voicemail waiting: told so, and a message left on the repeat call is kept
    simulate(app, "--from", extension(1), "--others", "no-answer", "--message", "20")
    waiting = simulate(app, "--from", extension(1), "--message", "10")
    assert "caller hears: Ihre Nachricht liegt vor; wir erinnern den Techniker." in waiting
    assert "caller leaves a 10 s message" in waiting and "rings" not in waiting
    assert "message left on a repeat call" in waiting

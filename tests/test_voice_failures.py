"""Never a dead line: whatever fails inside a voice webhook, the caller reaches a human."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from builders import (
    CENTRAL,
    FALLBACK,
    MOBILES,
    MUELLER_PHONE,
    call_sid,
    small_provider,
    verbs,
    xml,
)
from conftest import AUTH_TOKEN, PUBLIC_URL, TwilioClient
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from hotline import callers, calls, create_app, db, fallback, replay, roster
from hotline.models import Message, Ticket
from hotline.voice import fallback as voice_fallback
from hotline.voice import twiml


@pytest.fixture
def provider(app: Flask) -> None:
    with app.app_context():
        small_provider(db.session())


def form(**extra: str) -> dict[str, str]:
    return {"CallSid": call_sid(), "From": MUELLER_PHONE, "To": CENTRAL, **extra}


def assert_dials_fallback(root: Any, number: str = FALLBACK) -> None:
    assert verbs(root) == ["Say", "Dial"]
    dial = root.find("Dial")
    assert dial.find("Number").text == number
    assert dial.find("Number").get("url") == f"{PUBLIC_URL}/voice/fallback-whisper"
    assert dial.get("action") == f"{PUBLIC_URL}/voice/fallback-dial"


def test_a_bug_in_a_handler_dials_the_fallback_and_logs_the_callsid(
    app: Flask,
    twilio: TwilioClient,
    provider: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app.config["HOTLINE_FALLBACK_NUMBER"] = FALLBACK

    def broken(*_: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(callers, "identify", broken)
    data = form()
    with caplog.at_level(logging.ERROR, logger="hotline.voice"):
        root = xml(twilio.post("/voice/incoming", data))
    assert_dials_fallback(root)
    assert data["CallSid"] in caplog.text and "boom" in caplog.text


def test_a_database_failure_dials_the_fallback_from_the_instance_file(
    app: Flask, twilio: TwilioClient, provider: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    fallback.remember(app.instance_path, "+491719990000")

    def down(*_: Any, **__: Any) -> None:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(roster, "chain_for", down)
    call = form()
    root = xml(twilio.post("/voice/incoming", call))
    confirm = root.find("Gather").get("action").removeprefix(PUBLIC_URL)
    root = xml(twilio.post(confirm, {**call, "Digits": "1"}))
    assert_dials_fallback(root, "+491719990000")
    with app.app_context():  # the failed step's writes were rolled back, the ticket stays
        assert db.session().scalar(select(func.count(Ticket.id))) == 1


def test_bad_input_gets_safe_twiml(app: Flask, twilio: TwilioClient, provider: None) -> None:
    app.config["HOTLINE_FALLBACK_NUMBER"] = FALLBACK
    root = xml(twilio.post("/voice/confirm?ticket=not-a-number&try=x", form(Digits="1")))
    assert_dials_fallback(root)
    root = xml(twilio.post("/voice/incoming", {"From": "+4930"}))  # no CallSid at all
    assert_dials_fallback(root)


def test_status_callback_failures_answer_204(
    app: Flask, twilio: TwilioClient, provider: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "session", lambda: (_ for _ in ()).throw(RuntimeError("db")))
    response = twilio.post("/voice/status", form(CallStatus="completed"))
    assert response.status_code == 204


def test_engineer_leg_failure_bridges_on_1_and_hangs_up_otherwise(
    app: Flask, twilio: TwilioClient, provider: None
) -> None:
    parent = form()
    accepted = xml(
        twilio.post(
            "/voice/accept?ticket=424242&attempt=1",
            {**parent, "ParentCallSid": parent["CallSid"], "Digits": "1"},
        )
    )
    assert verbs(accepted) == []
    other = xml(
        twilio.post(
            "/voice/accept?ticket=424242&attempt=1",
            {**parent, "ParentCallSid": parent["CallSid"], "Digits": "7"},
        )
    )
    assert verbs(other) == ["Hangup"]


@pytest.fixture
def dead_app(tmp_path: Any) -> Flask:
    """An app whose database cannot be reached at all."""
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": tmp_path / "instance",
            "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "HOTLINE_PUBLIC_URL": PUBLIC_URL,
        }
    )
    fallback.remember(app.instance_path, FALLBACK)
    return app


def test_fallback_url_works_with_the_database_gone(dead_app: Flask) -> None:
    twilio = TwilioClient(dead_app.test_client())
    root = xml(twilio.post("/voice/fallback", form(ErrorCode="11200", ErrorUrl="x")))
    assert_dials_fallback(root)
    whisper = xml(twilio.post("/voice/fallback-whisper", form()))
    assert verbs(whisper) == ["Gather", "Hangup"]
    bridged = xml(
        twilio.post("/voice/fallback-dial", form(DialCallStatus="completed", DialBridged="true"))
    )
    assert verbs(bridged) == ["Say", "Hangup"]
    unanswered = xml(
        twilio.post("/voice/fallback-dial", form(DialCallStatus="completed", DialBridged="false"))
    )
    assert "Record" in verbs(unanswered)


def test_incoming_with_the_database_gone_still_dials_the_fallback(
    dead_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    twilio = TwilioClient(dead_app.test_client())
    data = form()
    with caplog.at_level(logging.ERROR, logger="hotline.voice"):
        root = xml(twilio.post("/voice/incoming", data))
    assert_dials_fallback(root)
    assert data["CallSid"] in caplog.text


def test_a_fallback_voicemail_is_spooled_never_logged_in_clear(
    dead_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    twilio = TwilioClient(dead_app.test_client())
    data = form(RecordingUrl="https://api.twilio.com/R9", RecordingDuration="20")
    with caplog.at_level(logging.INFO):
        root = xml(twilio.post("/voice/fallback-voicemail", data))
    assert verbs(root) == ["Say", "Hangup"]
    assert "R9" not in caplog.text and MUELLER_PHONE not in caplog.text
    [(claimed, record)] = list(fallback.spooled(dead_app.instance_path, "test"))
    assert (record["kind"], record["url"], record["caller"], record["call_sid"]) == (
        "voicemail", "https://api.twilio.com/R9", MUELLER_PHONE, data["CallSid"],
    )  # fmt: skip


def test_a_voicemail_the_database_cannot_take_is_replayed_and_announced(
    app: Flask, twilio: TwilioClient, provider: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database fails just as the caller finishes the voicemail: the caller is thanked
    (not dialled to the fallback), the recording is spooled, and the worker makes a ticket of
    it that the on-call engineers are told about."""
    call = form()
    root = xml(twilio.post("/voice/incoming", call))
    confirm = root.find("Gather").get("action").removeprefix(PUBLIC_URL)
    dial = xml(twilio.post(confirm, {**call, "Digits": "1"}))
    ticket_id = parse_qs(urlsplit(dial.find("Dial").get("action")).query)["ticket"][0]

    def down(*_: Any, **__: Any) -> None:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(calls, "load", down)
    thanks = xml(
        twilio.post(
            f"/voice/voicemail?ticket={ticket_id}",
            {**call, "RecordingUrl": "https://api.twilio.com/R7", "RecordingDuration": "abc"},
        )
    )
    assert verbs(thanks) == ["Say", "Hangup"] and "Dial" not in verbs(thanks)
    monkeypatch.undo()
    with app.app_context():
        session = db.session()
        assert replay.replay(session, app.config["CLOCK"]()) == 1
        ticket = session.get(Ticket, int(ticket_id))
        assert (ticket.state, ticket.voicemail_url) == (
            "callback_pending",
            "https://api.twilio.com/R7",
        )
        told = session.scalars(select(Message.to).where(Message.ticket_id == ticket.id)).all()
        assert MOBILES["jonas"] in told
        assert replay.replay(session, app.config["CLOCK"]()) == 0  # replayed once only


def test_without_any_fallback_number_the_caller_can_leave_a_voicemail(
    app: Flask, twilio: TwilioClient
) -> None:
    root = xml(twilio.post("/voice/fallback", form()))
    assert verbs(root)[:2] == ["Say", "Record"]
    assert root.find("Record").get("action") == f"{PUBLIC_URL}/voice/fallback-voicemail"


@pytest.mark.parametrize("stored", ["[]", '"x"', '{"fallback_number": 123}', "{", '{"a": 1}'])
def test_a_malformed_fallback_file_is_ignored_not_a_500(
    app: Flask, twilio: TwilioClient, stored: str
) -> None:
    (Path(app.instance_path) / fallback.FILE).parent.mkdir(parents=True, exist_ok=True)
    (Path(app.instance_path) / fallback.FILE).write_text(stored)
    root = xml(twilio.post("/voice/fallback", form()))
    assert verbs(root)[:2] == ["Say", "Record"]  # no usable number: straight to a voicemail


def test_the_fallback_does_not_need_the_shared_twiml_builder(
    app: Flask, twilio: TwilioClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["HOTLINE_FALLBACK_NUMBER"] = FALLBACK

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("the shared builder is broken")

    monkeypatch.setattr(twiml, "say", broken)
    monkeypatch.setattr(twiml, "render", broken)
    assert_dials_fallback(xml(twilio.post("/voice/fallback", form())))
    assert_dials_fallback(xml(twilio.post("/voice/incoming", form())))


def test_if_even_the_fallback_fails_a_constant_document_takes_a_voicemail(
    app: Flask, twilio: TwilioClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["HOTLINE_FALLBACK_NUMBER"] = FALLBACK

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(voice_fallback, "VoiceResponse", broken)
    root = xml(twilio.post("/voice/fallback", form()))
    assert verbs(root) == ["Say", "Record", "Hangup"]
    assert root.find("Record").get("action") == "/voice/fallback-voicemail"


def test_whatever_twilio_sends_is_stored_safely(
    app: Flask, twilio: TwilioClient, provider: None
) -> None:
    """PostgreSQL refused a `To` longer than 32 characters, a `From` longer than 64 and NUL
    bytes: the rota was skipped. Now they are stored cleaned and capped, on both databases."""
    sip = "sip:notdienst@solutionbar.sip.twilio.com"
    data = {**form(), "From": "sip:" + "9" * 300 + "\x00@pbx.example.de", "To": sip}
    root = xml(twilio.post("/voice/incoming", data))
    assert root.find("Gather") is not None  # asked for the customer number: the call goes on
    with app.app_context():
        ticket = db.session().scalar(select(Ticket).where(Ticket.call_sid == data["CallSid"]))
        assert ticket is not None and "\x00" not in (ticket.from_raw or "")
        assert len(ticket.from_raw or "") <= 256 and ticket.to_number is None
        assert ticket.events[0].detail["to"] == sip


def test_a_voicemail_for_a_ticket_that_does_not_exist_is_kept(
    app: Flask, twilio: TwilioClient, provider: None
) -> None:
    data = form(RecordingUrl="https://api.twilio.com/R5", RecordingDuration="12")
    root = xml(twilio.post("/voice/voicemail?ticket=999999", data))
    assert verbs(root) == ["Say", "Hangup"]
    [(_, record)] = list(fallback.spooled(app.instance_path, "test"))
    assert (record["kind"], record["url"]) == ("voicemail", "https://api.twilio.com/R5")


def test_a_call_the_database_never_saw_becomes_a_ticket_and_its_voicemail_is_announced(
    dead_app: Flask, app: Flask, provider: None
) -> None:
    """The database was down for the whole call: the fallback path spooled it; once the
    database is back the worker makes a ticket of it, names the customer, tells the chain."""
    twilio = TwilioClient(dead_app.test_client())
    call = form()
    xml(twilio.post("/voice/fallback", {**call, "ErrorCode": "11200"}))
    xml(twilio.post("/voice/fallback-dial", {**call, "DialCallStatus": "no-answer"}))
    data = {**call, "RecordingUrl": "https://api.twilio.com/R8", "RecordingDuration": "15"}
    xml(twilio.post("/voice/fallback-voicemail", data))
    app.instance_path = dead_app.instance_path  # the worker of the same instance
    with app.app_context():
        session = db.session()
        assert replay.replay(session, app.config["CLOCK"]()) == 2
        ticket = session.scalar(select(Ticket).where(Ticket.call_sid == call["CallSid"]))
        assert ticket is not None and ticket.state == "callback_pending"
        assert ticket.customer is not None and ticket.customer.number == "10042"
        told = session.scalars(select(Message).where(Message.ticket_id == ticket.id)).all()
        assert MOBILES["jonas"] in {m.to for m in told}
        assert all(f"/tickets/{ticket.id}?k=" in m.body for m in told if m.channel == "sms")


def test_the_breaker_opens_after_repeated_database_failures_and_closes_on_success() -> None:
    from hotline.voice.guard import Breaker

    breaker = Breaker()
    breaker.failed(100.0)
    breaker.failed(105.0)
    assert not breaker.open(105.0)
    breaker.failed(120.0)  # the first two are older than the window
    assert not breaker.open(120.0)
    breaker.failed(121.0)
    breaker.failed(122.0)
    assert breaker.open(122.0) and breaker.open(131.0) and not breaker.open(132.5)
    breaker.succeeded()
    assert not breaker.open(122.0)


def test_while_the_breaker_is_open_calls_get_the_fallback_without_the_database(
    app: Flask, twilio: TwilioClient, provider: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["HOTLINE_FALLBACK_NUMBER"] = FALLBACK
    asked: list[str] = []

    def down(*_: Any, **__: Any) -> None:
        asked.append("db")
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(callers, "identify", down)
    for _ in range(3):
        assert_dials_fallback(xml(twilio.post("/voice/incoming", form())))
    assert len(asked) == 3
    assert_dials_fallback(xml(twilio.post("/voice/incoming", form())))
    assert len(asked) == 3  # the fourth did not even try

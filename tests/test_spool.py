"""The fallback path's spool under the faults an adversarial run found: a full disk, a worker
that dies mid-replay, a record that never replays, a message that is not an emergency, an
engineer who accepts during an outage, and a status callback that comes before the replay."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest
from builders import CENTRAL, FALLBACK, MOBILES, MUELLER_PHONE, small_provider, verbs, xml
from conftest import Clock, TwilioClient
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from test_voice import Call, messages, ticket_of, walk_to_first_dial

from hotline import calls, db, fallback, replay
from hotline.models import Ticket

RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE" + "ab" * 16


@pytest.fixture
def provider(app: Flask) -> None:
    app.config["HOTLINE_FALLBACK_NUMBER"] = FALLBACK
    with app.app_context():
        small_provider(db.session())


def down(*_: Any, **__: Any) -> None:
    raise OperationalError("SELECT 1", {}, Exception("database locked"))


def replayed(app: Flask, clock: Clock) -> int:
    with app.app_context():
        return replay.replay(db.session(), clock())


def test_a_full_disk_loses_no_trace_of_a_voicemail(
    app: Flask, twilio: TwilioClient, caplog: pytest.LogCaptureFixture
) -> None:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    (Path(app.instance_path) / fallback.SPOOL).write_text("not a folder: writing fails")
    data = {"CallSid": "CA" + "1" * 32, "From": MUELLER_PHONE, "To": CENTRAL,
            "RecordingUrl": RECORDING, "RecordingDuration": "20"}  # fmt: skip
    with caplog.at_level(logging.ERROR):
        root = xml(twilio.post("/voice/fallback-voicemail", data))
    assert verbs(root) == ["Say", "Hangup"]  # the caller is thanked all the same
    assert "LOST FROM THE SPOOL" in caplog.text and "RE" + "ab" * 16 in caplog.text
    assert data["CallSid"] in caplog.text and MUELLER_PHONE not in caplog.text


def test_a_claim_left_by_a_dead_worker_is_taken_back(app: Flask) -> None:
    fallback.spool(app.instance_path, "fallback", call_sid="CA1", at="2026-12-01T02:00:00+00:00")
    [(claimed, _)] = list(fallback.spooled(app.instance_path, "worker-that-dies"))
    assert list(fallback.spooled(app.instance_path, "other")) == []  # still claimed
    old = claimed.stat().st_mtime - fallback.STALE_CLAIM - 1
    os.utime(claimed, (old, old))
    [(again, record)] = list(fallback.spooled(app.instance_path, "other"))
    assert record["call_sid"] == "CA1"
    fallback.release(again, done=True)


def test_a_record_that_never_replays_is_set_aside_after_its_tries(
    app: Flask, provider: None, clock: Clock, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    fallback.spool(app.instance_path, "voicemail", call_sid="CA2", url=RECORDING,
                   at=clock().isoformat())  # fmt: skip
    monkeypatch.setattr(replay, "_replay", down)
    for _ in range(fallback.TRIES):
        assert replayed(app, clock) == 0
    folder = Path(app.instance_path) / fallback.SPOOL
    assert [f.suffix for f in folder.iterdir()] == [".bad"]
    assert "set aside" in caplog.text
    assert replayed(app, clock) == 0  # and not tried again


def test_a_duration_that_only_looks_like_digits_does_not_poison_the_spool(
    app: Flask, provider: None, clock: Clock
) -> None:
    fallback.spool(app.instance_path, "voicemail", call_sid="CA3", url=RECORDING, seconds="²",
                   caller=MUELLER_PHONE, at=clock().isoformat())  # fmt: skip
    assert replayed(app, clock) == 1
    with app.app_context():
        ticket = db.session().scalar(select(Ticket).where(Ticket.call_sid == "CA3"))
        assert ticket.state == "callback_pending"


def test_a_message_the_database_cannot_take_stays_a_message(
    app: Flask, twilio: TwilioClient, provider: None, clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    call = Call(twilio)
    root = call.answer(call.incoming(), "2")
    record = root.find("Record").get("action")
    monkeypatch.setattr(calls, "load", down)
    xml(call.post(record, RecordingUrl=RECORDING, RecordingDuration="12"))
    monkeypatch.undo()
    assert replayed(app, clock) == 1
    ticket = ticket_of(app, call)
    assert ticket.state == "not_emergency" and ticket.voicemail_url == RECORDING
    [mail] = messages(app)
    assert (mail.channel, mail.to) == ("email", "support@example.de")


def test_an_engineer_who_accepts_during_an_outage_is_not_swept_as_lost(
    app: Flask, twilio: TwilioClient, provider: None, clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    call = Call(twilio)
    _, whisper, _ = call.engineer(walk_to_first_dial(call))
    accept = call.child(whisper).find("Gather").get("action")
    monkeypatch.setattr(calls, "load", down)
    assert "Hangup" not in verbs(call.child(accept, Digits="1"))  # bridged all the same
    monkeypatch.undo()
    assert replayed(app, clock) == 1
    with app.app_context():
        assert calls.sweep(db.session(), clock.advance(minutes=30)) == 0
    ticket = ticket_of(app, call)
    assert ticket.state == "connected" and ticket.accepted_by_id is not None
    assert not any("Verpasster" in m.body for m in messages(app))


def test_a_status_callback_replays_the_calls_spool_before_it_decides(
    app: Flask, twilio: TwilioClient, provider: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The call fell to the fallback at the confirmation and the fallback number took it; its
    status callback comes before the worker's replay: no 'missed call' SMS."""
    call = Call(twilio)
    root = call.incoming()
    monkeypatch.setattr(calls, "apply", down)
    dial = call.answer(root, "1")
    assert dial.find("Dial/Number").text == FALLBACK
    monkeypatch.undo()
    xml(call.post("/voice/fallback-dial", DialCallStatus="completed", DialBridged="true",
                  DialCallDuration="300"))  # fmt: skip
    call.post("/voice/status", CallStatus="completed", CallDuration="320")
    ticket = ticket_of(app, call)
    assert ticket.state == "connected"
    assert not any("Verpasster" in m.body for m in messages(app))


def test_a_voicemail_after_a_fault_at_the_confirmation_reaches_the_on_call_chain(
    app: Flask, twilio: TwilioClient, provider: None, clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    call = Call(twilio)
    root = call.incoming()
    monkeypatch.setattr(calls, "apply", down)
    call.answer(root, "1")  # the fallback: the chain was never frozen
    monkeypatch.undo()
    xml(call.post("/voice/fallback-voicemail", RecordingUrl=RECORDING, RecordingDuration="30"))
    assert replayed(app, clock) == 2
    told = {m.to for m in messages(app) if m.channel == "sms"}
    assert MOBILES["jonas"] in told  # the on-call engineer, not only the project lead


def test_the_spool_file_names_its_call(app: Flask) -> None:
    path = fallback.spool(app.instance_path, "fallback", call_sid="CAabc", at="2026")
    assert "-CAabc-" in path.name and json.loads(path.read_text())["kind"] == "fallback"
    assert [r["call_sid"] for _, r in fallback.spooled(app.instance_path, "x", "CAother")] == []

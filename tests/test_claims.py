"""A lost webhook holds nothing for long: ring claims expire with the ring, and the sweeper
closes calls Twilio never reported as ended (on SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from builders import MOBILES, MUELLER_PHONE, extension, small_provider
from conftest import Clock, TwilioClient
from flask import Flask
from sqlalchemy import select
from test_voice import Call, messages, ticket_of, walk_to_first_dial, xml

from hotline import calls, db
from hotline.models import Engineer


@pytest.fixture
def provider(app: Flask) -> None:
    with app.app_context():
        small_provider(db.session())


def busy(app: Flask, key: str) -> int | None:
    with app.app_context():
        return db.session().scalar(select(Engineer.busy_ticket_id).where(Engineer.key == key))


def test_a_ring_claim_expires_with_the_ring_when_no_dial_result_comes(
    app: Flask, twilio: TwilioClient, provider: None, clock: Clock
) -> None:
    """The dial result of the first call is lost: Jonas is not 'busy with another emergency'
    for hours (the old claim lasted 4 h), only until his ring could have ended."""
    first = Call(twilio)
    assert first.engineer(walk_to_first_dial(first))[0] == MOBILES["jonas"]
    clock.advance(seconds=30)
    second = Call(twilio, extension(1))
    assert second.engineer(walk_to_first_dial(second))[0] == MOBILES["mia"]  # still ringing
    clock.advance(seconds=60)  # 20 s ring + 5 + the whisper twice + a margin are over
    third = Call(twilio, extension(2))
    assert third.engineer(walk_to_first_dial(third))[0] == MOBILES["jonas"]


def test_an_accepted_engineer_stays_claimed_for_the_call(
    app: Flask, twilio: TwilioClient, provider: None, clock: Clock
) -> None:
    call = Call(twilio)
    _, whisper, _ = call.engineer(walk_to_first_dial(call))
    call.child(call.child(whisper).find("Gather").get("action"), Digits="1")
    clock.advance(minutes=30)
    other = Call(twilio, extension(1))
    assert other.engineer(walk_to_first_dial(other))[0] == MOBILES["mia"]


def test_the_sweeper_closes_a_ringing_call_twilio_never_ended(
    app: Flask, twilio: TwilioClient, provider: None, clock: Clock
) -> None:
    call = Call(twilio)
    walk_to_first_dial(call)  # then: no dial result, no status callback, ever
    with app.app_context():
        assert calls.sweep(db.session(), clock.advance(minutes=5)) == 0  # could still be live
        assert calls.sweep(db.session(), clock.advance(minutes=10)) == 1
        assert calls.sweep(db.session(), clock.advance(minutes=1)) == 0  # once
    ticket = ticket_of(app, call)
    assert (ticket.state, ticket.attempts[0].outcome) == ("lost", "cancelled")
    assert ticket.ended_at is not None and busy(app, "jonas") is None
    [sms] = messages(app)
    assert sms.to == MOBILES["jonas"] and MUELLER_PHONE in sms.body


def test_the_sweeper_frees_a_connected_engineer_after_the_longest_call_and_bills_nothing(
    app: Flask, twilio: TwilioClient, provider: None, clock: Clock
) -> None:
    call = Call(twilio)
    _, whisper, _ = call.engineer(walk_to_first_dial(call))
    call.child(call.child(whisper).find("Gather").get("action"), Digits="1")
    with app.app_context():
        assert calls.sweep(db.session(), clock.advance(hours=3)) == 0
        assert calls.sweep(db.session(), clock.advance(hours=2)) == 1
    ticket = ticket_of(app, call)
    assert (ticket.state, ticket.bridged_seconds) == ("connected", None)
    assert busy(app, "jonas") is None


def test_two_workers_sweeping_at_once_close_a_call_once(
    app: Flask, twilio: TwilioClient, provider: None, clock: Clock
) -> None:
    call = Call(twilio)
    walk_to_first_dial(call)
    later = clock.advance(minutes=20)
    barrier, closed = threading.Barrier(2), []

    def sweep() -> None:
        with app.app_context():
            session = db.session()
            barrier.wait()
            try:
                closed.append(calls.sweep(session, later))
            except Exception as exc:  # noqa: BLE001 - a lost race may fail, never double
                session.rollback()
                closed.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(c for c in closed if isinstance(c, int)) == 1, closed
    assert len(messages(app)) == 1


def _to_voicemail(call: Call) -> Any:
    root = walk_to_first_dial(call)
    while root.find("Dial") is not None:
        _, _, action = call.engineer(root)
        root = xml(call.post(action, DialCallStatus="no-answer"))
    return root.find("Record").get("action")


def test_a_status_callback_before_the_recording_loses_no_voicemail(
    app: Flask, twilio: TwilioClient, provider: None
) -> None:
    call = Call(twilio)
    record = _to_voicemail(call)
    call.post("/voice/status", CallStatus="completed", CallDuration="95")  # hung up to finish
    thanks = xml(call.post(record, RecordingUrl="https://api.twilio.com/R4",
                           RecordingDuration="25"))  # fmt: skip
    assert "Vielen Dank" in thanks.find("Say").text
    ticket = ticket_of(app, call)
    assert (ticket.state, ticket.voicemail_seconds) == ("callback_pending", 25)
    assert {m.to for m in messages(app)} >= {MOBILES["jonas"], MOBILES["mia"]}
    assert not any("Verpasster" in m.body for m in messages(app))


def test_a_caller_who_hangs_up_at_the_beep_is_abandoned_after_the_grace(
    app: Flask, twilio: TwilioClient, provider: None, clock: Clock
) -> None:
    call = Call(twilio)
    _to_voicemail(call)
    call.post("/voice/status", CallStatus="completed", CallDuration="95")
    with app.app_context():
        assert calls.sweep(db.session(), clock.advance(seconds=60)) == 0
        assert calls.sweep(db.session(), clock.advance(minutes=2)) == 1
    assert ticket_of(app, call).state == "abandoned"
    [sms] = messages(app)
    assert "Verpasster" in sms.body and sms.to == MOBILES["jonas"]

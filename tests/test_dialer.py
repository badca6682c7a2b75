"""The dialer sends what a request queued, after it committed, through the real twilio Client:
what Twilio would receive, once, with nothing of the database held while Twilio answers."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import pytest
from builders import CENTRAL, MOBILES, call_sid, small_provider
from flask import Flask
from sqlalchemy import select
from twilio_recorder import RecordingHttpClient

from hotline import db, dialer
from hotline.models import Leg, Provider, Ticket


@pytest.fixture
def recorder(app: Flask) -> RecordingHttpClient:
    client = RecordingHttpClient()
    app.config.update(TWILIO_HTTP_CLIENT=client, HOTLINE_DIALER_THREAD=False)
    return client


def queue(app: Flask, at: datetime, to: str = MOBILES["jonas"]) -> int:
    with app.app_context():
        session = db.session()
        if Provider.one(session) is None:
            small_provider(session)
        ticket = Ticket(call_sid=call_sid(), arrived_at=at, to_number=CENTRAL)
        session.add(ticket)
        leg = dialer.place(session, ticket, dialer.WARM, to, "invite", at, timeout=15)
        session.commit()
        return leg.id


def send(app: Flask, at: datetime) -> int:
    with app.app_context(), db.new_session() as session:
        return dialer.send(session, at)


def leg(app: Flask, leg_id: int) -> Leg:
    with app.app_context():
        found = db.session().get(Leg, leg_id)
        assert found is not None
        db.session().expunge(found)
        return found


def test_a_queued_leg_becomes_the_call_twilio_would_receive(
    app: Flask, clock: Any, recorder: RecordingHttpClient
) -> None:
    leg_id = queue(app, clock())
    assert recorder.requests == []  # nothing goes out inside the request that queued it
    assert send(app, clock()) == 1
    (sent,) = recorder.requests
    assert sent.method == "POST" and sent.url.endswith("/Calls.json")
    assert sent.data["To"] == MOBILES["jonas"] and sent.data["From"] == CENTRAL
    assert sent.data["Timeout"] == 15
    assert "/voice/invite?" in sent.data["Url"] and f"leg={leg_id}" in sent.data["Url"]
    assert sent.data["StatusCallback"].startswith("https://") and "/voice/leg?" in sent.data[
        "StatusCallback"]  # fmt: skip
    assert sent.data["StatusCallbackEvent"] == ["initiated", "ringing", "answered", "completed"]
    found = leg(app, leg_id)
    assert found.status == "sent" and found.call_sid and found.call_sid.startswith("CA")
    assert send(app, clock()) == 0  # sent once


def test_the_rest_base_url_is_a_setting(
    app: Flask, clock: Any, recorder: RecordingHttpClient
) -> None:
    app.config["TWILIO_API_URL"] = "http://127.0.0.1:8765/twilio/"
    queue(app, clock())
    send(app, clock())
    assert recorder.requests[0].url.startswith("http://127.0.0.1:8765/twilio/2010-04-01/Accounts/")


def test_a_refused_leg_is_an_error_and_its_owner_is_told(
    app: Flask, clock: Any, recorder: RecordingHttpClient
) -> None:
    told: list[int] = []
    dialer.NOT_PLACED["test"] = lambda session, found, now: told.append(found.id)
    try:
        with app.app_context():
            leg_id = queue(app, clock())
            found = db.session().get(Leg, leg_id)
            found.purpose = "test"  # type: ignore[union-attr]
            db.session().commit()
        recorder.fail(500)
        send(app, clock())
    finally:
        del dialer.NOT_PLACED["test"]
    found = leg(app, leg_id)
    assert found.status == "error" and "500" in (found.error or "") and told == [leg_id]


def test_a_stop_cancels_a_ringing_leg_and_completes_an_answered_one(
    app: Flask, clock: Any, recorder: RecordingHttpClient
) -> None:
    ringing, answered = queue(app, clock()), queue(app, clock(), MOBILES["mia"])
    send(app, clock())
    with app.app_context():
        session = db.session()
        session.get(Leg, answered).answered_at = clock()  # type: ignore[union-attr]
        ticket = session.get(Leg, ringing).ticket  # type: ignore[union-attr]
        other = session.get(Leg, answered).ticket  # type: ignore[union-attr]
        dialer.stop(session, ticket, purposes=(dialer.WARM,))
        dialer.stop(session, other, purposes=(dialer.WARM,))
        session.commit()
    send(app, clock())
    stops = {r.url.rsplit("/", 1)[1]: r.data["Status"] for r in recorder.requests[2:]}
    assert stops == {
        f"{leg(app, ringing).call_sid}.json": "canceled",
        f"{leg(app, answered).call_sid}.json": "completed",
    }


def test_two_senders_at_once_place_a_leg_once(
    app: Flask, clock: Any, recorder: RecordingHttpClient
) -> None:
    for n in range(6):
        queue(app, clock(), f"+4917100000{n:02d}")
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            start.wait()
            send(app, clock())
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    created = [r.data["To"] for r in recorder.requests if r.url.endswith("/Calls.json")]
    assert sorted(created) == [f"+4917100000{n:02d}" for n in range(6)]


def test_nothing_of_the_database_is_held_while_twilio_answers(
    app: Flask, clock: Any, recorder: RecordingHttpClient
) -> None:
    """A webhook writing while the dialer waits for Twilio must not wait for it (on SQLite a
    transaction left open would hold the write lock for every other request)."""
    leg_id = queue(app, clock())
    wrote: list[bool] = []
    inner = recorder.request

    def slow_twilio(*args: Any, **kwargs: Any) -> Any:
        with app.app_context(), db.new_session() as other:
            ticket = other.scalars(select(Ticket)).first()
            ticket.notes = "written while Twilio answered"  # type: ignore[union-attr]
            other.commit()
            wrote.append(True)
        return inner(*args, **kwargs)

    recorder.request = slow_twilio  # type: ignore[method-assign]
    send(app, clock())
    assert wrote == [True] and leg(app, leg_id).status == "sent"

"""The voice guard under a burst of healthy calls: a handler slot goes to the request that waited
longest, a request waits its turn within its deadline, and a busy process is no sick database
(the caller gets the fallback in time, the circuit breaker stays closed). The database pool and
the slots follow the settings. Deterministic: the tests hold the slots themselves and see a
waiter queue up through the queue itself, never by timing."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

import pytest
from builders import CENTRAL, FALLBACK, MUELLER_PHONE, call_sid, small_provider, xml
from conftest import PUBLIC_URL, TwilioClient, sign
from flask import Flask
from sqlalchemy import func, select

from hotline import create_app, db
from hotline.models import Ticket
from hotline.server import ARRIVED
from hotline.voice import guard
from hotline.voice.guard import Breaker, Slots


class Queue(deque[threading.Event]):
    """The slots' queue of waiters, telling the test each time a request queues up."""

    def __init__(self) -> None:
        super().__init__()
        self.joined = threading.Semaphore(0)

    def append(self, turn: threading.Event) -> None:
        super().append(turn)
        self.joined.release()


def watched(slots: Slots) -> Queue:
    slots.waiting = queue = Queue()
    return queue


def test_a_freed_slot_goes_to_the_longest_waiter_never_to_a_newcomer() -> None:
    slots = Slots(1)
    queue = watched(slots)
    assert slots.acquire()
    order: list[str] = []

    def wait(name: str) -> None:
        assert slots.acquire(timeout=60)
        order.append(name)
        slots.release()

    first = threading.Thread(target=wait, args=("first",))
    first.start()
    queue.joined.acquire()
    second = threading.Thread(target=wait, args=("second",))
    second.start()
    queue.joined.acquire()
    slots.release()  # handed to "first", whether or not its thread has run yet
    assert not slots.acquire()  # a newcomer finds no free slot
    first.join()
    second.join()
    assert order == ["first", "second"]
    assert slots.acquire() and not slots.acquire()  # the one slot is free again, once


def test_a_wait_that_runs_out_leaves_no_trace_in_the_queue() -> None:
    slots = Slots(1)
    assert slots.acquire()
    assert not slots.acquire(timeout=0.01)
    assert len(slots.waiting) == 0
    slots.release()
    assert slots.acquire()


def test_pool_and_slots_follow_the_settings(tmp_path: Path) -> None:
    app = create_app({"INSTANCE_PATH": tmp_path, "HOTLINE_DEVELOPMENT": True,
                      "HOTLINE_DB_POOL": "3", "HOTLINE_DB_OVERFLOW": "2"})  # fmt: skip
    pool: Any = app.extensions["hotline.engine"].pool
    assert (pool.size(), pool._max_overflow) == (3, 2)
    slots: Slots = app.extensions["hotline.voice.slots"]
    assert [slots.acquire() for _ in range(4)] == [True, True, True, False]


def test_the_defaults_leave_two_web_processes_and_two_workers_within_postgresql_s_100(
    tmp_path: Path,
) -> None:
    """PostgreSQL's default max_connections is 100, 3 of them reserved for superusers."""
    app = create_app({"INSTANCE_PATH": tmp_path, "HOTLINE_DEVELOPMENT": True})
    each = app.config["HOTLINE_DB_POOL"] + app.config["HOTLINE_DB_OVERFLOW"]
    assert 4 * each <= 100 - 3
    assert app.config["HOTLINE_DB_POOL"] >= 8  # a web process's voice webhooks at once


@pytest.fixture
def provider(app: Flask) -> None:
    app.config["HOTLINE_FALLBACK_NUMBER"] = FALLBACK
    with app.app_context():
        small_provider(db.session())


def incoming(twilio: TwilioClient) -> Any:
    return xml(twilio.post("/voice/incoming", {"CallSid": call_sid(), "From": MUELLER_PHONE,
                                               "To": CENTRAL}))  # fmt: skip


def dials_fallback(root: Any) -> bool:
    dial = root.find("Dial")
    return dial is not None and dial.find("Number").text == FALLBACK


def test_a_busy_process_answers_the_fallback_in_time_and_the_breaker_stays_closed(
    app: Flask, twilio: TwilioClient, provider: None, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["HOTLINE_VOICE_DEADLINE"] = 0.2  # each request waits 0.1 s for a slot
    app.extensions["hotline.voice.slots"] = Slots(0)  # every handler taken, and none comes free
    with caplog.at_level(logging.INFO, "hotline.webhooks"):
        for _ in range(Breaker.FAILURES + 1):
            assert dials_fallback(incoming(twilio))
    assert [r.getMessage().split(" outcome=")[1].split()[0] for r in caplog.records
            if r.name == "hotline.webhooks"] == ["busy"] * (Breaker.FAILURES + 1)  # fmt: skip
    assert not guard.breaker.failures and not guard.breaker.open(time.monotonic())
    app.extensions["hotline.voice.slots"] = Slots(1)  # the burst is over
    app.config["HOTLINE_VOICE_DEADLINE"] = 60.0  # however slow this machine is today
    assert incoming(twilio).find("Gather") is not None  # the confirmation question


def test_a_request_that_finds_every_slot_taken_waits_its_turn_and_is_answered(
    app: Flask, twilio: TwilioClient, provider: None
) -> None:
    app.config["HOTLINE_VOICE_DEADLINE"] = 60.0  # never reached: the slot comes free first
    slots = app.extensions["hotline.voice.slots"] = Slots(1)
    queue = watched(slots)
    assert slots.acquire()  # another call's handler holds the only slot
    answers: list[Any] = []
    waiting = threading.Thread(target=lambda: answers.append(incoming(twilio)))
    waiting.start()
    queue.joined.acquire()  # the request is queued
    slots.release()
    waiting.join()
    assert not dials_fallback(answers[0])
    assert answers[0].find("Gather") is not None  # the confirmation question


def test_a_request_that_waited_half_its_deadline_in_the_server_s_queue_gets_the_fallback(
    app: Flask, provider: None
) -> None:
    """The server stamps each request with when it began to arrive (hotline/server.py); the
    caller has heard silence since then, so that wait counts: no handler starts, nothing is
    written, and the breaker stays closed."""
    app.config["HOTLINE_VOICE_DEADLINE"] = 4.0
    data = {"CallSid": call_sid(), "From": MUELLER_PHONE, "To": CENTRAL}
    signature = sign(PUBLIC_URL + "/voice/incoming", data)
    answer = app.test_client().post(
        "/voice/incoming", data=data, headers={"X-Twilio-Signature": signature},
        environ_base={ARRIVED: time.monotonic() - 2.0},
    )  # fmt: skip
    assert dials_fallback(xml(answer))
    assert not guard.breaker.failures
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Ticket)) == 0

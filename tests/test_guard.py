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
from conftest import PUBLIC_URL, sign
from flask import Flask
from sqlalchemy import func, select

from hotline import calls, create_app, db
from hotline.models import Ticket
from hotline.server import ARRIVED
from hotline.voice import guard
from hotline.voice.fallback import BUSY, hold
from hotline.voice.guard import HOLDS, Breaker, Slots


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


def incoming(app: Flask, held: int = 0, **environ: Any) -> Any:
    """A new call's first request (after `held` holds), signed as Twilio signs it."""
    path = "/voice/incoming" + (f"?held={held}" if held else "")
    data = {"CallSid": call_sid(), "From": MUELLER_PHONE, "To": CENTRAL}
    signature = sign(PUBLIC_URL + path, data)
    return xml(app.test_client().post(path, data=data, headers={"X-Twilio-Signature": signature},
                                      environ_base=environ))  # fmt: skip


def dials_fallback(root: Any) -> bool:
    dial = root.find("Dial")
    return dial is not None and dial.find("Number").text == FALLBACK


def outcomes(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage().split(" outcome=")[1].split()[0] for r in caplog.records
            if r.name == "hotline.webhooks"]  # fmt: skip


def test_a_call_under_way_gets_a_freed_slot_before_a_new_call() -> None:
    slots = Slots(1)
    new, under_way = Queue(), watched(slots)
    slots.new = new
    assert slots.acquire()
    order: list[str] = []

    def wait(name: str, is_new: bool) -> None:
        assert slots.acquire(timeout=60, new=is_new)
        order.append(name)
        slots.release()

    first = threading.Thread(target=wait, args=("new call", True))
    first.start()
    new.joined.acquire()
    second = threading.Thread(target=wait, args=("call under way", False))
    second.start()
    under_way.joined.acquire()
    slots.release()
    first.join()
    second.join()
    assert order == ["call under way", "new call"]


def test_a_busy_process_puts_a_new_caller_on_hold_a_few_times_then_gives_the_fallback(
    app: Flask, provider: None, caplog: pytest.LogCaptureFixture
) -> None:
    """Every handler is taken and none comes free (a burst of calls): the caller hears "Einen
    Moment bitte", a pause, and Twilio asks again, up to HOLDS times; then the fallback number
    is dialled. None of it counts towards the circuit breaker: the database is fine."""
    app.config["HOTLINE_VOICE_DEADLINE"] = 0.4  # a new call waits 0.1 s for a slot
    app.extensions["hotline.voice.slots"] = Slots(0)
    with caplog.at_level(logging.INFO, "hotline.webhooks"):
        holds = [incoming(app, held=held) for held in range(HOLDS)]
        last = [incoming(app, held=HOLDS) for _ in range(Breaker.FAILURES + 1)]
    for held, root in enumerate(holds):
        assert [verb.tag for verb in root] == ["Say"] * (held == 0) + ["Pause", "Redirect"]
        assert held or root.find("Say").text == BUSY
        assert root.find("Pause").get("length") in {"1", "2"}
        assert root.find("Redirect").text == f"{PUBLIC_URL}/voice/incoming?held={held + 1}"
    assert all(dials_fallback(root) for root in last)
    assert outcomes(caplog) == ["held"] * HOLDS + ["busy"] * (Breaker.FAILURES + 1)
    assert not guard.breaker.failures and not guard.breaker.open(time.monotonic())
    app.extensions["hotline.voice.slots"] = Slots(1)  # the burst is over
    app.config["HOTLINE_VOICE_DEADLINE"] = 60.0  # however slow this machine is today
    assert incoming(app, held=1).find("Gather") is not None  # the confirmation question
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Ticket)) == 1


def test_the_callers_of_a_burst_hold_for_pauses_of_their_own(tmp_path: Path) -> None:
    """The pause follows the CallSid: callers put on hold together come back spread out."""
    app = create_app({"INSTANCE_PATH": tmp_path, "HOTLINE_DEVELOPMENT": True})
    lengths = []
    for n in range(20):
        with app.test_request_context("/voice/incoming", method="POST",
                                      data={"CallSid": f"CA{n:032x}"}):  # fmt: skip
            lengths.append(xml(hold(2)).find("Pause").get("length"))
    assert sorted(set(lengths)) == ["1", "2"] and 5 <= lengths.count("1") <= 15


def test_a_request_that_finds_every_slot_taken_waits_its_turn_and_is_answered(
    app: Flask, provider: None
) -> None:
    app.config["HOTLINE_VOICE_DEADLINE"] = 60.0  # never reached: the slot comes free first
    slots = app.extensions["hotline.voice.slots"] = Slots(1)
    slots.new = queue = Queue()
    assert slots.acquire()  # another call's handler holds the only slot
    answers: list[Any] = []
    waiting = threading.Thread(target=lambda: answers.append(incoming(app)))
    waiting.start()
    queue.joined.acquire()  # the request is queued
    slots.release()
    waiting.join()
    assert answers[0].find("Gather") is not None  # the confirmation question


def test_a_request_that_waited_half_its_deadline_in_the_server_s_queue_gets_the_fallback(
    app: Flask, provider: None
) -> None:
    """The server stamps each request with when it began to arrive (hotline/server.py); the
    caller has heard silence since then, so that wait counts: no handler starts, nothing is
    written, and the breaker stays closed. A new call's first request waits a quarter of the
    deadline before its caller is put on hold; any other request three quarters, then the
    fallback."""
    app.config["HOTLINE_VOICE_DEADLINE"] = 4.0
    assert incoming(app, **{ARRIVED: time.monotonic() - 1.0}).find("Redirect") is not None
    assert dials_fallback(incoming(app, held=HOLDS, **{ARRIVED: time.monotonic() - 3.0}))
    assert not guard.breaker.failures
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Ticket)) == 0


def test_a_handler_late_after_waiting_its_turn_is_a_busy_process_not_a_failing_database(
    app: Flask, provider: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request that waited for its turn until it had less than half the deadline left, and
    then missed it, gets the fallback without counting towards the breaker. One that had half
    the deadline or more to itself and missed it counts: the database hangs or is locked."""
    app.config["HOTLINE_VOICE_DEADLINE"] = 1.0
    hanging = threading.Event()
    monkeypatch.setattr(calls, "lock", lambda *_: hanging.wait(60))
    data = {"CallSid": call_sid(), "CallStatus": "completed"}
    signature = sign(PUBLIC_URL + "/voice/status", data)

    def status(**environ: Any) -> Any:
        return app.test_client().post("/voice/status", data=data, environ_base=environ,
                                      headers={"X-Twilio-Signature": signature})  # fmt: skip

    try:
        assert status(**{ARRIVED: time.monotonic() - 0.6}).status_code == 204  # 0.4 s left
        assert not guard.breaker.failures
        assert status().status_code == 204  # the whole second to itself
        assert len(guard.breaker.failures) == 1
    finally:
        hanging.set()


def test_while_the_database_fails_a_new_call_is_not_held_but_gets_the_fallback(
    app: Flask, provider: None
) -> None:
    app.config["HOTLINE_VOICE_DEADLINE"] = 0.4
    app.extensions["hotline.voice.slots"] = Slots(0)
    guard.breaker.failed(time.monotonic())  # one failure: not yet open
    assert dials_fallback(incoming(app))

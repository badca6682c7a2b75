"""The worker's machinery: leases across processes, the job store, jobs looked up at run time."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from sqlalchemy import inspect, select

from hotline import db, notify, retention, scheduler
from hotline.models import Lease, Message
from hotline.outbound import deliver

BERLIN = ZoneInfo("Europe/Berlin")
ran: list[tuple[str, datetime]] = []
MINUTE = timedelta(minutes=1)


def record(session: Any, now: datetime) -> None:
    """A job of this test: proves it ran, with which clock, in a session that gets committed."""
    ran.append(("record", now))
    notify.enqueue_sms(session, "+4915112345678", "from a job", key=f"job-{now.isoformat()}")


def explode(session: Any, now: datetime) -> None:
    ran.append(("explode", now))
    raise RuntimeError("boom")


TEST_JOBS = {
    "record": scheduler.Job(f"{__name__}:record", IntervalTrigger(minutes=1), MINUTE),
    "explode": scheduler.Job(f"{__name__}:explode", IntervalTrigger(minutes=1), MINUTE),
    "missing": scheduler.Job("hotline.nowhere:nothing", IntervalTrigger(minutes=1), MINUTE),
}


@pytest.fixture
def jobs(app: Flask) -> Iterator[None]:
    ran.clear()
    scheduler._missing.clear()
    app.config["SCHEDULER_JOBS"] = TEST_JOBS
    yield
    with app.app_context():
        SQLAlchemyJobStore(engine=db.engine(), tablename=scheduler.JOB_TABLE).jobs_t.drop(
            db.engine(), checkfirst=True
        )


def concurrently(app: Flask, action: Callable[[Any, str], Any], n: int = 2) -> list[Any]:
    """Run `action(session, holder)` in n threads at once, each with its own connection."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def worker(i: int) -> None:
        with app.app_context(), db.new_session() as session:
            barrier.wait()
            results[i] = action(session, f"worker-{i}")

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_two_concurrent_claimers_get_one_lease(app: Flask, clock: Any) -> None:
    for name in ("race-1", "race-2", "race-3", "race-4", "race-5"):

        def claim(session: Any, holder: str, name: str = name) -> bool:
            return scheduler.claim(session, name, holder, clock.at, MINUTE / 2, MINUTE)

        assert sorted(concurrently(app, claim)) == [False, True]


def test_two_workers_running_one_job_run_it_once(app: Flask, clock: Any, jobs: None) -> None:
    results = concurrently(app, lambda _s, holder: scheduler.run("record", holder), n=3)
    assert sorted(results) == [False, False, True]
    assert ran == [("record", clock.at)]
    with app.app_context():
        assert len(db.session().scalars(select(Message)).all()) == 1  # the job's work committed


def test_lease_repeat_and_expiry(session: Any, clock: Any) -> None:
    t0 = clock.at
    hold, repeat = timedelta(minutes=10), timedelta(seconds=30)
    assert scheduler.claim(session, "job", "a", t0, repeat, hold)
    assert not scheduler.claim(session, "job", "b", t0 + timedelta(minutes=5), repeat, hold)
    scheduler.release(session, "job", "a")
    # released, but a late copy of the same run (within `repeat`) is still refused
    assert not scheduler.claim(session, "job", "b", t0 + timedelta(seconds=20), repeat, hold)
    assert scheduler.claim(session, "job", "b", t0 + timedelta(seconds=30), repeat, hold)
    # b dies without releasing: the job is blocked until its lease expires, then free again
    assert not scheduler.claim(session, "job", "a", t0 + timedelta(minutes=9), repeat, hold)
    assert scheduler.claim(
        session, "job", "a", t0 + timedelta(minutes=10, seconds=30), repeat, hold
    )
    lease = session.get(Lease, "job", populate_existing=True)
    assert (lease.holder, lease.last_run_at) == ("a", t0 + timedelta(minutes=10, seconds=30))


def test_run_uses_the_injected_clock_and_each_run_once(app: Flask, clock: Any, jobs: None) -> None:
    with app.app_context():
        assert scheduler.run("record")
        assert not scheduler.run("record", holder="other-worker")  # same run, other process
        clock.advance(minutes=1)
        assert scheduler.run("record", holder="other-worker")
    assert ran == [("record", clock.at - MINUTE), ("record", clock.at)]


def test_failing_and_missing_jobs_are_logged_not_fatal(
    app: Flask, clock: Any, jobs: None, caplog: pytest.LogCaptureFixture
) -> None:
    with app.app_context():
        assert scheduler.run("explode")
        assert scheduler.run("missing")
        clock.advance(minutes=1)
        assert scheduler.run("explode")  # the lease was released after the failure
        assert scheduler.run("missing")
    assert [name for name, _ in ran] == ["explode", "explode"]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2 and "boom" in caplog.text
    missing = [r.getMessage() for r in caplog.records if "not available" in r.getMessage()]
    assert len(missing) == 1 and "hotline.nowhere:nothing" in missing[0]


def test_jobs_are_kept_in_the_database_and_survive_a_restart(app: Flask, jobs: None) -> None:
    """A restart keeps a stored job's next run time, so a run missed while down still happens."""
    first = scheduler.build(app, BackgroundScheduler)
    first.start(paused=True)
    missed = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    first.modify_job("record", next_run_time=missed)
    first.shutdown(wait=False)
    with app.app_context():
        assert scheduler.JOB_TABLE in inspect(db.engine()).get_table_names()

    app.config["SCHEDULER_JOBS"] = {
        "record": TEST_JOBS["record"],  # unchanged: kept as stored
        "explode": scheduler.Job(f"{__name__}:explode", IntervalTrigger(hours=1), MINUTE),
    }  # "missing" was dropped from the table
    second = scheduler.build(app, BackgroundScheduler)
    second.start(paused=True)
    try:
        stored = {job.id: job for job in second.get_jobs()}
        assert set(stored) == {"record", "explode"}
        assert stored["record"].next_run_time == missed
        assert str(stored["explode"].trigger) == "interval[1:00:00]"
        assert stored["record"].args == ("record",)
    finally:
        second.shutdown(wait=False)


def test_production_jobs_resolve_or_name_a_function() -> None:
    table = scheduler.table(BERLIN)
    assert scheduler.resolve(table["deliver-sms"].target) is notify.deliver_sms
    assert scheduler.resolve(table["deliver-email"].target) is notify.deliver_email
    assert scheduler.resolve(table["deliver-webhooks"].target) is deliver.deliver
    purge, answers = table["purge-personal-data"], table["purge-answers"]
    assert scheduler.resolve(purge.target) is retention.purge_personal_data
    assert scheduler.resolve(answers.target) is retention.purge_answers
    assert answers.every == timedelta(hours=1)
    for job in table.values():
        module, _, name = job.target.partition(":")
        assert module.startswith("hotline.") and name.isidentifier()


@pytest.mark.parametrize(
    ("job", "after", "fires"),
    [
        # 02:00 in Berlin on the 1st: CET (UTC+1) in November, CEST (UTC+2) in April
        ("month-end", datetime(2026, 10, 15, tzinfo=UTC), datetime(2026, 11, 1, 1, 0, tzinfo=UTC)),
        ("month-end", datetime(2026, 3, 15, tzinfo=UTC), datetime(2026, 4, 1, 0, 0, tzinfo=UTC)),
        # 03:30 in Berlin on the day the clocks go back (an hour after the second 02:30),
        # and the day after
        (
            "purge-personal-data",
            datetime(2026, 10, 24, 6, tzinfo=UTC),
            datetime(2026, 10, 25, 2, 30, tzinfo=UTC),
        ),
        (
            "purge-personal-data",
            datetime(2026, 10, 25, 7, tzinfo=UTC),
            datetime(2026, 10, 26, 2, 30, tzinfo=UTC),
        ),
        # and on the day they go forward
        (
            "purge-personal-data",
            datetime(2026, 3, 28, 7, tzinfo=UTC),
            datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        ),
    ],
)
def test_calendar_jobs_follow_berlin_time(job: str, after: datetime, fires: datetime) -> None:
    assert scheduler.table(BERLIN)[job].trigger.get_next_fire_time(None, after) == fires


def test_two_workers_starting_at_once_both_start(app: Flask, jobs: None) -> None:
    """Both race to create the job table and to store the jobs (two workers of a deployment
    started together: compose, bench/cluster.py); the loser tries again instead of dying."""
    for _ in range(3):
        with app.app_context(), db.engine().begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {scheduler.JOB_TABLE}")
        failures, built = start_together(app, 2)
        assert failures == []
        assert len(built) == 2


def start_together(app: Flask, count: int) -> tuple[list[Exception], list[Any]]:
    gate, failures, built = threading.Barrier(count), [], []

    def start() -> None:
        gate.wait()
        try:
            worker = scheduler.build(app, BackgroundScheduler)
            worker.start(paused=True)
            built.append(worker)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            failures.append(exc)

    threads = [threading.Thread(target=start) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for worker in built:
        worker.shutdown(wait=False)
    return failures, built


def test_a_lost_race_for_the_job_table_is_tried_again(
    app: Flask, jobs: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from sqlalchemy.exc import ProgrammingError

    original, calls = SQLAlchemyJobStore.start, []

    def lose_once(self: Any, *args: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ProgrammingError("CREATE TABLE apscheduler_jobs", {}, Exception("exists"))
        original(self, *args)

    monkeypatch.setattr(SQLAlchemyJobStore, "start", lose_once)
    worker = scheduler.build(app, BackgroundScheduler)
    worker.start(paused=True)
    try:
        assert {job.id for job in worker.get_jobs()} == set(TEST_JOBS)
    finally:
        worker.shutdown(wait=False)
    assert len(calls) == 3  # lost, tried again, and once more when the scheduler starts
    assert "another worker was storing the jobs; trying again" in caplog.text


def test_the_worker_starts_with_the_real_job_table(
    app: Flask, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """`flask worker` up to the scheduler's start, with the production jobs: on SQLite a read
    left open before the job table is read would wait for itself and kill the worker."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    monkeypatch.setattr(BlockingScheduler, "start", lambda self, *a, **k: None)
    app.config.pop("SCHEDULER_JOBS", None)
    with caplog.at_level(logging.INFO, logger="hotline.scheduler"):
        scheduler.serve(app)
    assert any("started, jobs: heartbeat" in r.getMessage() for r in caplog.records)

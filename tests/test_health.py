"""`GET /healthz`: the database migrated and reachable, the worker alive, the outbox moving, the
rota covered; 200 or 503, and a 503 in time when the database hangs."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from builders import small_provider
from conftest import Clock
from flask import Flask
from sqlalchemy import text

from hotline import db, health, heartbeat, notify, watch
from hotline.models import Answer, Rotation


@pytest.fixture
def migrated(app: Flask) -> Iterator[None]:
    """The test database as `init-db` leaves it: stamped with the code's newest revision (the
    fixture's schema comes from the models; tests/test_schema.py compares the two)."""
    with app.app_context(), db.engine().begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        conn.execute(text("INSERT INTO alembic_version VALUES (:v)"), {"v": health.head()})
    yield
    with app.app_context(), db.engine().begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))


@pytest.fixture(autouse=True)
def _fresh_rota() -> None:
    health._rota.clear()  # the per-process minute of rota gaps: every test has its own rota


@pytest.fixture(autouse=True)
def _watch_done(app: Flask) -> Iterator[None]:
    """A 503 for a dead worker starts the web process's watch in the background
    (test_watch.py): it must be done before the test's database is emptied."""
    yield
    thread = watch.watchman(app).thread
    if thread is not None:
        thread.join(10)


@pytest.fixture
def ready(app: Flask, migrated: None, clock: Clock) -> None:
    with app.app_context():
        small_provider(db.session())
        heartbeat.worker(db.session(), clock())


def healthz(app: Flask) -> tuple[int, dict[str, Any]]:
    response = app.test_client().get("/healthz")
    assert response.mimetype == "application/json"
    return response.status_code, response.get_json()


def test_a_ready_hotline_answers_200_with_every_figure(app: Flask, ready: None, clock: Clock):
    with app.app_context():
        session = db.session()
        notify.enqueue_sms(session, "+491712345678", "x", "k1")
        session.add(Answer(key="a", call_sid="CA1", status=200, mimetype="text/xml", body="",
                           at=clock() - timedelta(seconds=30)))  # fmt: skip
        session.commit()
    clock.advance(seconds=20)
    status, body = healthz(app)
    assert status == 200, body
    assert body["status"] == "ok" and body["problems"] == []
    assert body["database"] == {"ok": True, "revision": health.head(), "head": health.head()}
    assert body["worker"]["ok"] and body["worker"]["age_seconds"] == 20.0
    assert body["messages"] == {"ok": True, "pending": 1, "failed": 0,
                                "oldest_pending_seconds": 20.0}  # fmt: skip
    assert body["rota"] == {"covered_now": True, "gaps_next_24h": []}
    assert body["webhook"]["age_seconds"] == 50.0


def test_a_dead_worker_is_a_503(app: Flask, ready: None, clock: Clock) -> None:
    clock.advance(minutes=2)
    assert healthz(app)[0] == 200  # exactly 2 minutes: four beats missed is not yet dead
    clock.advance(seconds=1)
    status, body = healthz(app)
    assert status == 503 and not body["worker"]["ok"]
    assert "worker heartbeat" in body["problems"][0]


def test_a_database_never_migrated_is_a_503(app: Flask, clock: Clock) -> None:
    with app.app_context():
        heartbeat.worker(db.session(), clock())
    status, body = healthz(app)
    assert status == 503
    assert body["database"] == {"ok": False, "revision": None, "head": health.head()}


def test_a_message_due_for_minutes_means_delivery_is_stuck(app: Flask, ready: None, clock: Clock):
    with app.app_context():
        notify.enqueue_sms(db.session(), "+491712345678", "x", "k1")
        db.session().commit()
    clock.advance(minutes=3)
    with app.app_context():
        heartbeat.worker(db.session(), clock())  # the worker beats, but sends nothing
    status, body = healthz(app)
    assert status == 503 and not body["messages"]["ok"]
    assert body["messages"]["oldest_pending_seconds"] == 180.0


def test_a_rota_gap_is_a_warning_not_a_503(app: Flask, ready: None, clock: Clock) -> None:
    """Calls still reach the fallback number: a gap is for a human, it does not take the
    hotline out of a load balancer."""
    with app.app_context():
        session = db.session()
        session.query(Rotation).filter(Rotation.key == "gruen-primary").delete()
        session.commit()
    status, body = healthz(app)
    assert status == 200
    assert body["rota"]["covered_now"] is False
    assert [g["team"] for g in body["rota"]["gaps_next_24h"]] == ["gruen"]
    assert any("team gruen now" in w for w in body["warnings"])


def test_a_hanging_database_gives_a_503_within_the_deadline(
    app: Flask, ready: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another connection holds the lock the check needs (SQLite: the write lock every
    transaction takes; PostgreSQL: an exclusive lock on the heartbeats)."""
    monkeypatch.setattr(health, "DEADLINE", 0.5)
    release = threading.Event()
    held = threading.Event()

    def hold() -> None:
        with app.app_context(), db.engine().connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("BEGIN"))
                conn.execute(text("LOCK TABLE heartbeats IN ACCESS EXCLUSIVE MODE"))
            else:
                conn.execute(text("SELECT 1"))  # in BEGIN IMMEDIATE (hotline/db.py): the lock
            held.set()
            release.wait(10)
            conn.rollback()

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    assert held.wait(5)
    try:
        started = time.monotonic()
        status, body = healthz(app)
        assert time.monotonic() - started < 1.5
        assert status == 503 and body["database"]["ok"] is False
        assert "database unreachable" in body["problems"][0]
    finally:
        release.set()
        holder.join(10)

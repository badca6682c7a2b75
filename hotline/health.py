"""`/healthz`: can the hotline take a call now? Read in a handful of small queries, decided by
escalation/health.py, bounded by a deadline so a hanging database gives a 503 in time.

What it reads: the database's Alembic revision against the code's head, the heartbeats, the
outbox (pending, failed, the oldest message still waiting), the rota's gaps from now to 24 hours
ahead, and the last webhook answered (`answers.at`, kept for a day). The rota part is the
costliest and changes only when someone edits the rota, so each process keeps it for a minute.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy import case, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from escalation import alarms, health
from escalation.gaps import Gap
from hotline import db, heartbeat, migrate, roster, watch
from hotline.clock import now
from hotline.models import Answer, Message
from hotline.voice.guard import Late, Slots, within

DEADLINE = 3.0  # seconds /healthz waits for the database before it answers 503 (a cold start
# on a busy host took 1 to 2 s: connect, first queries)
STATEMENT_MS = 2500  # PostgreSQL cancels a statement of the check after this
_slots = Slots(2)  # checks that may hang at once; more answer 503 at once
ROTA_KEPT = timedelta(minutes=1)
_rota: dict[str, tuple[datetime, tuple[Gap, ...]]] = {}  # per database URL: computed at, gaps
_rota_lock = threading.Lock()


@cache
def head() -> str:
    """The newest migration the code carries (read once per process)."""
    script = ScriptDirectory.from_config(migrate.alembic_config(""))
    return str(script.get_current_head())


def revision(session: Session) -> str | None:
    """The database's Alembic revision; None when it was never migrated."""
    try:
        with session.begin_nested():
            return session.scalar(text("SELECT version_num FROM alembic_version"))
    except DBAPIError:
        return None


def gaps(session: Session, at: datetime) -> tuple[Gap, ...]:
    """The rota's gaps in [at, at + 24 h), computed at most once a minute per process."""
    key = current_app.config["DATABASE_URL"]
    with _rota_lock:
        kept = _rota.get(key)
    if kept and at - ROTA_KEPT < kept[0] <= at:
        return tuple(g for g in kept[1] if g.ends_at > at)
    found = roster.gap_report(session, at, at + health.AHEAD).gaps
    with _rota_lock:
        _rota[key] = (at, found)
    return found


def facts(session: Session, at: datetime, newest: str) -> health.Facts:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL statement_timeout = {STATEMENT_MS}"))
    found = revision(session)
    due = Message.next_try_at <= at
    pending, failed, oldest, oldest_due = session.execute(
        select(
            func.count().filter(Message.status == "pending"),
            func.count().filter(Message.status == "failed"),
            func.min(case((Message.status == "pending", Message.created_at))),
            func.min(case(((Message.status == "pending") & due, Message.next_try_at))),
        ).where(Message.status.in_(("pending", "failed")))
    ).one()
    return health.Facts(
        now=at,
        revision=found,
        head=newest,
        beats=heartbeat.beats(session),
        pending=pending,
        failed=failed,
        oldest_pending=oldest,
        oldest_due=oldest_due,
        gaps=gaps(session, at),
        last_webhook=session.scalar(select(func.max(Answer.at))),
    )


def check() -> tuple[dict[str, Any], int]:
    """The `/healthz` document and its status (200 or 503), within `DEADLINE`."""
    at = now()
    newest = head()  # the migration files, read once per process: not the database's time

    def read() -> health.Facts:
        try:
            return facts(db.session(), at, newest)
        finally:
            db.session().rollback()

    try:
        found = within(DEADLINE, read, _slots)
    except Late:
        return _down(at, f"no answer within {DEADLINE:.0f} s"), 503
    except DBAPIError as exc:
        return _down(at, type(exc.orig).__name__ if exc.orig else type(exc).__name__), 503
    verdict = health.verdict(found)
    if alarms.dead(found.beats.get(health.WORKER), at, watch.watchman(current_app).started):
        watch.watchman(current_app).poke()  # the dead-man's switch: stand in for the worker
    return document(found, verdict), 200 if verdict.ok else 503


def _age(then: datetime | None, at: datetime) -> float | None:
    return None if then is None else round((at - then).total_seconds(), 1)


def _iso(then: datetime | None) -> str | None:
    return None if then is None else then.isoformat()


def document(f: health.Facts, verdict: health.Verdict) -> dict[str, Any]:
    worker = f.beats.get(health.WORKER)
    web = f.beats.get(health.WEB)
    return {
        "status": "ok" if verdict.ok else "fail",
        "checked_at": f.now.isoformat(),
        "problems": list(verdict.problems),
        "warnings": list(verdict.warnings),
        "database": {"ok": f.revision == f.head, "revision": f.revision, "head": f.head},
        "worker": {"ok": not health.stale(worker, f.now), "heartbeat_at": _iso(worker),
                   "age_seconds": _age(worker, f.now)},
        "web": {"heartbeat_at": _iso(web), "age_seconds": _age(web, f.now)},
        "messages": {
            "ok": f.oldest_due is None or f.now - f.oldest_due <= health.OVERDUE,
            "pending": f.pending, "failed": f.failed,
            "oldest_pending_seconds": _age(f.oldest_pending, f.now),
        },
        "rota": {
            "covered_now": health.covered_now(f.gaps, f.now),
            "gaps_next_24h": [
                {"team": g.team, "starts_at": g.starts_at.isoformat(),
                 "ends_at": g.ends_at.isoformat()}
                for g in f.gaps
            ],
        },
        "webhook": {"last_at": _iso(f.last_webhook), "age_seconds": _age(f.last_webhook, f.now)},
    }  # fmt: skip


def _down(at: datetime, why: str) -> dict[str, Any]:
    return {
        "status": "fail",
        "checked_at": at.isoformat(),
        "problems": [f"database unreachable: {why}"],
        "warnings": [],
        "database": {"ok": False, "error": why},
    }

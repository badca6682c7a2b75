"""Heartbeats: the worker and the web process each write theirs every half minute, so that
`/healthz` and each other's watch (hotline/watch.py) can tell a dead process from a quiet one.

One row per kind of process, written by whichever process of that kind beat last: the question
is whether any worker is alive, not which one (leases already keep two workers apart).
"""

from __future__ import annotations

import os
import socket
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from escalation.health import WEB, WORKER
from hotline.models import Heartbeat

PROCESS = f"{socket.gethostname()}:{os.getpid()}"


def beat(session: Session, name: str, now: datetime, holder: str = PROCESS) -> None:
    """Write `name`'s heartbeat (one upsert) and commit."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(Heartbeat).values(name=name, holder=holder, beat_at=now)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"], set_={"holder": holder, "beat_at": now}
        )
    )
    session.commit()


def beats(session: Session) -> dict[str, datetime]:
    """Every kind of process's last heartbeat."""
    return dict(session.execute(select(Heartbeat.name, Heartbeat.beat_at)).tuples().all())


def worker(session: Session, now: datetime) -> None:
    """The worker's job `heartbeat` (hotline/scheduler.py), every 30 s."""
    beat(session, WORKER, now)


__all__ = ["PROCESS", "WEB", "WORKER", "beat", "beats", "worker"]

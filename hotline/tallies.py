"""Counts of what no other table records, per minute, in the database: a webhook refused for its
signature. Every web process adds to the same rows, so `/metrics` and the alarm on a sudden rise
(hotline/watch.py) see the whole deployment, not one process."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hotline.models import Tally

SIGNATURE_FAILURES = "signature-failures"


def count(session: Session, name: str, now: datetime) -> None:
    """Add one to this minute's `name` (one upsert) and commit."""
    minute = now.replace(second=0, microsecond=0)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(Tally).values(name=name, minute=minute, count=1)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["name", "minute"], set_={"count": Tally.__table__.c.count + 1}
        )
    )
    session.commit()


def total(session: Session, name: str, since: datetime | None = None,
          until: datetime | None = None) -> int:  # fmt: skip
    """How many `name` were counted in the minutes [since, until) (None: without a bound)."""
    query = select(func.coalesce(func.sum(Tally.count), 0)).where(Tally.name == name)
    if since is not None:
        query = query.where(Tally.minute >= since.replace(second=0, microsecond=0))
    if until is not None:
        query = query.where(Tally.minute < until.replace(second=0, microsecond=0))
    return int(session.scalar(query) or 0)


def window(session: Session, name: str, now: datetime, length: timedelta) -> int:
    """How many `name` in the last `length` up to and including this minute."""
    return total(session, name, now - length + timedelta(minutes=1), now + timedelta(minutes=1))

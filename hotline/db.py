"""The database: one engine per app, one session per request (or CLI command, or job)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import ColumnElement, create_engine, event, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

# Deadlines on every database operation: a database that hangs or a lock held elsewhere must
# turn into an error within seconds, because a voice request has 15 s in all (Twilio) and the
# caller must get the fallback in time. The voice guard also runs each request against its own
# deadline (hotline/voice/guard.py); these bound how long a stuck request's thread stays stuck.
WAIT = 3  # seconds to connect, to get a lock, or to get a connection from the pool
STATEMENT = 10  # seconds one statement may run (PostgreSQL)


def make_engine(url: str, **options: Any) -> Engine:
    options.setdefault("pool_timeout", WAIT)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": WAIT}, **options)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we say BEGIN ourselves, below
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={WAIT * 1000}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(connection: Any) -> None:
            # Take the write lock at the start: a transaction that read first and writes later
            # could otherwise fail with "database is locked" when another request wrote in
            # between, and a voice request must not fail that way. Requests are short.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    timeouts = {
        "connect_timeout": WAIT,
        "options": f"-c lock_timeout={WAIT * 1000} -c statement_timeout={STATEMENT * 1000}"
        " -c idle_in_transaction_session_timeout=60000",
        # a server that stops answering on an open connection: give up on unacknowledged data
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 2,
        "keepalives_count": 3,
        "tcp_user_timeout": WAIT * 1000,
    }
    return create_engine(
        url, pool_pre_ping=True, connect_args=timeouts | options.pop("connect_args", {}), **options
    )


def init_app(app: Flask) -> None:
    """The app's engine, its pool sized by HOTLINE_DB_POOL (kept open) and HOTLINE_DB_OVERFLOW
    (opened at a peak, closed after): every process of a deployment may hold their sum, and the
    sums of all processes must stay under the server's `max_connections` (docs/operations.md)."""
    engine = make_engine(
        app.config["DATABASE_URL"],
        pool_size=int(app.config["HOTLINE_DB_POOL"]),
        max_overflow=int(app.config["HOTLINE_DB_OVERFLOW"]),
    )
    app.extensions["hotline.engine"] = engine
    app.extensions["hotline.sessions"] = sessionmaker(engine, expire_on_commit=False)

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def engine() -> Engine:
    return current_app.extensions["hotline.engine"]


def session() -> Session:
    """The session of the current request or app context."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["hotline.sessions"]()
    return g.db_session


@contextmanager
def new_session() -> Iterator[Session]:
    """A session of its own, for work that must commit apart from the request's session."""
    s: Session = current_app.extensions["hotline.sessions"]()
    try:
        yield s
    finally:
        s.close()


def claim(session: Session, model: type[Any], *where: ColumnElement[bool], **values: Any) -> bool:
    """One conditional UPDATE that takes a row (a claim, a lease, an accept): True when this
    session took it. Both SQLite and PostgreSQL run it atomically, so of two racing requests
    exactly one wins; the loser sees the winner's values once the winner commits."""
    statement = update(model).where(*where).values(**values)
    result = session.execute(statement.execution_options(synchronize_session=False))
    return result.rowcount == 1  # type: ignore[attr-defined]

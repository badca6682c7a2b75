"""The backup and restore of docs/operations.md, done as written: `pg_dump -Fc` of a database
with tickets, `pg_restore` into a fresh database, and every ticket is there, as the app reads it.
PostgreSQL only (SQLite is a file: copy it). The client tools must match the server's major
version (pg_dump refuses a newer server), which is checked first."""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import PG_ADMIN
from flask import Flask
from sqlalchemy import create_engine, select, text

from hotline import create_app, db, migrate
from hotline.models import Ticket

CALLS = [  # the demo's customers, at different times of the demo week
    ("030 2345678", "2026-12-01T08:30"),
    ("030 1234567", "2026-12-01T23:10"),
    ("030 2345678", "2026-12-02T03:05"),
    ("030 1234567", "2026-12-03T12:00"),
]


@pytest.fixture
def databases() -> Iterator[tuple[str, str]]:
    """Two empty PostgreSQL databases: the one in use and the one to restore into."""
    admin = create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")  # fmt: skip
    names = [f"hotline_backup_{uuid.uuid4().hex[:10]}", f"hotline_restore_{uuid.uuid4().hex[:10]}"]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{names[0]}", f"{base}/{names[1]}"
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def app_on(url: str, folder: Path) -> Flask:
    return create_app({"TESTING": True, "INSTANCE_PATH": folder, "DATABASE_URL": url,
                       "SECRET_KEY": "backup-test", "TWILIO_AUTH_TOKEN": "backup-token",
                       "TWILIO_ACCOUNT_SID": None,
                       "HOTLINE_PUBLIC_URL": "https://hotline.example.de"})  # fmt: skip


def tickets(app: Flask) -> list[dict[str, object]]:
    """Every ticket as `flask ticket ID --json` shows it."""
    with app.app_context():
        ids = db.session().scalars(select(Ticket.id).order_by(Ticket.id)).all()
    runner = app.test_cli_runner()
    shown = []
    for ticket_id in ids:
        result = runner.invoke(args=["ticket", str(ticket_id), "--json"])
        assert result.exit_code == 0, result.output
        shown.append(json.loads(result.output))
    return shown


def major(command: str) -> str:
    out = subprocess.run([command, "--version"], capture_output=True, text=True, check=True)
    return re.search(r"\) (\d+)", out.stdout).group(1)  # type: ignore[union-attr]


def test_a_dump_restored_into_a_fresh_database_holds_every_ticket(
    databases: tuple[str, str], tmp_path: Path
) -> None:
    used, fresh = databases
    admin = create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.connect() as conn:
        server = str(conn.execute(text("SHOW server_version_num")).scalar())[:-4]
    admin.dispose()
    assert major("pg_dump") == major("pg_restore") == server

    migrate.upgrade(used)
    app = app_on(used, tmp_path / "used")
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo", "--week", "2026-11-30"]).exit_code == 0
    for caller, at in CALLS:
        result = runner.invoke(args=["simulate-call", "--from", caller, "--at", at])
        assert result.exit_code == 0, result.output
    before = tickets(app)
    assert len(before) == len(CALLS)

    dump = tmp_path / "hotline.dump"
    subprocess.run(["pg_dump", "-Fc", "--no-owner", "-f", str(dump), used], check=True)
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "-d", fresh, str(dump)],
                   check=True)  # fmt: skip

    restored = app_on(fresh, tmp_path / "restored")
    assert tickets(restored) == before
    with restored.app_context():
        version = db.session().execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == migrate_head()
    # The restored database takes the next call: its sequences went along.
    result = restored.test_cli_runner().invoke(
        args=["simulate-call", "--from", "030 2345678", "--at", "2026-12-04T09:00"]
    )
    assert result.exit_code == 0, result.output
    assert [t["id"] for t in tickets(restored)] == [t["id"] for t in before] + [len(CALLS) + 1]


def migrate_head() -> str:
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(migrate.alembic_config("")).get_current_head())

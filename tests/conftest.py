"""Test fixtures: an app on SQLite and on PostgreSQL, a fixed clock, signed Twilio requests.

Database tests take the `app` fixture and run once per backend. Each backend's database is
created for this run and dropped after it; PostgreSQL must be reachable (HOTLINE_TEST_PG, default
postgresql://postgres@127.0.0.1:5432/postgres): if it is not, those tests fail, they never skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from twilio.request_validator import RequestValidator

from hotline import create_app, db
from hotline.db import make_engine
from hotline.models import Base

pytest_plugins = ["browser"]  # site, page_as: the product in Chromium (tests/browser.py)

PG_ADMIN = os.environ.get("HOTLINE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
PUBLIC_URL = "https://hotline.example.de"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


def create_schema(url: str) -> None:
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh database per backend for this test run, with the models' tables.

    tests/test_schema.py checks separately that the Alembic migrations build the same schema.
    """
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
        create_schema(url)
        yield url
        return
    name = f"hotline_test_{uuid.uuid4().hex[:12]}"
    admin_url = PG_ADMIN.replace("postgresql://", "postgresql+psycopg://", 1)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - fail loudly, never skip
        pytest.fail(f"PostgreSQL at {PG_ADMIN} is required for the PostgreSQL tests: {exc}")
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        create_schema(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def clock() -> Clock:
    # A Tuesday night in winter (CET): 03:00 in Berlin.
    return Clock(datetime(2026, 12, 1, 2, 0, tzinfo=UTC))


@pytest.fixture
def app(database_url: str, clock: Clock, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": tmp_path / "instance",
            "DATABASE_URL": database_url,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "HOTLINE_PUBLIC_URL": PUBLIC_URL,
            "SECRET_KEY": "test-secret",
            "CLOCK": clock,
        }
    )
    yield app
    with app.app_context():
        engine = db.engine()
        with engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
        engine.dispose()


@pytest.fixture
def session(app: Flask) -> Iterator[Any]:
    """The app's session inside an app context."""
    with app.app_context():
        yield db.session()


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


class TwilioClient:
    """Posts to webhooks the way Twilio does: form-encoded and signed over the public URL."""

    def __init__(self, client: FlaskClient, token: str = AUTH_TOKEN) -> None:
        self.client = client
        self.token = token

    def post(self, path: str, data: dict[str, str], signed: bool = True) -> Any:
        headers = (
            {"X-Twilio-Signature": sign(PUBLIC_URL + path, data, self.token)} if signed else {}
        )
        return self.client.post(path, data=data, headers=headers)


@pytest.fixture
def twilio(app: Flask) -> TwilioClient:
    return TwilioClient(app.test_client())


@pytest.fixture(autouse=True)
def _closed_breaker() -> Iterator[None]:
    """Each test starts with the voice guard's circuit breaker closed (it is per process)."""
    from hotline.voice import guard

    guard.breaker.succeeded()
    yield
    guard.breaker.succeeded()

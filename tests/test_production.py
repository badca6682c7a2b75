"""A production process refuses to start with settings that would fail or leak: a generated
secret key or auth token, the demo accounts' published passwords, a public URL on http://.
HOTLINE_DEVELOPMENT allows all of them (a demo). The web server (`serve`), the WSGI entry and the
worker refuse alike."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from hotline import accounts, create_app, migrate, production

SRC = Path(__file__).resolve().parent.parent
GOOD = {
    "SECRET_KEY": "a-production-secret",
    "TWILIO_AUTH_TOKEN": "a-production-token",
    "HOTLINE_PUBLIC_URL": "https://hotline.example.de",
}


def production_app(tmp_path: Path, **settings: object) -> Flask:
    """An app as production starts it: the given settings, the rest generated or defaulted."""
    database = f"sqlite:///{tmp_path / 'prod.db'}"
    migrate.upgrade(database)
    return create_app({"INSTANCE_PATH": tmp_path / "instance", "DATABASE_URL": database,
                       "HOTLINE_DEVELOPMENT": False, **settings})  # fmt: skip


@pytest.mark.parametrize(
    ("missing", "reason"),
    [
        ("SECRET_KEY", "SECRET_KEY is generated on this machine"),
        ("TWILIO_AUTH_TOKEN", "TWILIO_AUTH_TOKEN is generated on this machine"),
        ("HOTLINE_PUBLIC_URL", "HOTLINE_PUBLIC_URL http://localhost:5000 is not https"),
    ],
)
def test_serve_and_worker_refuse_each_setting(tmp_path: Path, missing: str, reason: str) -> None:
    app = production_app(tmp_path, **{k: v for k, v in GOOD.items() if k != missing})
    for command in (["serve", "--port", "1"], ["worker"]):
        result = app.test_cli_runner().invoke(args=command)
        assert result.exit_code == 1, result.output
        assert "refusing to start in production" in result.output
        assert reason in result.output


def test_http_is_refused_even_off_localhost(tmp_path: Path) -> None:
    app = production_app(tmp_path, **{**GOOD, "HOTLINE_PUBLIC_URL": "http://hotline.example.de"})
    with app.app_context(), pytest.raises(production.Refused) as refused:
        production.refuse(app)
    assert refused.value.reasons == [
        "HOTLINE_PUBLIC_URL http://hotline.example.de is not https: set the https URL Twilio "
        "calls (it signs every webhook over it)"
    ]


def test_demo_passwords_are_refused_until_disabled(tmp_path: Path) -> None:
    app = production_app(tmp_path, **GOOD)
    runner = app.test_cli_runner()
    with app.app_context():
        production.refuse(app)  # nothing wrong yet
    assert runner.invoke(args=["seed-demo", "--week", "2026-11-30"]).exit_code == 0
    refused = runner.invoke(args=["serve", "--port", "1"])
    assert refused.exit_code == 1 and "demo accounts with their published passwords" in (
        refused.output
    )
    for email in accounts.DEMO:
        assert email in refused.output
        assert runner.invoke(args=["users", "disable", email]).exit_code == 0
    with app.app_context():
        production.refuse(app)


def test_development_allows_everything(tmp_path: Path) -> None:
    app = production_app(tmp_path, HOTLINE_DEVELOPMENT=True)
    assert app.config["HOTLINE_GENERATED"] == ["SECRET_KEY", "TWILIO_AUTH_TOKEN"]
    app.test_cli_runner().invoke(args=["seed-demo", "--week", "2026-11-30"])
    with app.app_context():
        production.refuse(app)


def test_an_unreachable_database_does_not_stop_the_web_server(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The Fallback URL needs no database: the web server starts, and says what it skipped."""
    app = create_app({"INSTANCE_PATH": tmp_path, "HOTLINE_DEVELOPMENT": False, **GOOD,
                      "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"})  # fmt: skip
    with app.app_context():
        production.refuse(app)
    assert "demo accounts not checked: the database cannot be reached" in caplog.text


def wsgi(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`import hotline.wsgi` as a WSGI server does, in a clean environment."""
    database = tmp_path / "wsgi.db"
    migrate.upgrade(f"sqlite:///{database}")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "TWILIO_"))}
    clean.pop("SECRET_KEY", None)
    clean |= {"HOTLINE_INSTANCE": str(tmp_path / "instance"), "PYTHONPATH": str(SRC),
              "DATABASE_URL": f"sqlite:///{database}", **env}  # fmt: skip
    code = "import hotline.wsgi as w; print('loaded', w.app.name)"
    return subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True,
                          text=True, timeout=60, cwd=tmp_path)  # fmt: skip


def test_the_wsgi_entry_refuses_at_import(tmp_path: Path) -> None:
    refused = wsgi(tmp_path, HOTLINE_PUBLIC_URL="https://hotline.example.de")
    assert refused.returncode != 0
    assert "hotline.production.Refused: refusing to start in production" in refused.stderr
    assert "SECRET_KEY is generated" in refused.stderr
    assert "TWILIO_AUTH_TOKEN is generated" in refused.stderr
    loaded = wsgi(tmp_path, **GOOD)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "loaded hotline"

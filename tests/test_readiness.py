"""`check` finds what would make calls fail before a customer does."""

from __future__ import annotations

from builders import small_provider
from flask import Flask

from hotline import db


def check(app: Flask) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["check"])
    return result.exit_code, result.output


def test_a_ready_deployment_passes_and_shows_the_console_urls(app: Flask) -> None:
    with app.app_context():
        small_provider(db.session())
    code, out = check(app)
    assert code == 0, out
    assert "OK    Twilio calls https://hotline.example.de" in out
    assert "OK    fallback number +491715550000" in out
    assert "someone reachable is on call for every team" in out
    assert "https://hotline.example.de/voice/fallback" in out


def test_no_directory_fails(app: Flask) -> None:
    code, out = check(app)
    assert code == 1
    assert "FAIL  no directory imported" in out


def test_a_generated_token_with_a_real_account_fails(app: Flask) -> None:
    with app.app_context():
        small_provider(db.session())
    app.config["HOTLINE_GENERATED"] = ["TWILIO_AUTH_TOKEN"]
    app.config["HOTLINE_PUBLIC_URL"] = "http://localhost:5000"
    code, out = check(app)
    assert code == 1
    assert "FAIL  TWILIO_AUTH_TOKEN is not set" in out
    assert "FAIL  HOTLINE_PUBLIC_URL http://localhost:5000 is not reachable" in out


def test_rota_gaps_are_warned(app: Flask) -> None:
    with app.app_context():
        small_provider(db.session())
    app.config["CLOCK"].advance(days=-60)  # before the rotations start
    code, out = check(app)
    assert code == 0
    assert "WARN  nobody reachable on call for team blau" in out

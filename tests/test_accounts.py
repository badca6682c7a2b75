"""Accounts: Argon2 passwords, logins slowed against guessing, sessions that end, CSRF on every
form, one-time invitations, API tokens kept as hashes, and demo passwords refused in production."""

from __future__ import annotations

import re
from typing import Any

import pytest
from builders import small_provider
from conftest import Clock
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hotline import accounts, db
from hotline.models import ApiToken, AuditEntry, User

PASSWORD = "correct horse battery"


@pytest.fixture
def people(app: Flask, clock: Clock) -> dict[str, Any]:
    with app.app_context():
        session = db.session()
        small_provider(session)
        made = {
            "dispo": accounts.create(session, "dispo@example.de", "dispatcher", clock(),
                                     password=PASSWORD),
            "jonas": accounts.create(session, "Jonas@Example.de", "engineer", clock(),
                                     engineer="jonas", password=PASSWORD),
        }  # fmt: skip
        session.commit()
        return {k: v.id for k, v in made.items()}


def csrf(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.findall(r'name="csrf_token" value="([^"]+)"', page)[0]


def logged_in(client: FlaskClient) -> bool:
    """Whether `/` takes this client somewhere other than the login page."""
    answer = client.get("/")
    return not (answer.status_code == 302 and answer.headers["Location"].endswith("/login"))


def log_in(client: FlaskClient, email: str, password: str = PASSWORD, **query: str) -> Any:
    target = "/login" + (f"?next={query['next']}" if "next" in query else "")
    return client.post(target, data={"email": email, "password": password,
                                     "csrf_token": csrf(client)})  # fmt: skip


def test_a_password_is_kept_as_an_argon2_hash(app: Flask, people: dict[str, Any]) -> None:
    with app.app_context():
        user = db.session().get(User, people["dispo"])
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


def test_login_logout_and_the_start_page(app: Flask, people: dict[str, Any]) -> None:
    client = app.test_client()
    assert client.get("/").headers["Location"].endswith("/login")
    answer = log_in(client, "JONAS@example.de ")  # the address is case- and space-insensitive
    assert answer.status_code == 302 and logged_in(client)
    cookie = client.get_cookie("hotline")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    client.post("/logout", data={"csrf_token": csrf(client, "/login")})
    assert not logged_in(client)


def test_a_wrong_password_fails_and_says_nothing_about_the_address(
    app: Flask, people: dict[str, Any]
) -> None:
    client = app.test_client()
    wrong = log_in(client, "dispo@example.de", "not the password")
    unknown = log_in(client, "nobody@example.de", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Anmeldung fehlgeschlagen" in wrong.get_data(as_text=True)
    assert wrong.get_data(as_text=True).count("fehlgeschlagen") == 1


def test_guessing_is_slowed_down(app: Flask, people: dict[str, Any], clock: Clock) -> None:
    client = app.test_client()
    for _ in range(accounts.PER_ADDRESS):
        assert log_in(client, "dispo@example.de", "guess").status_code == 401
    assert log_in(client, "dispo@example.de").status_code == 429  # even the right one, for now
    clock.advance(minutes=16)
    assert log_in(client, "dispo@example.de").status_code == 302


def test_every_form_needs_its_csrf_token(app: Flask, people: dict[str, Any]) -> None:
    client = app.test_client()
    answer = client.post("/login", data={"email": "dispo@example.de", "password": PASSWORD})
    assert answer.status_code == 400 and "Formular" in answer.get_data(as_text=True)


def test_sessions_end_when_idle_and_after_their_hours(
    app: Flask, people: dict[str, Any], clock: Clock
) -> None:
    client = app.test_client()
    log_in(client, "dispo@example.de")
    clock.advance(minutes=app.config["HOTLINE_SESSION_IDLE_MINUTES"] - 5)
    assert logged_in(client)
    clock.advance(minutes=app.config["HOTLINE_SESSION_IDLE_MINUTES"] + 1)
    assert not logged_in(client)
    log_in(client, "dispo@example.de")
    for _ in range(app.config["HOTLINE_SESSION_HOURS"] + 1):  # busy all the while
        clock.advance(minutes=60)
        client.get("/")
    assert not logged_in(client)


def test_a_disabled_account_is_logged_out_at_once(app: Flask, people: dict[str, Any]) -> None:
    client = app.test_client()
    log_in(client, "dispo@example.de")
    result = app.test_cli_runner().invoke(args=["users", "disable", "dispo@example.de"])
    assert result.exit_code == 0, result.output
    assert not logged_in(client)
    assert log_in(client, "dispo@example.de").status_code == 401


def test_no_redirect_leaves_the_site_after_login(app: Flask, people: dict[str, Any]) -> None:
    for target in ("//evil.example", "https://evil.example/", "/\\evil.example"):
        answer = log_in(app.test_client(), "dispo@example.de", next=target)
        assert answer.headers["Location"] in ("/", "http://localhost/"), target


def test_an_invitation_sets_a_password_once(app: Flask, people: dict[str, Any]) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "add", "anna@example.de", "--role", "project_lead",
                                 "--engineer", "anna"])  # fmt: skip
    assert result.exit_code == 0, result.output
    [link] = re.findall(r"https://hotline\.example\.de(/invite/\S+)", result.output)
    client = app.test_client()
    assert client.post(link, data={"password": "short", "csrf_token": csrf(client, link)}
                       ).status_code == 200  # refused: too short, asked again  # fmt: skip
    done = client.post(link, data={"password": PASSWORD, "csrf_token": csrf(client, link)})
    assert done.status_code == 302
    assert app.test_client().get(link).status_code == 410  # used
    assert log_in(app.test_client(), "anna@example.de").status_code == 302


def test_the_cli_refuses_what_makes_no_account(app: Flask, people: dict[str, Any]) -> None:
    runner = app.test_cli_runner()
    for args in (["users", "add", "x@example.de", "--role", "engineer"],  # which engineer?
                 ["users", "add", "x@example.de", "--role", "engineer", "--engineer", "nobody"],
                 ["users", "add", "not-an-address", "--role", "admin"],
                 ["users", "add", "dispo@example.de", "--role", "admin"]):  # fmt: skip
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and "Traceback" not in result.output, args
    first = runner.invoke(args=["users", "add", "root@example.de", "--role", "admin",
                                "--password-stdin"], input=PASSWORD + "\n")  # fmt: skip
    assert first.exit_code == 0, first.output
    listing = runner.invoke(args=["users", "list"]).output
    assert "root@example.de" in listing and "admin" in listing


def test_api_tokens_are_shown_once_and_kept_as_hashes(app: Flask, people: dict[str, Any]) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["api-token", "create", "--role", "dispatcher", "--name", "CRM"])
    assert result.exit_code == 0, result.output
    raw = result.output.strip().splitlines()[-1]
    with app.app_context():
        session = db.session()
        token = session.scalars(select(ApiToken)).one()
        assert raw not in token.token_hash and token.token_hash == accounts.hash_token(raw)
        assert accounts.by_token(session, raw, token.created_at) is not None
    assert runner.invoke(args=["api-token", "revoke", str(token.id)]).exit_code == 0
    with app.app_context():
        assert accounts.by_token(db.session(), raw, token.created_at) is None
        actions = db.session().scalars(select(AuditEntry.action)).all()
        assert "create api token" in actions and "revoke api token" in actions


def test_demo_accounts_and_production_refuses_their_passwords(app: Flask) -> None:
    runner = app.test_cli_runner()
    seeded = runner.invoke(args=["seed-demo", "--week", "2026-11-30"])
    assert seeded.exit_code == 0, seeded.output
    for email, (_, _, _, password) in accounts.DEMO.items():
        assert f"{email}" in seeded.output and password in seeded.output
    app.config["HOTLINE_DEVELOPMENT"] = False
    refused = runner.invoke(args=["serve", "--port", "1"])
    assert refused.exit_code != 0 and "demo accounts" in refused.output
    for email in accounts.DEMO:
        runner.invoke(args=["users", "disable", email])
    with app.app_context():
        assert accounts.insecure(db.session()) == []

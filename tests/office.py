"""The office pages under the test client: the demo provider with one demo account per role,
and a client logged in as any of them (or as nobody)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from hotline import accounts, db, demo

WEEK = date(2026, 11, 30)
ROLES = {  # role: the demo account's e-mail (hotline/accounts.py DEMO)
    "admin": "admin@demo.example",
    "dispatcher": "dispo@demo.example",
    "project_lead": "anna@demo.example",
    "engineer": "jonas@demo.example",
}


def seed(app: Flask, now: Any) -> None:
    """The demo directory of the week of 30 November 2026 and its demo accounts."""
    with app.app_context():
        session = db.session()
        demo.seed(session, WEEK)
        accounts.seed_demo(session, now)
        session.commit()


def token(page: str) -> str:
    """The CSRF token of a page's first form."""
    return re.findall(r'name="csrf_token" value="([^"]+)"', page)[0]


def client_as(app: Flask, role: str | None) -> FlaskClient:
    """A test client logged in as the demo account of `role` (None: nobody)."""
    client = app.test_client()
    if role is None:
        return client
    email = ROLES[role]
    password = accounts.DEMO[email][3]
    form = token(client.get("/login").get_data(as_text=True))
    answer = client.post("/login", data={"email": email, "password": password,
                                         "csrf_token": form})  # fmt: skip
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def post(client: FlaskClient, page: str, path: str, data: dict[str, Any] | None = None,
         **kwargs: Any) -> Any:  # fmt: skip
    """POST a form of `page` (its CSRF token taken from there) to `path`."""
    form = token(client.get(page).get_data(as_text=True))
    return client.post(path, data={"csrf_token": form, **(data or {})}, **kwargs)

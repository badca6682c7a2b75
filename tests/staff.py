"""The people who run the hotline, for the pages' tests: one account per role on the small
provider (tests/builders.py), logged in through the real login form, and tickets as rows."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any

from builders import MOBILES, call_sid
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import accounts
from hotline.models import Attempt, Customer, Engineer, Ticket

PASSWORD = "correct horse battery"
ROLES = {  # role: (e-mail, engineer key)
    "admin": ("admin@example.de", None),
    "dispatcher": ("dispo@example.de", None),
    "project_lead": ("anna@example.de", "anna"),
    "engineer": ("jonas@example.de", "jonas"),
    "other_engineer": ("lena@example.de", "lena"),
}


def make_accounts(session: Session, now: datetime) -> None:
    for role, (email, engineer) in ROLES.items():
        accounts.create(session, email, role.removeprefix("other_"), now, engineer=engineer,
                        password=PASSWORD)  # fmt: skip
    session.commit()


def csrf(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.findall(r'name="csrf_token" value="([^"]+)"', page)[-1]


def client_as(app: Flask, role: str | None) -> FlaskClient:
    """A test client logged in as the account of `role` (None: nobody)."""
    client = app.test_client()
    if role is not None:
        answer = client.post("/login", data={"email": ROLES[role][0], "password": PASSWORD,
                                             "csrf_token": csrf(client)})  # fmt: skip
        assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


def chain(*keys: str) -> dict[str, Any]:
    """A frozen chain holding these engineers (escalation.chain.Chain's JSON)."""
    return {
        "version": 1,
        "entries": [
            {
                "level": "own-primary",
                "engineer": k,
                "name": k.title(),
                "number": MOBILES[k],
                "timeout": 20,
                "reason": "on call",
            }  # fmt: skip
            for k in keys
        ],
        "skipped": [],
    }


def ticket(session: Session, arrived: datetime, *, state: str = "connected",
           customer: str | None = "10042", chain_of: tuple[str, ...] = ("jonas", "anna"),
           accepted_by: str | None = "jonas", ringing: str | None = None,
           ended: bool = True, caller: str = "+49301234567", **columns: Any) -> Ticket:  # fmt: skip
    """A ticket row as a call would have left it."""
    engineers = {e.key: e for e in session.scalars(select(Engineer))}
    made = Ticket(
        call_sid=call_sid(), from_raw=caller, from_number=caller, arrived_at=arrived,
        confirmed_at=arrived + timedelta(seconds=10), state=state, chain=chain(*chain_of),
        customer=session.scalar(select(Customer).where(Customer.number == customer))
        if customer else None,
        **columns,
    )  # fmt: skip
    if accepted_by:
        made.accepted_by = engineers[accepted_by]
        made.accepted_at = arrived + timedelta(seconds=40)
        made.attempts.append(Attempt(seq=1, entry=0, level="own-primary",
                                     engineer=engineers[accepted_by], number=MOBILES[accepted_by],
                                     started_at=arrived + timedelta(seconds=12),
                                     answered_at=arrived + timedelta(seconds=20),
                                     outcome="accepted"))  # fmt: skip
    if ringing:
        made.attempts.append(Attempt(seq=len(made.attempts) + 1, entry=0, level="own-primary",
                                     engineer=engineers[ringing], number=MOBILES[ringing],
                                     started_at=arrived + timedelta(seconds=12)))  # fmt: skip
    if ended and state not in ("identifying", "confirming", "ringing", "voicemail"):
        made.ended_at = arrived + timedelta(minutes=10)
    session.add(made)
    session.commit()
    return made


class Text(HTMLParser):
    """The visible text of a page, per element id: tests read what a person reads."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.stack: list[str | None] = []
        self.parts: dict[str | None, list[str]] = {}
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "input", "meta", "link", "img", "hr"):
            return
        self.stack.append(dict(attrs).get("id"))

    def handle_endtag(self, tag: str) -> None:
        if tag not in ("br", "input", "meta", "link", "img", "hr") and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        for ident in {None, *self.stack}:
            self.parts.setdefault(ident, []).append(data)

    def of(self, ident: str | None = None) -> str:
        return " ".join(" ".join(self.parts.get(ident, [])).split())

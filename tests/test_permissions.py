"""The permission matrix: every page and API route against every role and against no login, each
getting exactly what escalation/access.py grants, read off the routes themselves.

A new route that declares no permission (`access.needs` on a page, `operation(permission=...)`
in the API) and is not listed below as open with a reason fails here, so nothing is published
by forgetting to guard it. Forms are posted without their CSRF token being checked (CSRF has
its own test in test_accounts.py): here only who may is in question, and nobody may get a 500.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from escalation.access import Permission, Role, may, sees_ticket
from hotline import accounts, db
from hotline.api.operation import OPERATIONS
from hotline.models import Ticket

# Routes anyone may reach, each guarded some other way (or public by nature).
OPEN = {
    "static": "Flask's static files",
    "web.static": "the pages' stylesheet",
    "web.home": "the login for strangers, the landing page for accounts",
    "web.login": "the login itself",
    "web.logout": "ends whatever session there is",
    "web.language": "sets the language of whoever asks (a cookie for strangers)",
    "web.invite": "the one-time invitation token in its URL",
    "calendar.engineer_feed": "the feed's secret token in its URL",
    "calendar.team_feed": "the feed's secret token in its URL",
    "probes.healthz": "the load balancer's probe: no personal data",
    "probes.metrics_": "HOTLINE_METRICS_TOKEN or loopback only (test_metrics.py)",
    "api.openapi": "the API's document is public: a client learns from it",
}
# Routes a signed ticket link or an account opens: whoever sees the ticket (its chain, the office).
TICKET = {"web.ticket", "web.acknowledge", "web.voicemail", "web.call_back"}
# ...and of those who see it, the ones who work it (never by link alone), or waive its surcharge.
WORK = {"web.note": Permission.WORK_TICKET, "web.resolve": Permission.WORK_TICKET,
        "web.assign": Permission.WORK_TICKET, "web.waive": Permission.WAIVE}  # fmt: skip
SIGNED = ("voice.", "sms.")  # Twilio's webhooks: X-Twilio-Signature (test_voice.py, test_sms.py)
ROLES = [Role.ADMIN, Role.DISPATCHER, Role.PROJECT_LEAD, Role.ENGINEER]
ENGINEER = {Role.PROJECT_LEAD: "anna", Role.ENGINEER: "jonas"}
JSON = {"application/json", "application/problem+json"}
PASSWORD = "a long enough password 2026"


@pytest.fixture
def demo(app: Flask) -> int:
    """The demo week, an emergency Jonas accepted (ticket with him on its chain), one account
    per role."""
    app.config["WTF_CSRF_ENABLED"] = False
    runner = app.test_cli_runner()
    call = ["simulate-call", "--live", "--from", "030 2345678", "--at", "2026-12-01T08:30"]
    for args in (["seed-demo", "--week", "2026-11-30"], call):
        done = runner.invoke(args=args)
        assert done.exit_code == 0, done.output
    with app.app_context():
        session = db.session()
        for role in ROLES:
            accounts.create(session, f"{role}@matrix.example", role, app.config["CLOCK"](),
                            engineer=ENGINEER.get(role), password=PASSWORD)  # fmt: skip
        session.commit()
        return session.scalars(select(Ticket.id)).one()


def logged_in(app: Flask, role: Role | None) -> FlaskClient:
    client = app.test_client()
    if role is not None:
        done = client.post("/login", data={"email": f"{role}@matrix.example", "password": PASSWORD})
        assert done.status_code == 302, done.get_data(as_text=True)[:500]
    return client


def rules(app: Flask, prefix: str) -> list[Any]:
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith(prefix)),
        key=lambda rule: rule.rule,
    )


def url(rule: Any, ticket_id: int) -> str:
    """The rule with its parameters filled: the demo's ticket, else an id or word that exists
    nowhere (a 404 is as good an answer as any here: it is not a 403)."""

    def value(match: re.Match[str]) -> str:
        choices, name = match.group(2), match.group(3)
        if choices:  # any(a, b): the first
            return choices.strip("()").split(",")[0].strip()
        return str(ticket_id) if name == "ticket_id" else "1" if "id" in name else "x"

    return re.sub(r"<(?:(\w+)(\([^)]*\))?:)?(\w+)>", value, rule.rule)


def methods(rule: Any) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def test_every_route_declares_who_may_use_it(app: Flask) -> None:
    undeclared = []
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint
        if (
            endpoint in OPEN
            or endpoint in TICKET
            or endpoint in WORK
            or endpoint.startswith(SIGNED)
        ):
            continue
        if endpoint.startswith("api."):
            if not any(op.name == endpoint[4:] for op in OPERATIONS):
                undeclared.append(endpoint)
        elif not hasattr(app.view_functions[endpoint], "needs"):
            undeclared.append(endpoint)
    assert not undeclared, f"declare a permission (or list as OPEN with a reason): {undeclared}"


def test_every_page_gives_each_role_exactly_what_it_may(app: Flask, demo: int) -> None:
    clients = {role: logged_in(app, role) for role in [None, *ROLES]}
    with app.app_context():
        chain = [e.engineer for e in db.session().get(Ticket, demo).frozen_chain().entries]
    wrong = []
    for rule in rules(app, "web."):
        if rule.endpoint in OPEN:
            continue
        view = app.view_functions[rule.endpoint]
        for method in methods(rule):
            for role, client in clients.items():
                answer = client.open(url(rule, demo), method=method, data={})
                status = answer.status_code
                if role is None:
                    allowed = False
                elif rule.endpoint in WORK:
                    allowed = sees_ticket(role, ENGINEER.get(role), chain) and may(
                        role, WORK[rule.endpoint]
                    )
                elif rule.endpoint in TICKET:
                    allowed = sees_ticket(role, ENGINEER.get(role), chain)
                    if rule.endpoint == "web.voicemail":
                        allowed = allowed and may(role, Permission.CALLER_DATA)
                    if rule.endpoint in ("web.acknowledge", "web.call_back"):  # an engineer's
                        allowed = allowed and role in ENGINEER  # phone: takes, calls back
                else:
                    allowed = view.needs is None or may(role, view.needs)
                refused_as_stranger = status == 302 and "/login" in answer.location
                if status >= 500:
                    wrong.append(f"{method} {rule.rule} as {role}: {status}")
                elif role is None and not refused_as_stranger:
                    wrong.append(f"{method} {rule.rule} without login: {status}, not the login")
                elif role is not None and allowed == (status == 403):
                    wrong.append(f"{method} {rule.rule} as {role}: {status}, may: {allowed}")
    assert not wrong, "\n".join(wrong)


def test_every_api_route_gives_each_role_exactly_what_it_may(app: Flask, demo: int) -> None:
    with app.app_context():
        session = db.session()
        tokens = {
            role: accounts.create_token(
                session, f"matrix {role}", role, app.config["CLOCK"](), engineer=ENGINEER.get(role)
            )[1]  # fmt: skip
            for role in ROLES
        }
        session.commit()
        chain = [e.engineer for e in session.get(Ticket, demo).frozen_chain().entries]
    client = app.test_client()
    wrong = []
    for rule in rules(app, "api."):
        if rule.endpoint in OPEN:
            continue
        [declared] = [op for op in OPERATIONS if op.name == rule.endpoint[4:]]
        for method in methods(rule):
            for role in [None, *ROLES]:
                headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
                answer = client.open(url(rule, demo), method=method, json={}, headers=headers)
                status = answer.status_code
                expected = (
                    {401}
                    if role is None
                    else set()
                    if (declared.permission is None or may(role, declared.permission))
                    and (
                        "ticket_id" not in rule.rule or sees_ticket(role, ENGINEER.get(role), chain)
                    )
                    else {403}
                )
                if status >= 500 or answer.mimetype not in JSON:
                    wrong.append(f"{method} {rule.rule} as {role}: {status} {answer.mimetype}")
                elif expected and status not in expected:
                    wrong.append(f"{method} {rule.rule} as {role}: {status}, not {expected}")
                elif not expected and status in {401, 403}:
                    wrong.append(f"{method} {rule.rule} as {role}: {status}, but it may")
    assert not wrong, "\n".join(wrong)

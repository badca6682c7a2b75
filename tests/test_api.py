"""The JSON API's foundations: the OpenAPI document is valid OpenAPI 3.1 and describes every
route, tokens open it (401 without, 403 beyond the role), errors are problem+json, and the
tickets: list, one, note, resolve, assign a customer."""

from __future__ import annotations

import re

import pytest
from api_client import Api, tokens
from builders import MUELLER_PHONE, small_provider
from conftest import Clock
from flask import Flask
from openapi_spec_validator import validate
from sqlalchemy import select

from hotline import db
from hotline.models import AuditEntry, Ticket


@pytest.fixture
def api(app: Flask, clock: Clock) -> Api:
    with app.app_context():
        small_provider(db.session())
    return Api(app, tokens(app, clock()))


def simulate(app: Flask, *args: str) -> int:
    """A call through the real webhooks (the simulator); the new ticket's id."""
    result = app.test_cli_runner().invoke(args=["simulate-call", "--live", *args])
    assert result.exit_code == 0, result.output
    with app.app_context():
        return db.session().scalars(select(Ticket.id).order_by(Ticket.id.desc())).first()


def test_the_document_is_valid_openapi_3_1_and_names_every_route(app: Flask) -> None:
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    validate(document)  # openapi-spec-validator: the 3.1 schema and every $ref resolves
    assert document["openapi"] == "3.1.0"
    routes = {
        (method, rule.rule.removeprefix("/api/v1").replace("<", "{").replace(">", "}"))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.openapi"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    assert {(m, p.split("{")[0]) for m, p in routes} == {
        (m, p.split("{")[0]) for m, p in documented
    }
    assert len(routes) == len(documented)


def test_without_a_token_every_route_answers_401_as_json(api: Api) -> None:
    for path, operations in api.document["paths"].items():
        for method in operations:
            concrete = path.replace("{ticket_id}", "1").replace("{appointment_id}", "1")
            concrete = concrete.replace("{number}", "10042").replace("{absence_id}", "1")
            concrete = concrete.replace("{override_id}", "1")
            answer = api.call(method.upper(), concrete, None, json={})
            assert answer.status_code == 401, (method, path)
            assert answer.headers["WWW-Authenticate"].startswith("Bearer")
            assert answer.json["title"] == "Unauthorized"


def test_a_revoked_or_unknown_token_is_401(app: Flask, api: Api) -> None:
    api.tokens["forged"] = "hl_" + "x" * 43
    assert api.get("/tickets", "forged").status_code == 401
    assert api.get("/tickets", "dispatcher").status_code == 200
    token = str(_id(app, api.tokens["dispatcher"]))
    result = app.test_cli_runner().invoke(args=["api-token", "revoke", token])
    assert result.exit_code == 0, result.output
    listed = app.test_cli_runner().invoke(args=["api-token", "list"]).output
    assert any(line.startswith(f"#{token} ") and "revoked" in line for line in listed.splitlines())
    assert api.get("/tickets", "dispatcher").status_code == 401
    assert api.get("/tickets", "project_lead").status_code == 200


def _id(app: Flask, raw: str) -> int | None:
    from hotline import accounts
    from hotline.models import ApiToken

    with app.app_context():
        return db.session().scalar(
            select(ApiToken.id).where(ApiToken.token_hash == accounts.hash_token(raw))
        )


def test_a_login_cookie_opens_no_api_route(app: Flask, api: Api, clock: Clock) -> None:
    from hotline import accounts

    with app.app_context():
        accounts.create(
            db.session(),
            "dispo@example.de",
            "dispatcher",
            clock(),
            password="correct horse battery",
        )
        db.session().commit()
    client = api.client
    with client.session_transaction() as cookie:
        cookie["uid"], cookie["since"], cookie["seen"] = 1, clock().timestamp(), clock().timestamp()
    assert client.get("/api/v1/tickets").status_code == 401


def test_errors_are_problem_json_never_a_page(api: Api) -> None:
    for answer, status in [
        (api.get("/no-such-thing"), 404),
        (api.call("DELETE", "/tickets", "dispatcher"), 405),
        (api.get("/tickets/999999"), 404),
        (api.get("/tickets/99999999999999999999"), 404),  # beyond any id: no database error
        (api.get("/tickets", state="burning"), 422),
        (api.get("/tickets", limit="0"), 422),
        (api.get("/tickets", nonsense="1"), 422),
        (api.get("/tickets", **{"from": "yesterday"}), 422),
        (api.get("/tickets", **{"from": "9999-12-31T23:59:59-23:59"}), 422),
        (api.get("/tickets", customer="10\x0042"), 422),
        (
            api.call(
                "POST",
                "/tickets/1/notes",
                "dispatcher",
                data="{not json",
                content_type="application/json",
            ),
            400,
        ),
    ]:
        assert answer.status_code == status, answer.get_data(as_text=True)
        assert answer.mimetype == "application/problem+json"
        assert answer.json["status"] == status and answer.json["detail"]
    refused = api.get("/tickets", limit="0").json
    assert refused["errors"][0]["loc"] == ["query", "limit"]


def test_the_tickets_are_listed_newest_first_with_filters(
    app: Flask, api: Api, clock: Clock
) -> None:
    first = simulate(app, "--from", MUELLER_PHONE)
    clock.advance(hours=1)
    second = simulate(
        app,
        "--from",
        "+4989111111",
        "--press",
        "",
        "--press",
        "",
        "--press",
        "1",
        "--others",
        "no-answer",
    )
    listed = api.get("/tickets").json
    assert [t["id"] for t in listed["tickets"]] == [second, first]
    mueller = listed["tickets"][1]
    assert mueller["customer"] == {"key": "10042", "name": "Müller & Söhne <Maschinenbau>"}
    assert mueller["accepted_by"]["key"] == "jonas" and mueller["caller"] == MUELLER_PHONE
    assert mueller["arrived_at"].endswith("+01:00")  # the provider's zone, with its offset
    assert listed["tickets"][0]["customer"] is None
    assert [t["id"] for t in api.get("/tickets", customer="10042").json["tickets"]] == [first]
    assert [t["id"] for t in api.get("/tickets", engineer="jonas").json["tickets"]] == [first]
    assert api.get("/tickets", state="connected", resolved="true").json["tickets"] == []
    since = api.get("/tickets", **{"from": "2026-12-01T03:30"}).json["tickets"]  # wall clock
    assert [t["id"] for t in since] == [second]
    page = api.get("/tickets", limit=1).json
    assert [t["id"] for t in page["tickets"]] == [second] and page["next_before"] == second
    rest = api.get("/tickets", limit=1, before=page["next_before"]).json
    assert [t["id"] for t in rest["tickets"]] == [first] and rest["next_before"] is None


def test_an_engineer_token_sees_only_the_tickets_whose_chain_held_them(
    app: Flask, api: Api, clock: Clock
) -> None:
    from hotline import accounts

    with app.app_context():
        api.tokens["paul"] = accounts.create_token(
            db.session(), "paul", "engineer", clock(), "paul"
        )[1]
        db.session().commit()
    blau = simulate(app, "--from", MUELLER_PHONE)  # team blau: paul leads gruen
    gruen = simulate(app, "--from", "+442071234567", "--press", "4711")  # Acme, team gruen
    with app.app_context():
        chain = db.session().get(Ticket, blau).frozen_chain().entries
        assert "paul" not in [e.engineer for e in chain]
    assert [t["id"] for t in api.get("/tickets", "paul").json["tickets"]] == [gruen]
    assert api.get(f"/tickets/{gruen}", "paul").status_code == 200
    assert api.get(f"/tickets/{blau}", "paul").status_code == 403
    assert api.post(f"/tickets/{blau}/notes", {"text": "x"}, "paul").status_code == 403
    assert api.get(f"/tickets/{blau}", "project_lead").status_code == 200
    assert api.get("/tickets", "admin").json["tickets"] == []  # the admin runs the system


def test_one_ticket_with_chain_attempts_and_timeline(app: Flask, api: Api) -> None:
    ticket_id = simulate(app, "--from", MUELLER_PHONE, "--engineer", "jonas=decline")
    found = api.get(f"/tickets/{ticket_id}").json
    assert [e["engineer"] for e in found["chain"]][:2] == ["jonas", "mia"]
    assert [(a["engineer"], a["outcome"]) for a in found["attempts"]][:2] == [
        ("jonas", "declined"),
        ("mia", "accepted"),
    ]
    assert found["timeline"][0]["event"] == "arrived" and found["state"] == "connected"


def test_notes_resolve_and_assign_through_the_services(app: Flask, api: Api, clock: Clock) -> None:
    known = simulate(app, "--from", MUELLER_PHONE)
    unknown = simulate(app, "--from", "+4989111111", "--press", "", "--press", "", "--press", "1")
    noted = api.post(f"/tickets/{known}/notes", {"text": "  Server neu gestartet  "}, "engineer")
    assert noted.status_code == 201 and noted.json["notes"] == "Server neu gestartet"
    assert noted.json["timeline"][-1]["event"] == "note added"
    assert noted.json["timeline"][-1]["detail"] == {"by": "test engineer"}
    assert api.post(f"/tickets/{known}/notes", {"text": " "}).status_code == 422
    assert api.post(f"/tickets/{known}/notes", {"text": "a\x00b"}).status_code == 422
    assert api.post(f"/tickets/{known}/notes", {"text": 5}).status_code == 422
    assert api.post(f"/tickets/{known}/notes", {"text": "x", "more": 1}).status_code == 422
    assert api.post(f"/tickets/{known}/notes", {"text": "x"}, "admin").status_code == 403

    clock.advance(minutes=30)
    assert api.post(f"/tickets/{known}/resolve", {"work_minutes": "20"}).status_code == 422
    assert api.post(f"/tickets/{known}/resolve", {"work_minutes": -1}).status_code == 422
    resolved = api.post(f"/tickets/{known}/resolve", {"work_minutes": 20, "notes": "erledigt"})
    assert resolved.status_code == 200, resolved.json
    assert resolved.json["resolved"] and resolved.json["work_minutes"] == 20
    assert resolved.json["notes"] == "Server neu gestartet\nerledigt"

    assigned = api.post(f"/tickets/{unknown}/customer", {"customer": "10042"})
    assert assigned.status_code == 200, assigned.json
    assert assigned.json["customer"]["key"] == "10042"
    assert assigned.json["identified_by"] == "assigned"
    again = api.post(f"/tickets/{unknown}/customer", {"customer": "20077"})
    assert again.status_code == 409 and "10042" in again.json["detail"]
    assert api.post(f"/tickets/{known}/customer", {"customer": "nobody"}).status_code == 422

    with app.app_context():
        actions = db.session().scalars(select(AuditEntry.actor + " " + AuditEntry.action)).all()
    assert "token:test engineer add note" in actions
    assert "token:test dispatcher resolve ticket" in actions
    assert "token:test dispatcher assign customer" in actions


def test_a_ticket_never_accepted_cannot_be_resolved(app: Flask, api: Api) -> None:
    missed = simulate(app, "--from", MUELLER_PHONE, "--others", "no-answer")
    answer = api.post(f"/tickets/{missed}/resolve", {"work_minutes": 5})
    assert answer.status_code == 409 and "never accepted" in answer.json["detail"]


def test_a_client_knowing_only_the_document_lists_the_tickets_and_who_is_on_call(
    app: Flask, api: Api
) -> None:
    """What docs/api.md shows: a token from `flask api-token create`, then nothing but the
    document's servers, paths and operationIds."""
    simulate(app, "--from", MUELLER_PHONE)
    made = app.test_cli_runner().invoke(
        args=["api-token", "create", "--role", "dispatcher", "--name", "Leitstand"]
    )
    assert made.exit_code == 0, made.output
    token = made.output.split()[-1]
    client = app.test_client()
    document = client.get("/api/v1/openapi.json").get_json()
    base = document["servers"][0]["url"]
    named = {
        operation["operationId"]: (method.upper(), base + path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }
    headers = {"Authorization": f"Bearer {token}"}
    listed = client.open(named["tickets"][1], method=named["tickets"][0], headers=headers)
    assert listed.status_code == 200 and listed.json["tickets"][0]["customer"]["key"] == "10042"
    on_call = client.open(named["oncall"][1], method=named["oncall"][0], headers=headers)
    assert [p["engineer"] for p in on_call.json["teams"][0]["on_call"]] == ["jonas", "mia"]


def test_the_permissions_in_docs_api_md_are_those_of_escalation_access() -> None:
    from pathlib import Path

    from escalation.access import GRANTS, Permission

    text = (Path(__file__).parent.parent / "docs" / "api.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| [^|]+ \| `([\w-]+)` \| ([^|]+) \|$", text, re.MULTILINE)
    assert len(rows) == 5
    for permission, roles in rows:
        named = set(re.findall(r"admin|dispatcher|project_lead|engineer", roles.split("(")[0]))
        assert named == {str(r) for r in GRANTS[Permission(permission)]}, permission


def test_every_curl_in_docs_api_md_names_a_documented_operation(app: Flask) -> None:
    from pathlib import Path

    from api_client import operation

    document = app.test_client().get("/api/v1/openapi.json").get_json()
    text = (Path(__file__).parent.parent / "docs" / "api.md").read_text(encoding="utf-8")
    every = r"curl -s ((?:(?!curl).)*?)(?:\$API|localhost:5000/api/v1)(/[\w/{}]*)"
    calls = [(o, p) for o, p in re.findall(every, text, re.DOTALL) if p != "/openapi"]
    assert len(calls) == 17
    for options, path in calls:
        method = "DELETE" if "-X DELETE" in options else "POST" if "-d " in options else "GET"
        assert operation(document, method, path) is not None, (method, path)


def test_a_body_too_large_is_413_and_head_asks_for_a_token_too(api: Api) -> None:
    huge = api.call("POST", "/tickets/1/notes", "dispatcher", data="[" * (2 * 1024 * 1024),
                    content_type="application/json")  # fmt: skip
    assert huge.status_code == 413 and huge.mimetype == "application/problem+json"
    assert api.client.head("/api/v1/tickets").status_code == 401
    assert api.client.options("/api/v1/tickets").status_code == 405

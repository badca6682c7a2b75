"""The API's resources beyond tickets: appointments and the dispatcher's decisions, who is on
call and the chain, overrides and absences, customers. Every answer is checked against the
published document (tests/api_client.py)."""

from __future__ import annotations

import pytest
from api_client import Api, tokens
from builders import MOBILES, small_provider
from conftest import Clock
from flask import Flask
from sqlalchemy import select
from test_appointments import NOW, World, build

from hotline import db
from hotline.models import Message, Override


@pytest.fixture
def world(app: Flask, clock: Clock) -> tuple[Api, World]:
    clock.at = NOW
    with app.app_context():
        made = build(db.session())
    return Api(app, tokens(app, clock())), made


@pytest.fixture
def api(app: Flask, clock: Clock) -> Api:
    with app.app_context():
        small_provider(db.session())
    return Api(app, tokens(app, clock()))


def at_risk(app: Flask, world: World, start: str, end: str, key: str = "a1") -> int:
    with app.app_context():
        session = db.session()
        made = world.appointment(session, key, world.mueller, start, end)
        session.commit()
        made_id = made.id
    result = app.test_cli_runner().invoke(args=["check-displacements"])
    assert result.exit_code == 0, result.output
    return made_id


def test_appointments_at_risk_first_and_the_decisions(app: Flask, world: tuple[Api, World]) -> None:
    api, w = world
    risky = at_risk(app, w, "2026-12-01 10:00", "2026-12-01 11:00")
    later = at_risk(app, w, "2026-12-03 10:00", "2026-12-03 11:00", "a2")
    listed = api.get("/appointments").json["appointments"]
    assert [(a["id"], a["status"]) for a in listed] == [(risky, "at_risk"), (later, "planned")]
    assert listed[0]["starts_at"] == "2026-12-01T10:00:00+01:00"
    assert [a["id"] for a in api.get("/appointments", status="planned").json["appointments"]] == [
        later
    ]
    assert api.get("/appointments", engineer="nobody").status_code == 422
    assert api.get("/appointments", "engineer").status_code == 403
    assert api.get("/appointments", "admin").status_code == 403

    shown = api.get(f"/appointments/{risky}").json
    first = shown["suggestions"][0]
    assert first == {
        "suggestion": 1,
        "engineer": "jonas",
        "starts_at": "2026-12-01T11:30:00+01:00",
        "ends_at": "2026-12-01T12:30:00+01:00",
    }
    assert api.post(f"/appointments/{later}/decision", {"action": "keep"}).status_code == 409
    assert api.post(f"/appointments/{risky}/decision", {"action": "fly"}).status_code == 422
    assert api.post(f"/appointments/{risky}/decision", {"action": "reschedule"}).status_code == 422
    wrong = api.post(f"/appointments/{risky}/decision", {"action": "reassign", "engineer": "x"})
    assert wrong.status_code == 422 and wrong.json["errors"][0]["loc"] == ["body", "engineer"]
    assert (
        api.post(f"/appointments/{risky}/decision", {"action": "reschedule", "suggestion": 99})
    ).status_code == 409

    moved = api.post(f"/appointments/{risky}/decision", {"action": "reschedule", "suggestion": 1})
    assert moved.status_code == 200, moved.json
    assert moved.json["status"] == "rescheduled"
    assert moved.json["starts_at"] == "2026-12-01T11:30:00+01:00"
    assert moved.json["original_starts_at"] == "2026-12-01T10:00:00+01:00"
    with app.app_context():
        told = db.session().scalars(select(Message).where(Message.to == "it@mueller.example"))
        assert "neu am 01.12.2026 um 11:30 Uhr" in (told.one().subject or "")

    given = {"action": "reschedule", "start": "2026-12-04T14:00", "engineer": "anna"}
    again = api.post(f"/appointments/{risky}/decision", given, "project_lead")
    assert again.status_code == 200 and again.json["engineer"] == "anna"
    assert again.json["starts_at"] == "2026-12-04T14:00:00+01:00"
    handed = api.post(f"/appointments/{later}/decision", {"action": "reassign", "engineer": "anna"})
    assert handed.status_code == 200 and handed.json["status"] == "reassigned"
    cancelled = api.post(f"/appointments/{later}/decision", {"action": "cancel"})
    assert cancelled.json["status"] == "cancelled"
    assert api.post(f"/appointments/{later}/decision", {"action": "cancel"}).status_code == 409


def test_who_is_on_call_and_the_chain(api: Api) -> None:
    now = api.get("/oncall", "engineer").json
    assert now["zone"] == "Europe/Berlin" and now["at"] == "2026-12-01T03:00:00+01:00"
    teams = {t["team"]: t["on_call"] for t in now["teams"]}
    assert [(p["layer"], p["engineer"], p["mobile"]) for p in teams["blau"]] == [
        ("primary", "jonas", MOBILES["jonas"]),
        ("secondary", "mia", MOBILES["mia"]),
    ]
    assert [t["team"] for t in api.get("/oncall", team="gruen").json["teams"]] == ["gruen"]
    assert api.get("/oncall", team="rot").status_code == 422

    chain = api.get("/chain", "admin", customer="10042", at="2026-12-24T03:00").json
    assert chain["at"] == "2026-12-24T03:00:00+01:00" and chain["customer"] == "10042"
    assert [e["engineer"] for e in chain["entries"]] == ["jonas", "mia", "lena", "anna", None]
    assert chain["entries"][-1]["level"] == "fallback"
    unidentified = api.get("/chain").json
    assert unidentified["customer"] is None and unidentified["entries"][-1]["level"] == "fallback"
    assert api.get("/chain", customer="99999").status_code == 422
    assert api.get("/chain", at="2026-13-01T00:00").status_code == 422


def test_overrides_and_absences_change_who_is_on_call(app: Flask, api: Api, clock: Clock) -> None:
    body = {
        "team": "blau",
        "engineer": "anna",
        "replaces": "jonas",
        "from": "2026-12-01T02:00",
        "until": "2026-12-02T08:00",
    }
    assert api.post("/overrides", body, "engineer").status_code == 403
    made = api.post("/overrides", body)
    assert made.status_code == 201, made.json
    assert made.json["starts_at"] == "2026-12-01T02:00:00+01:00" and made.json["layer"] == "primary"
    primary = api.get("/oncall", team="blau").json["teams"][0]["on_call"][0]
    assert primary["engineer"] == "anna" and "override" in primary["reason"]
    assert [o["id"] for o in api.get("/overrides").json["overrides"]] == [made.json["id"]]
    assert api.get("/overrides", team="gruen").json["overrides"] == []

    for wrong, status in [
        (body | {"team": "rot"}, 422),
        (body | {"engineer": "anna", "replaces": "anna"}, 422),
        (body | {"until": "2026-12-01T01:00"}, 422),  # before it starts
        (body | {"from": "2026-11-01T00:00", "until": "2026-11-02T00:00"}, 422),  # the past
        (body | {"layer": "tertiary"}, 422),
        (body | {"from": "soon"}, 422),
    ]:
        assert api.post("/overrides", wrong).status_code == status, wrong

    away = {
        "engineer": "mia",
        "from": "2026-12-05T00:00",
        "until": "2026-12-10T00:00",
        "reason": "vacation",
    }
    absence = api.post("/absences", away, "project_lead")
    assert absence.status_code == 201 and absence.json["reason"] == "vacation"
    assert [a["engineer"] for a in api.get("/absences", engineer="mia").json["absences"]] == ["mia"]
    secondary = api.get("/oncall", at="2026-12-06T12:00").json["teams"][0]["on_call"]
    assert "mia" not in [p["engineer"] for p in secondary]

    gone = api.delete(f"/absences/{absence.json['id']}")  # not begun: removed
    assert gone.status_code == 200 and gone.json["result"] == "removed"
    assert api.delete(f"/absences/{absence.json['id']}").status_code == 404
    ended = api.delete(f"/overrides/{made.json['id']}")  # running: ended now
    assert ended.json == {"id": made.json["id"], "result": "ended"}
    with app.app_context():
        row = db.session().get(Override, made.json["id"])
        assert row.ends_at == clock()
    clock.advance(hours=1)
    assert api.delete(f"/overrides/{made.json['id']}").status_code == 409  # over: history


def test_customers_and_their_numbers(api: Api) -> None:
    listed = api.get("/customers", "engineer").json["customers"]
    assert [c["number"] for c in listed] == ["10042", "20077"]
    mueller = api.get("/customers/10042", "admin").json
    assert mueller["team"] == "blau" and mueller["contact"] == "jonas"
    assert [(p["kind"], p["value"]) for p in mueller["phones"]] == [
        ("number", "+49301234567"),
        ("block", "+49301234568"),
    ]
    assert "pin" not in api.get("/customers/20077").json  # the keypad PIN is no API's business
    assert api.get("/customers/99999").status_code == 404


def test_every_role_gets_exactly_what_its_permissions_say(app: Flask, api: Api) -> None:
    """The permission matrix of the API: each route against each role's token."""
    from escalation.access import Role, may

    for path, operations in api.document["paths"].items():
        for method, found in operations.items():
            permission = found.get("x-permission")
            for role in Role:
                concrete = path.replace("{number}", "10042")
                concrete = concrete.replace("{ticket_id}", "999999").replace(
                    "{absence_id}", "999999"
                )
                concrete = concrete.replace("{override_id}", "999999")
                concrete = concrete.replace("{appointment_id}", "999999")
                answer = api.call(method.upper(), concrete, role.value, json={})
                if permission is not None and not may(role, permission):
                    assert answer.status_code == 403, (method, path, role)
                else:
                    assert answer.status_code != 403, (method, path, role)
                    assert answer.status_code in (200, 404, 422), (method, path, role)

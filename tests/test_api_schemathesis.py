"""The whole API run property-based from its own document (schemathesis, in-process against
the WSGI app): every operation with generated parameters and bodies, once with each role's
token, must never answer a server error nor anything the document does not describe (status,
content type, headers, body schema).

Generated ids, customer numbers and keys almost never name a row, so half of them are mapped
onto the rows that exist: the run reaches the services (a note written, an appointment kept,
an override created and taken back), not only the 404s and 422s. Data the document forbids
must be refused (a 4xx). The examples are bounded (EXAMPLES per operation) so the run stays
within seconds of CPU per database.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from api_client import tokens
from builders import small_provider
from conftest import Clock
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

import hotline.api
from hotline import db, roster
from hotline.api.document import document
from hotline.models import Absence, Appointment, Customer, Engineer, Override, Ticket

EXAMPLES = {GenerationMode.POSITIVE: 8, GenerationMode.NEGATIVE: 4}  # per operation
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
]
KEYS = {
    "customer": ["10042", "20077"],
    "number": ["10042", "20077"],
    "team": ["blau", "gruen"],
    "engineer": ["jonas", "mia", "anna", "lena"],
    "replaces": ["jonas", "mia"],
    "from": ["2026-12-02T08:00", "2026-12-01T03:00+01:00"],
    "until": ["2026-12-05T08:00", "2026-12-03T08:00Z"],
    "start": ["2026-12-07T09:00", "2026-12-08T14:00"],
}
ROWS: dict[str, list[int]] = {}
TOKENS: dict[str, str] = {}


def _rows(app: Flask, clock: Clock) -> None:
    """Two tickets (one accepted, one unidentified with a voicemail) and an appointment at
    risk, next to the small provider."""
    with app.app_context():
        session = db.session()
        made = small_provider(session)
        now = clock()
        mueller = made["mueller"]
        jonas = session.get(Engineer, made["engineers"]["jonas"].id)
        chain = roster.chain_for(session, mueller, now).to_json()
        accepted = Ticket(
            call_sid="CA-accepted",
            customer=mueller,
            arrived_at=now,
            chain=chain,
            state="connected",
            accepted_by=jonas,
            accepted_at=now,
        )
        unknown = Ticket(
            call_sid="CA-unknown",
            arrived_at=now,
            chain=chain,
            state="callback_pending",
            voicemail_seconds=20,
        )
        session.add_all([accepted, unknown])
        session.add(
            Appointment(
                key="a1",
                engineer=jonas,
                customer=session.get(Customer, mueller.id),
                starts_at=now + timedelta(hours=7),
                ends_at=now + timedelta(hours=8),
                title="JourFixe",
                status="at_risk",
            )
        )
        teams, engineers = made["teams"], made["engineers"]
        running = Override(
            team=teams["blau"],
            engineer=engineers["anna"],
            starts_at=now,
            ends_at=now + timedelta(days=1),
            replaces=engineers["jonas"],
        )
        coming = Absence(
            engineer=engineers["mia"],
            starts_at=now + timedelta(days=2),
            ends_at=now + timedelta(days=3),
        )
        session.add_all([running, coming])
        session.commit()
        ROWS["override_id"], ROWS["absence_id"] = [running.id], [coming.id]
        ROWS["ticket_id"] = [accepted.id, unknown.id]
        ROWS["appointment_id"] = list(session.scalars(select(Appointment.id)))


@pytest.fixture
def served(app: Flask, clock: Clock) -> Flask:
    """The app with the rows above and one token per role."""
    _rows(app, clock)
    TOKENS.clear()
    TOKENS.update(tokens(app, clock()))
    return app


hotline.api.register()  # the routes' declarations: all the document is made of
schema = schemathesis.openapi.from_dict(document())


def _existing(case: Any) -> None:
    """Map an even half of the generated ids and keys onto rows that exist."""
    for name, value in (case.path_parameters or {}).items():
        if isinstance(value, int) and value % 2 == 0:
            found = ROWS.get(name) or [value]
            case.path_parameters[name] = found[value // 2 % len(found)]
        elif name in KEYS and len(str(value)) % 2 == 0:
            case.path_parameters[name] = KEYS[name][len(str(value)) // 2 % len(KEYS[name])]
    for values in (case.query, case.body):
        if isinstance(values, dict):
            for name in list(values):
                size = len(str(values[name]))
                if name in KEYS and size % 2 == 0:
                    values[name] = KEYS[name][size // 2 % len(KEYS[name])]


def test_the_api_answers_as_its_document_says(served: Flask) -> None:
    """Every operation of the document, one after the other on the same rows: with data the
    document allows, then with data it does not (which must be refused with a documented 4xx)."""
    for found in schema.get_all_operations():
        operation = found.ok()
        for mode, examples in EXAMPLES.items():

            @given(case=operation.as_strategy(mode))
            @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))  # fmt: skip
            def run(case: Any) -> None:
                answers(served, case)

            run()


def answers(served: Flask, case: Any) -> None:
    """One generated request, sent with each role's token and without one."""
    if case.meta is None or case.meta.generation.mode is GenerationMode.POSITIVE:
        _existing(case)
    statuses = set()
    for role, raw in [*TOKENS.items(), (None, None)]:
        case.headers = _authorized(case.headers, raw)
        response = case.call(app=served)
        case.validate_response(response, checks=CHECKS)
        sent = (role, response.request.method, response.status_code, response.text)
        if role is not None:
            assert response.status_code != 401, sent
            statuses.add(response.status_code)
        else:  # 401, unless no route matched (a path or method the document has not)
            assert response.status_code == 401 or statuses == {response.status_code} <= {
                404,
                405,
            }, sent


def _authorized(headers: dict[str, Any] | None, token: str | None) -> dict[str, Any]:
    """The generated headers with the Authorization of `token` (None: none at all)."""
    kept = {k: v for k, v in (headers or {}).items() if k.lower() != "authorization"}
    return kept | ({"Authorization": f"Bearer {token}"} if token else {})

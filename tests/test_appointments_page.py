"""The displaced appointments page: the dispatcher's queue, oldest decision first, with the
suggested slots, and keep, reassign, reschedule, cancel through the services the CLI calls; the
customer's message shown before it is sent is the one sent. Everyone else is refused.

No test holds an app context while the client asks: each request must get its own, as served.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from xml.etree import ElementTree

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_accounts import PASSWORD, log_in
from test_appointments import BERLIN, NOW, at, build

from hotline import accounts, appointments, db
from hotline.models import Appointment, AuditEntry, Engineer, Message, Ticket

ROLES = {"dispatcher": None, "project_lead": "lena", "engineer": "jonas", "admin": None}


@contextmanager
def reading(app: Flask) -> Iterator[Session]:
    with app.app_context():
        yield db.session()


@pytest.fixture
def ids(app: Flask, clock: Any) -> dict[str, int]:
    """Jonas's emergency since 09:00 puts two appointments at risk (10:00 Müller on site, 10:30
    Acme remote); one account per role."""
    clock.at = NOW
    with reading(app) as session:
        world = build(session)
        a1 = world.appointment(session, "a1", world.mueller, "2026-12-01 10:00", "2026-12-01 11:00")
        a2 = world.appointment(session, "a2", world.acme, "2026-12-01 10:30", "2026-12-01 11:15",
                               onsite=False)  # fmt: skip
        for role, engineer in ROLES.items():
            accounts.create(session, f"{role}@example.de", role, NOW, engineer=engineer,
                            password=PASSWORD)  # fmt: skip
        session.commit()
        appointments.check_displacements(session, NOW)
        return {"a1": a1.id, "a2": a2.id, "ticket": world.ticket.id}


def client_as(app: Flask, role: str) -> FlaskClient:
    client = app.test_client()
    assert log_in(client, f"{role}@example.de").status_code == 302
    return client


def token(page: str) -> str:
    return re.findall(r'name="csrf_token" value="([^"]+)"', page)[0]


def html(answer: Any) -> ElementTree.Element:
    """The page read by a strict XML parser (void tags closed): a stray tag fails here."""
    text = answer.get_data(as_text=True).replace("<!doctype html>", "")
    text = re.sub(r"<(meta|link|input|br)([^>]*?)/?>", r"<\1\2/>", text)
    return ElementTree.fromstring(text)


def cards(page: ElementTree.Element) -> list[str]:
    return [a.get("id", "") for a in page.iter("article")]


def outbox(app: Flask) -> list[tuple[str, str, str | None, str]]:
    with reading(app) as session:
        found = session.scalars(select(Message).order_by(Message.id))
        return [(m.channel, m.to, m.subject, m.body) for m in found]


def status(app: Flask, appointment_id: int) -> tuple[str, str, Any]:
    with reading(app) as session:
        a = session.get(Appointment, appointment_id)
        return a.status, a.engineer.key, a.starts_at


def escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&#34;"))  # fmt: skip


def test_the_queue_shows_each_appointment_at_risk_with_its_slots(
    app: Flask, ids: dict[str, int]
) -> None:
    answer = client_as(app, "dispatcher").get("/appointments")
    assert answer.status_code == 200
    page = html(answer)
    assert cards(page) == [f"a{ids['a1']}", f"a{ids['a2']}"]  # same wait: earlier start first
    text = answer.get_data(as_text=True)
    assert "Di 01.12.2026 10:00–11:00 · Jonas Weber" in text  # the provider's wall clock
    assert "Müller GmbH" in text and f"Notfall #{ids['ticket']}" in text
    slots = [a.get("href", "") for a in page.iter("a") if "slot" in a.get("class", "")]
    with reading(app) as session:
        expected = [
            (key, s.starts_at, s.engineer.key)
            for key in ("a1", "a2")
            for s in appointments.suggestions(session, session.get(Appointment, ids[key]), NOW)
        ]
    assert expected[0] == ("a1", at("2026-12-01 11:30"), "jonas")  # after emergency and travel
    assert slots[0] == (f"/appointments/{ids['a1']}/reschedule?"
                        "start=2026-12-01T11:30%2B01:00&engineer=jonas")  # fmt: skip
    assert slots == [
        f"/appointments/{ids[key]}/reschedule?start="
        f"{start.astimezone(BERLIN).isoformat(timespec='minutes').replace('+', '%2B')}"
        f"&engineer={engineer}"
        for key, start, engineer in expected
    ]
    assert "an Anna Schmidt" in text  # free at 10:00: reassign in one click


def test_the_oldest_decision_comes_first(app: Flask, ids: dict[str, int], clock: Any) -> None:
    """A later emergency's appointment waits behind the older ones, however early it starts."""
    clock.advance(minutes=5)
    with reading(app) as session:
        anna = session.scalar(select(Engineer).where(Engineer.key == "anna"))
        caller = session.get(Ticket, ids["ticket"]).customer
        early = Appointment(
            key="a0",
            engineer=anna,
            customer=caller,
            title="Früh",
            starts_at=at("2026-12-01 09:30"),
            ends_at=at("2026-12-01 09:45"),
        )
        second = Ticket(call_sid="CA-2", customer=caller, arrived_at=clock(), state="connected",
                        accepted_by=anna, accepted_at=at("2026-12-01 09:05"))  # fmt: skip
        session.add_all([early, second])
        session.commit()
        appointments.check_displacements(session, clock())
        early_id = early.id
    page = html(client_as(app, "dispatcher").get("/appointments"))
    assert cards(page) == [f"a{ids['a1']}", f"a{ids['a2']}", f"a{early_id}"]


def test_reschedule_previews_the_customers_message_and_sends_that_one(
    app: Flask, ids: dict[str, int]
) -> None:
    client = client_as(app, "dispatcher")
    before = outbox(app)
    url = f"/appointments/{ids['a1']}/reschedule?start=2026-12-01T11:30%2B01:00&engineer=jonas"
    preview = client.get(url)
    assert preview.status_code == 200
    shown = preview.get_data(as_text=True)
    html(preview)
    assert outbox(app) == before  # nothing is sent by looking
    with reading(app) as session:
        told = appointments.notice(session, session.get(Appointment, ids["a1"]), "rescheduled",
                                   at("2026-12-01 11:30"))  # fmt: skip
    assert told.email and told.sms and told.email_to == "it@mueller.example"
    assert "neu am 01.12.2026 um 11:30 Uhr" in told.email.subject
    for part in (told.email.subject, told.sms, "E-Mail an it@mueller.example", "SMS an"):
        assert escape(part) in shown
    assert "Neu: <strong>Di 01.12.2026 11:30–12:30</strong>" in shown

    done = client.post(url.split("?")[0], data={"csrf_token": token(shown),
                       "start": "2026-12-01T11:30+01:00", "engineer": "jonas"})  # fmt: skip
    assert done.status_code == 302, done.get_data(as_text=True)
    assert done.headers["Location"].endswith("/appointments")
    assert status(app, ids["a1"]) == ("rescheduled", "jonas", at("2026-12-01 11:30"))
    sent = outbox(app)[len(before) :]
    assert sent == [("email", "it@mueller.example", told.email.subject, told.email.text),
                    ("sms", "+491701234567", None, told.sms)]  # fmt: skip
    after = client.get("/appointments").get_data(as_text=True)
    assert f"Termin #{ids['a1']} verschoben auf Di 01.12.2026 11:30" in after
    assert f'id="a{ids["a1"]}"' not in after  # decided: out of the queue
    with reading(app) as session:
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "reschedule appointment")).one()  # fmt: skip
        assert entry.actor == "user:dispatcher@example.de"


def test_keep_reassign_and_cancel(app: Flask, ids: dict[str, int]) -> None:
    client = client_as(app, "project_lead")  # the project lead decides as well
    csrf = token(client.get("/appointments").get_data(as_text=True))
    a1, a2 = ids["a1"], ids["a2"]
    assert client.post(f"/appointments/{a1}/keep", data={"csrf_token": csrf}).status_code == 302
    moved = client.post(f"/appointments/{a2}/reassign",
                        data={"csrf_token": csrf, "engineer": "anna"})  # fmt: skip
    assert moved.status_code == 302
    assert status(app, a1)[:2] == ("kept", "jonas")
    assert status(app, a2)[:2] == ("reassigned", "anna")
    assert len(outbox(app)) == 1  # only the dispatcher's e-mail: the customers keep their time

    preview = client.get(f"/appointments/{a2}/cancel").get_data(as_text=True)
    assert "is cancelled" in preview  # Acme reads English
    assert "Absagen und Kunden benachrichtigen" in preview  # the page stays German
    assert client.post(f"/appointments/{a2}/cancel", data={"csrf_token": csrf}).status_code == 302
    assert status(app, a2)[0] == "cancelled"
    assert outbox(app)[-1][1] == "it@acme.example"
    again = client.post(f"/appointments/{a2}/cancel", data={"csrf_token": csrf})
    assert again.status_code == 409 and "is cancelled" in again.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "data", "code", "says"),
    [
        ("/appointments/A1/reschedule?start=gestern", None, 400, "Ungültige Zeit"),
        ("/appointments/A1/reschedule?start=2026-12-01T11:30&engineer=nobody", None, 400,
         "Unbekannter Techniker"),
        ("/appointments/A1/reschedule?start=99999-01-01T00:00", None, 400, "Ungültige Zeit"),
        ("/appointments/A1/reschedule", {"start": "2026-12-01T10:30"}, 409, "jonas is busy"),
        ("/appointments/A1/reassign", {"engineer": "jonas"}, 409, "already jonas"),
        ("/appointments/99999/cancel", None, 404, "Nicht gefunden"),
        ("/appointments/A1/keep", {"csrf_token": "forged"}, 400, "Formular abgelaufen"),
    ],
)  # fmt: skip
def test_hostile_or_impossible_requests_get_a_clear_answer(
    app: Flask, ids: dict[str, int], path: str, data: Any, code: int, says: str
) -> None:
    client = client_as(app, "dispatcher")
    path = path.replace("A1", str(ids["a1"]))
    if data is None:
        answer = client.get(path)
    else:
        csrf = token(client.get("/appointments").get_data(as_text=True))
        answer = client.post(path, data={"csrf_token": csrf, **data})
    assert answer.status_code == code
    assert says in answer.get_data(as_text=True)
    assert status(app, ids["a1"])[0] == "at_risk"


@pytest.mark.parametrize("role", ["engineer", "admin", None])
def test_the_page_and_its_decisions_are_the_offices_alone(
    app: Flask, ids: dict[str, int], role: str | None
) -> None:
    a1 = ids["a1"]
    client = client_as(app, role) if role else app.test_client()
    csrf = token(client.get("/login").get_data(as_text=True))
    refused = 403 if role else 302
    for path in ("/appointments", f"/appointments/{a1}/cancel",
                 f"/appointments/{a1}/reschedule?start=2026-12-01T11:30"):  # fmt: skip
        assert client.get(path).status_code == refused, path
    for path, data in ((f"/appointments/{a1}/keep", {}), (f"/appointments/{a1}/cancel", {}),
                       (f"/appointments/{a1}/reschedule", {"start": "2026-12-01T11:30"}),
                       (f"/appointments/{a1}/reassign", {"engineer": "anna"})):  # fmt: skip
        assert client.post(path, data={"csrf_token": csrf, **data}).status_code == refused, path
    assert status(app, a1)[0] == "at_risk"


def test_the_dispatchers_email_links_to_the_page(app: Flask, ids: dict[str, int]) -> None:
    [(channel, to, _, body)] = outbox(app)
    assert (channel, to) == ("email", "dispo@example.de")
    assert "Vorschläge und Entscheidung: https://hotline.example.de/appointments" in body
    assert "flask" not in body

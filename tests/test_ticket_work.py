"""Working a ticket on its page: notes, work minutes and resolving, a customer for an unidentified
caller, the call-back, and the surcharge a project lead waives; each a CSRF form into its
service, refused to the roles that may not, written to the audit log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from builders import small_provider
from conftest import Clock
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from staff import ROLES, Text, client_as, csrf, make_accounts, ticket

from hotline import db
from hotline.models import Appointment, AuditEntry, Customer, Displacement, Engineer, Ticket


@pytest.fixture
def worked(app: Flask, clock: Clock) -> dict[str, int]:
    """An accepted emergency of Müller that displaced (rescheduled) an Acme appointment, an
    unidentified accepted one, and a voicemail waiting for its call-back."""
    now = clock()
    with app.app_context():
        session = db.session()
        small_provider(session)
        make_accounts(session, now)
        mueller = ticket(session, now - timedelta(minutes=30))
        jonas = session.scalar(select(Engineer).where(Engineer.key == "jonas"))
        acme = session.scalar(select(Customer).where(Customer.number == "20077"))
        moved = Appointment(key="acme-1", engineer=jonas, customer=acme, title="Server-Update",
                            starts_at=now + timedelta(hours=6), ends_at=now + timedelta(hours=8),
                            status="rescheduled")  # fmt: skip
        session.add(moved)
        session.add(Displacement(appointment=moved, ticket=mueller, created_at=now,
                                 outcome="rescheduled", decided_at=now))  # fmt: skip
        unknown = ticket(session, now - timedelta(minutes=20), customer=None)
        voicemail = ticket(
            session,
            now - timedelta(minutes=10),
            state="callback_pending",
            accepted_by=None,
            voicemail_url="https://api.twilio.com/x/RE1",
        )
        session.commit()
        return {"mueller": mueller.id, "unknown": unknown.id, "voicemail": voicemail.id}


def post(client: FlaskClient, path: str, **form: str) -> Any:
    ticket_page = "/" + "/".join(path.strip("/").split("/")[:2])
    return client.post(path, data={**form, "csrf_token": csrf(client, ticket_page)})


def page(client: FlaskClient, ticket_id: int) -> Text:
    answer = client.get(f"/tickets/{ticket_id}")
    assert answer.status_code == 200
    return Text(answer.get_data(as_text=True))


def audit(app: Flask) -> list[tuple[str, str, str | None]]:
    with app.app_context():
        rows = db.session().scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(a.actor, a.action, a.subject) for a in rows if a.action != "login"]


def test_the_dispatcher_resolves_with_work_minutes(app: Flask, worked: dict[str, int]) -> None:
    client = client_as(app, "dispatcher")
    shown = page(client, worked["mueller"])
    assert "Angenommen von Jonas" in shown.of() and "Lösen" in shown.of("work")
    assert "Fällig (Betrag nach dem Lösen)" in shown.of("surcharge")
    assert "Server-Update" in shown.of("surcharge") and "verschoben" in shown.of("surcharge")
    done = post(client, f"/tickets/{worked['mueller']}/resolve", work_minutes="25",
                notes="Switch getauscht")  # fmt: skip
    assert done.status_code == 302
    after = page(client, worked["mueller"])
    assert "Gelöst, 25 min Arbeit erfasst." in after.of()
    assert "gelöst 25 min" in after.of("timeline")
    # 30 min at 120 EUR (10 min phone, 25 min work: 35 in 15-min steps: 45 min = 90 EUR): 50 %
    assert "Fällig: 45.00 €" in after.of("surcharge")
    assert "Switch getauscht" in after.of("work")
    with app.app_context():
        found = db.session().get(Ticket, worked["mueller"])
        assert found.resolved_at is not None and found.work_minutes == 25
    assert (ROLES["dispatcher"][0], "resolve", f"ticket {worked['mueller']}") in [
        (f"{a.split(':', 1)[1]}", b, c) for a, b, c in audit(app)
    ]
    assert "Lösen" not in page(client, worked["mueller"]).of("work")  # resolved: no second time


@pytest.mark.parametrize("minutes", ["", "abc", "-5", "1e3", "９"])
def test_unreadable_work_minutes_change_nothing(
    app: Flask, worked: dict[str, int], minutes: str
) -> None:
    client = client_as(app, "dispatcher")
    post(client, f"/tickets/{worked['mueller']}/resolve", work_minutes=minutes)
    assert "Nicht gelöst: Arbeitsminuten als ganze Zahl" in page(client, worked["mueller"]).of()
    with app.app_context():
        assert db.session().get(Ticket, worked["mueller"]).resolved_at is None


def test_a_voicemail_cannot_be_resolved_and_says_why(app: Flask, worked: dict[str, int]) -> None:
    client = client_as(app, "dispatcher")
    assert "Lösen" not in page(client, worked["voicemail"]).of("work")
    post(client, f"/tickets/{worked['voicemail']}/resolve", work_minutes="5")
    assert "Nicht gelöst: ticket" in page(client, worked["voicemail"]).of()


def test_a_customer_is_assigned_once(app: Flask, worked: dict[str, int]) -> None:
    client = client_as(app, "dispatcher")
    assert "Kunde zuordnen" in page(client, worked["unknown"]).of("work")
    post(client, f"/tickets/{worked['unknown']}/assign", customer="10042")
    after = page(client, worked["unknown"])
    assert "Kunde Müller & Söhne <Maschinenbau> zugeordnet." in after.of()
    assert "Kunde zugeordnet" in after.of("timeline") and "Kunde 10042" in after.of("timeline")
    assert "Kunde zuordnen" not in after.of("work")
    post(client, f"/tickets/{worked['unknown']}/assign", customer="20077")
    post(client, f"/tickets/{worked['unknown']}/assign", customer="nobody")
    with app.app_context():
        assert db.session().get(Ticket, worked["unknown"]).customer.number == "10042"
    actions = [b for _, b, c in audit(app) if c == f"ticket {worked['unknown']}"]
    assert actions == ["assign customer"]


def test_a_note_goes_into_the_notes_and_the_timeline_names_its_author(
    app: Flask, worked: dict[str, int]
) -> None:
    client = client_as(app, "engineer")  # jonas: on the chain
    post(client, f"/tickets/{worked['mueller']}/note", text="Kunde <b>zurückgerufen</b>")
    after = page(client, worked["mueller"])
    assert "Kunde <b>zurückgerufen</b>" in after.of("work")  # as text, escaped
    assert "Notiz hinzugefügt" in after.of("timeline")
    assert "Notiz hinzugefügt Jonas" in after.of("timeline")  # the account's name, not its key
    post(client, f"/tickets/{worked['mueller']}/note", text="   ")
    assert "Notiz nicht gespeichert" in page(client, worked["mueller"]).of()


def test_only_a_project_lead_waives_under_their_own_name(
    app: Flask, worked: dict[str, int]
) -> None:
    path = f"/tickets/{worked['mueller']}/waive"
    for role in ("dispatcher", "engineer"):
        assert "Erlassen" not in page(client_as(app, role), worked["mueller"]).of("surcharge")
        assert post(client_as(app, role), path, reason="Kulanz").status_code == 403
    lead = client_as(app, "project_lead")
    post(lead, path, reason="  ")
    assert "Nicht erlassen" in page(lead, worked["mueller"]).of()
    post(lead, path, reason="Kulanz nach Ausfall")
    shown = page(lead, worked["mueller"]).of("surcharge")
    assert "Erlassen von Anna: „Kulanz nach Ausfall“" in shown
    with app.app_context():
        found = db.session().get(Ticket, worked["mueller"])
        assert found.surcharge_waived_reason == "Kulanz nach Ausfall"
    assert ("user:anna@example.de", "waive surcharge", f"ticket {worked['mueller']}") in audit(app)


ACTIONS = {
    "note": {"text": "x"},
    "resolve": {"work_minutes": "5"},
    "assign": {"customer": "10042"},
    "waive": {"reason": "x"},
}


@pytest.mark.parametrize("role", ["admin", "other_engineer", None])
def test_who_may_not_work_the_ticket_changes_nothing(
    app: Flask, worked: dict[str, int], role: str | None
) -> None:
    client = client_as(app, role)
    for action, form in ACTIONS.items():
        target = worked["unknown"] if action == "assign" else worked["mueller"]
        answer = client.post(f"/tickets/{target}/{action}", data=form)
        assert answer.status_code in (302, 400, 403), action
        if answer.status_code == 302:
            assert "/login" in answer.headers["Location"]
    with app.app_context():
        found = db.session().get(Ticket, worked["mueller"])
        assert found.notes is None and found.resolved_at is None
    assert audit(app) == []


def test_every_form_needs_its_csrf_token(app: Flask, worked: dict[str, int]) -> None:
    client = client_as(app, "dispatcher")
    answer = client.post(f"/tickets/{worked['mueller']}/resolve", data={"work_minutes": "5"})
    assert answer.status_code == 400 and "Formular abgelaufen" in answer.get_data(as_text=True)


def test_the_second_taker_of_a_call_back_hears_who_has_it(
    app: Flask, worked: dict[str, int]
) -> None:
    lead, engineer = client_as(app, "project_lead"), client_as(app, "engineer")
    token = csrf(engineer, f"/tickets/{worked['voicemail']}")
    post(lead, f"/tickets/{worked['voicemail']}/acknowledge")
    engineer.post(f"/tickets/{worked['voicemail']}/acknowledge", data={"csrf_token": token})
    shown = page(engineer, worked["voicemail"]).of()
    assert "Rückruf übernommen von Anna" in shown
    board = client_as(app, "dispatcher").get("/board.json").get_json()
    assert board["callbacks"] == []  # taken: off the board everywhere

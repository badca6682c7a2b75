"""The live board: who may open it, what it shows, and the poll that costs nothing when nothing
changed (304 on the version the page shows)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from builders import small_provider
from conftest import Clock
from flask import Flask
from sqlalchemy import select
from staff import Text, client_as, make_accounts, ticket

from escalation.callflow import Kind
from hotline import db, tickets
from hotline.models import Appointment, Attempt, Customer, Engineer


@pytest.fixture
def office(app: Flask, clock: Clock) -> Flask:
    with app.app_context():
        small_provider(db.session())
        make_accounts(db.session(), clock())
    return app


@pytest.mark.parametrize(
    ("role", "status"),
    [("dispatcher", 200), ("project_lead", 200), ("engineer", 403), ("admin", 403), (None, 302)],
)
def test_the_board_is_for_the_office(office: Flask, role: str | None, status: int) -> None:
    client = client_as(office, role)
    for path in ("/board", "/board.json"):
        answer = client.get(path)
        assert answer.status_code == status, path
        if status == 302:
            assert "/login" in answer.headers["Location"]


def test_the_office_lands_on_the_board(office: Flask) -> None:
    for role in ("dispatcher", "project_lead"):
        assert client_as(office, role).get("/").headers["Location"].endswith("/board")
    assert not client_as(office, "engineer").get("/").headers.get("Location", "").endswith("/board")


def test_the_board_shows_what_needs_the_office(office: Flask, clock: Clock) -> None:
    now = clock()
    with office.app_context():
        session = db.session()
        ringing = ticket(session, now - timedelta(seconds=75), state="ringing", accepted_by=None,
                         ringing="jonas")  # fmt: skip
        talking = ticket(session, now - timedelta(minutes=5), ended=False)
        voicemail = ticket(session, now - timedelta(minutes=30), state="callback_pending",
                           accepted_by=None, customer=None, caller="+491709998877",
                           voicemail_seconds=42)  # fmt: skip
        unknown = ticket(session, now - timedelta(hours=2), customer=None, accepted_by="jonas")
        done = ticket(session, now - timedelta(hours=3), resolved_at=now - timedelta(hours=1))
        # lena is on call for gruen but has no usable mobile: an unreachable engineer, a gap
        session.scalar(select(Engineer).where(Engineer.key == "lena")).mobile = None
        jonas = session.scalar(select(Engineer).where(Engineer.key == "jonas"))
        session.add(Appointment(key="a1", engineer=jonas, starts_at=now + timedelta(hours=2),
                                ends_at=now + timedelta(hours=3), status="at_risk"))  # fmt: skip
        tickets.log(session, done, now - timedelta(hours=3), Kind.FALLBACK, where="/voice/x",
                    error="11200")  # fmt: skip
        session.commit()
        ids = [t.id for t in (ringing, talking, voicemail, unknown, done)]
    answer = client_as(office, "dispatcher").get("/board")
    page = Text(answer.get_data(as_text=True))
    live = page.of("emergencies")
    assert f"#{ids[0]}" in live and "Es klingelt bei Jonas" in live
    assert "Anrufer wartet seit 1 min" in live  # 75 s
    assert f"#{ids[1]}" in live and "Verbunden mit Jonas seit 02:55" in live
    assert "Anrufer wartete 40 s" in live
    assert f"#{ids[4]}" not in live  # resolved
    callbacks = page.of("callbacks")
    assert f"#{ids[2]}" in callbacks and "+491709998877" in callbacks
    assert "(42 s) wartet seit 20 min" in callbacks  # the call ended 10 min after arriving
    assert f"#{ids[3]}" in page.of("unassigned") and f"#{ids[2]}" not in page.of("unassigned")
    assert "1" in page.of("at-risk") and "Nächster ab 05:00" in page.of("at-risk")
    warnings = page.of("warnings")
    assert "Lena (Team Gruen) hat Bereitschaft ab" in warnings
    assert "keine nutzbare Mobilnummer" in warnings
    assert "Niemand erreichbar in Bereitschaft für Team Gruen" in warnings
    assert f"#{ids[4]}" in warnings and "Ausfall-Leitung" in warnings


def test_a_fallback_older_than_a_day_is_no_warning(office: Flask, clock: Clock) -> None:
    with office.app_context():
        session = db.session()
        old = ticket(session, clock() - timedelta(hours=30))
        session.add(Attempt(ticket=old, seq=2, entry=2, level="fallback", number="+491715550000",
                            started_at=clock() - timedelta(hours=30)))  # fmt: skip
        recent = ticket(session, clock() - timedelta(hours=2))
        session.add(
            Attempt(
                ticket=recent,
                seq=2,
                entry=2,
                level="fallback",
                number="+491715550000",
                started_at=clock() - timedelta(hours=2),
            )
        )
        session.commit()
        old_id, recent_id = old.id, recent.id
    data = client_as(office, "dispatcher").get("/board.json").get_json()
    fallbacks = [w["ticket"] for w in data["warnings"] if w["kind"] == "fallback"]
    assert fallbacks == [recent_id] and old_id != recent_id


def test_an_unchanged_board_polls_as_304_and_a_change_shows(office: Flask, clock: Clock) -> None:
    client = client_as(office, "dispatcher")
    first = client.get("/board.json")
    assert first.status_code == 200 and first.mimetype == "application/json"
    version = first.get_json()["version"]
    assert first.headers["ETag"] == f'W/"{version}"'
    clock.advance(seconds=20)  # time passes: the ages tick in the browser, the board is the same
    again = client.get("/board.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    with office.app_context():
        made = ticket(db.session(), clock(), state="ringing", accepted_by=None, ringing="jonas")
    changed = client.get("/board.json", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    data = changed.get_json()
    assert data["version"] != version
    assert [e["ticket"] for e in data["emergencies"]] == [made.id]
    assert f"#{made.id}" in Text(data["html"]).of("emergencies")


def test_caller_numbers_and_names_are_escaped(office: Flask, clock: Clock) -> None:
    with office.app_context():
        session = db.session()
        session.scalar(select(Customer).where(Customer.number == "10042")).name = "<b>x</b>"
        ticket(session, clock(), state="callback_pending", accepted_by=None,
               caller="<script>alert(1)</script>")  # fmt: skip
    html = client_as(office, "dispatcher").get("/board").get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;b&gt;x&lt;/b&gt;" in html

"""`/hours`: an engineer enters and sees their own time, a project lead everyone's; the office
and the admin have no hours; every form needs its CSRF token; hostile text stays text."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime

import pytest
from conftest import Clock
from flask import Flask
from office import client_as, post, seed
from sqlalchemy import select

from hotline import billing, db
from hotline.models import TimeEntry


@pytest.fixture
def demo(app: Flask, clock: Clock) -> Flask:
    seed(app, clock())
    return app


def entries(app: Flask) -> list[tuple[str, str, int, str]]:
    with app.app_context():
        rows = (
            db.session()
            .scalars(select(TimeEntry).where(TimeEntry.source == "web").order_by(TimeEntry.id))
            .all()
        )
        return [(e.engineer.key, e.customer.number, e.minutes, e.topic) for e in rows]


FORM = {"day": "2026-12-01", "customer": "10042", "minutes": "45", "topic": "Drucker",
        "reference": "T-1", "billable": "1"}  # fmt: skip


def test_an_engineer_enters_their_own_time_and_sees_only_their_own(demo: Flask) -> None:
    jonas = client_as(demo, "engineer")
    page = jonas.get("/hours?month=2026-12")
    assert page.status_code == 200 and 'lang="de"' in page.get_data(as_text=True)
    done = post(jonas, "/hours", "/hours?month=2026-12", {**FORM, "engineer": "anna"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/hours?month=2026-12")
    assert entries(demo) == [("jonas", "10042", 45, "Drucker")]  # never in anna's name

    anna = client_as(demo, "project_lead")
    post(anna, "/hours", "/hours", {**FORM, "engineer": "jonas", "reference": "T-2",
                                    "topic": "<script>alert(1)</script>"})  # fmt: skip
    post(anna, "/hours", "/hours", {**FORM, "reference": "T-3", "topic": "Planung"})
    assert entries(demo)[1:] == [("jonas", "10042", 45, "<script>alert(1)</script>"),
                                 ("anna", "10042", 45, "Planung")]  # fmt: skip
    lead_view = anna.get("/hours?month=2026-12").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in lead_view and "<script>alert" not in lead_view
    assert "Planung" in lead_view and "2,25 h" in lead_view  # 3 × 45 min for 10042
    own_view = jonas.get("/hours?month=2026-12").get_data(as_text=True)
    assert "Planung" not in own_view and "Drucker" in own_view


def test_what_cannot_be_entered_is_said_in_german_and_nothing_is_stored(demo: Flask) -> None:
    jonas = client_as(demo, "engineer")
    future = post(jonas, "/hours", "/hours", {**FORM, "day": "2026-12-02"})
    assert future.status_code == 400
    assert "Datum: 02.12.2026 liegt in der Zukunft" in future.get_data(as_text=True)
    for bad in ({"minutes": "zehn"}, {"minutes": "0"}, {"customer": "99999"}, {"topic": " "},
                {"day": "morgen"}):  # fmt: skip
        answer = post(jonas, "/hours", "/hours", {**FORM, **bad})
        assert answer.status_code == 400 and 'class="error"' in answer.get_data(as_text=True)
    missing = jonas.post("/hours", data=FORM)
    assert missing.status_code == 400 and "Formular abgelaufen" in missing.get_data(as_text=True)
    assert entries(demo) == []


def test_the_office_and_the_admin_have_no_hours(demo: Flask) -> None:
    for role in ("dispatcher", "admin"):
        assert client_as(demo, role).get("/hours").status_code == 403
    assert "/login" in client_as(demo, None).get("/hours").headers["Location"]


def test_removing_is_ones_own_and_a_closed_month_stays(demo: Flask) -> None:
    anna, jonas = client_as(demo, "project_lead"), client_as(demo, "engineer")
    november = {**FORM, "day": "2026-11-30"}
    post(anna, "/hours", "/hours", {**november, "engineer": "anna"})
    post(jonas, "/hours", "/hours", {**november, "reference": "T-9"})
    with demo.app_context():
        ids = (
            db.session()
            .scalars(select(TimeEntry.id).where(TimeEntry.source == "web").order_by(TimeEntry.id))
            .all()
        )
    assert post(jonas, "/hours", f"/hours/{ids[0]}/delete").status_code == 403  # anna's
    assert post(jonas, "/hours", f"/hours/{ids[1]}/delete").status_code == 302
    assert [e[0] for e in entries(demo)] == ["anna"]
    with demo.app_context():
        billing.close(db.session(), date(2026, 11, 1), datetime(2026, 12, 1, 2, tzinfo=UTC))
    refused = post(anna, "/hours", f"/hours/{ids[0]}/delete")
    assert refused.status_code == 400 and "abgerechneten Monat" in html.unescape(
        refused.get_data(as_text=True)
    )
    closed = anna.get("/hours?month=2026-11").get_data(as_text=True)
    assert "Dieser Monat ist abgerechnet" in closed and 'name="minutes"' not in closed
    assert entries(demo) == [("anna", "10042", 45, "Drucker")]


def test_the_demo_brings_novembers_regular_hours_once(demo: Flask) -> None:
    november = client_as(demo, "project_lead").get("/hours?month=2026-11").get_data(as_text=True)
    assert "Firewall-Regeln Außendienst" in november and "Projekt WLAN Halle 3" in november
    with demo.app_context():
        assert len(db.session().scalars(select(TimeEntry.id)).all()) == 10
    seed(demo, datetime(2026, 11, 30, 12, tzinfo=UTC))  # a second seed enters nothing again
    with demo.app_context():
        assert len(db.session().scalars(select(TimeEntry.id)).all()) == 10

"""The half-year report for the GL-JourFixe, read back by pypdf (a PDF reader independent of
ReportLab, which writes it): the hours per month against the quota, a closed month as billed and
a running one so far, the emergency with its §2 surcharge, the displaced appointment, the
charts; from the command line and from the JourFixe page."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from office import client_as
from pypdf import PdfReader
from sqlalchemy.orm import Session
from test_appointments import NOW, World, at, build

from escalation.jourfixe import Half
from hotline import accounts, appointments, billing, db, glreport
from hotline.models import GLJourFixe, TimeEntry

TODAY = at("2026-12-03 12:00")


def words(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def half_year(session: Session) -> World:
    """10099 (2 h quota, 120 EUR, 50 %): an hour of support in November, billed and closed;
    in December the emergency that displaced Müller's appointment (§2: 105 EUR), 105 minutes."""
    world = build(session)
    session.add(TimeEntry(customer=world.caller, engineer=world.jonas, minutes=60,
                          day=date(2026, 11, 20), topic="Drucker", created_at=NOW,
                          created_by="test"))  # fmt: skip
    session.commit()
    billing.close(session, date(2026, 11, 1), at("2026-12-01 00:30"))
    a1 = world.appointment(session, "a1", world.mueller, "2026-12-01 10:00", "2026-12-01 11:00")
    session.commit()
    appointments.check_displacements(session, NOW)
    appointments.reschedule(session, a1, at("2026-12-02 10:00"), NOW)
    billing.resolve(session, world.ticket, at("2026-12-01 10:30"), work_minutes=90)
    world.caller.gl_jourfixes = [GLJourFixe(at=at("2026-06-18 14:00")),
                                 GLJourFixe(at=at("2026-12-17 14:00"))]  # fmt: skip
    session.commit()
    return world


@pytest.fixture
def world(session: Session, clock: Any) -> World:
    clock.at = TODAY
    return half_year(session)


def test_the_figures_of_the_half_year(session: Session, world: World) -> None:
    found = glreport.report(session, world.caller, Half(2026, 2), TODAY)
    assert [(m.month.month, m.used_minutes, m.closed) for m in found.months] == [
        (7, 0, False), (8, 0, False), (9, 0, False), (10, 0, False), (11, 60, True),
        (12, 105, False),
    ]  # fmt: skip
    text = words(glreport.pdf(session, found))
    for promised in (
        "Halbjahresbericht zum GL-JourFixe",
        "Bäckerei Brot (10099) · 2. Halbjahr 2026",
        "für den GL-JourFixe am 17.12.2026 14:00",
        "Stand: 03.12.2026 12:00",
        "Projektleitung: Lena Koch",
        "11/2026 2,00 1,00 50 % 0,00 0,00 0,00 abgerechnet",
        "12/2026 2,00 1,75 88 % 0,00 0,00 105,00 laufend",
        "Summe 12,00 2,75 0,00 0,00 105,00",
        f"{world.ticket.id} 01.12.2026 09:00 105 1 105,00",  # minutes, displaced, surcharge
        "Geleistete Stunden und Kontingent je Monat",
        "Notfälle je Monat",
    ):
        assert promised in " ".join(text.split()), promised
    assert "Solutionbar IT-Service · Bäckerei Brot · 2. Halbjahr 2026 · Seite 1" in text
    assert "Müller" not in text  # another customer's appointment is never named


def test_the_customers_own_displaced_appointment_in_english(session: Session, world: World) -> None:
    world.mueller.language = "en"
    session.commit()
    data = glreport.pdf(session, glreport.report(session, world.mueller, Half(2026, 2), TODAY))
    text = " ".join(words(data).split())
    assert "Half-year report for the GL-JourFixe" in text and "2026 H2" in text
    assert "2026-12-01 10:00 JourFixe Müller GmbH moved to 2026-12-02 10:00" in text
    assert "Emergencies and their surcharges none" in text
    assert data == glreport.pdf(session, glreport.report(session, world.mueller, Half(2026, 2),
                                                         TODAY))  # fmt: skip  # the same bytes


def test_the_command_writes_the_file(app: Flask, world: World, tmp_path: Path) -> None:
    path = tmp_path / "gl.pdf"
    runner = app.test_cli_runner()
    done = runner.invoke(args=["gl-report", "10099", "--half", "2026-H2", "-o", str(path)])
    assert done.exit_code == 0, done.output
    assert f"written to {path}" in done.output
    assert "12/2026 2,00 1,75 88 %" in " ".join(words(path.read_bytes()).split())
    wrong = runner.invoke(args=["gl-report", "10099", "--half", "2026-H3"])
    assert wrong.exit_code == 2 and "2026-H2" in wrong.output
    assert runner.invoke(args=["gl-report", "99999", "--half", "2026-H2"]).exit_code == 1


def test_project_leads_download_it_from_the_jourfixe_page(app: Flask, clock: Any) -> None:
    clock.at = TODAY
    with app.app_context():  # and closed: each request of the client gets its own
        half_year(db.session())
        accounts.seed_demo(db.session(), NOW)
        db.session().commit()
    lead = client_as(app, "project_lead")
    answer = lead.get("/jourfixe/10099/gl-report?half=2026-H2")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert 'filename="gl-10099-2026-H2.pdf"' in answer.headers["Content-Disposition"]
    assert "12/2026 2,00 1,75 88 %" in " ".join(words(answer.data).split())
    assert lead.get("/jourfixe/10099/gl-report?half=2026").status_code == 400
    assert client_as(app, "dispatcher").get("/jourfixe/10099/gl-report").status_code == 403
    page = client_as(app, "dispatcher").get("/jourfixe").get_data(as_text=True)
    assert "Bäckerei Brot" in page and "GL-Bericht" not in page  # the office, not the figures

"""`/billing`: only a project lead opens it; the month per customer, the month-end run (once,
however often the button is pressed), the CSV as `billing-export` writes it (read back by the
csv module and by LibreOffice), and a customer's status e-mail previewed, then queued (the
JourFixe page, which the dispatcher opens too: tests/test_jourfixe_page.py)."""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from office import ROLES, client_as, post
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_appointments import NOW, at, build
from test_billing_export import GERMAN, libreoffice, records

from hotline import accounts, billing, db
from hotline.models import AuditEntry, BillingRun, Message

NEW_YEAR_MORNING = datetime(2027, 1, 1, 5, 0, tzinfo=UTC)


@pytest.fixture
def world(app: Flask, clock: Any) -> None:
    """build()'s customers and emergency (10099, 2 h quota at 120 EUR), resolved after 20 min
    of work, and the demo accounts (anna is its project lead). No app context stays open: each
    request of the test client gets its own, as in production."""
    clock.at = NOW
    with app.app_context():
        session = db.session()
        made = build(session)
        billing.resolve(session, made.ticket, at("2026-12-01 09:50"), work_minutes=20)
        accounts.seed_demo(session, NOW)
        session.commit()
    clock.at = at("2026-12-02 12:00")


@contextmanager
def database(app: Flask) -> Iterator[Session]:
    with app.app_context():
        yield db.session()


@pytest.mark.parametrize("role", [None, *sorted(ROLES)])
def test_only_a_project_lead_opens_billing(app: Flask, world: None, role: str | None) -> None:
    client = client_as(app, role)
    for path in ("/billing", "/jourfixe/10099/gl-report", "/billing/export?month=2026-12"):
        answer = client.get(path)
        if role is None:
            assert answer.status_code == 302 and "/login" in answer.headers["Location"]
        elif role != "project_lead":
            assert answer.status_code == 403 and "Kein Zugriff" in answer.get_data(as_text=True)
    if role not in (None, "project_lead"):
        refused = post(client, "/directory", "/billing/run", {"month": "2026-11"})
        assert refused.status_code == 403


def test_the_running_month_per_customer(app: Flask, world: None) -> None:
    text = html.unescape(client_as(app, "project_lead").get("/billing").get_data(as_text=True))
    assert "Abrechnung 12/2026" in text and "laufender Monat" in text
    row = text[text.index("Bäckerei Brot") :].split("</tr>")[0]
    # 10 min on the phone + 20 min work = 30 min billed: 0,50 h of a 2 h quota (25 %)
    assert "2,00 h" in row and "0,50 h" in row and "(25 %)" in row
    assert "Monat abschließen" not in text  # December has not ended


def test_the_month_end_run_closes_once_and_the_csv_is_the_commands(
    app: Flask, world: None, clock: Any, tmp_path: Path
) -> None:
    clock.at = NEW_YEAR_MORNING
    lead = client_as(app, "project_lead")
    page = lead.get("/billing?month=2026-12").get_data(as_text=True)
    assert "Monat abschließen" in page and "beendet, nicht abgerechnet" in page
    assert "12/2026 ist beendet" in lead.get("/billing").get_data(as_text=True)  # January's

    refused = lead.get("/billing/export?month=2026-12")
    assert refused.status_code == 409 and "noch nicht abgerechnet" in refused.get_data(True)

    done = post(lead, "/billing", "/billing/run", {"month": "2026-12"}, follow_redirects=True)
    assert "12/2026 abgeschlossen: 1 Posten abgerechnet" in done.get_data(as_text=True)
    again = post(lead, "/billing", "/billing/run", {"month": "2026-12"}, follow_redirects=True)
    assert "schon abgeschlossen: unverändert" in again.get_data(as_text=True)
    earlier = post(lead, "/billing", "/billing/run", {"month": "2026-10"}, follow_redirects=True)
    assert "liegt vor dem letzten abgeschlossenen Monat" in earlier.get_data(as_text=True)
    with database(app) as session:
        [run] = session.scalars(select(BillingRun)).all()
        assert len(run.lines) == 1
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "close month"))
        assert [(a.actor, a.subject) for a in audit] == [
            ("user:anna@demo.example", "month 2026-12")
        ]
        csv = billing.export_csv(session, date(2026, 12, 1), semicolon=True)

    answer = lead.get("/billing/export?month=2026-12&variant=de")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert 'filename="abrechnung-2026-12.csv"' in answer.headers["Content-Disposition"]
    assert answer.data == csv  # the file `billing-export --semicolon` writes
    [row] = records(answer.data, semicolon=True)
    assert (row["customer"], row["billed_hours"], row["amount"]) == ("10099", "0,50", "60,00")
    header, line = libreoffice(answer.data, tmp_path, semicolon=True, language=GERMAN)
    amount = [value for _, value, _ in header].index("amount")
    assert line[amount][:2] == ("float", "60")
    totals = records(lead.get("/billing/export?month=2026-12&totals=1").data, semicolon=True)
    assert [(t["customer"], t["tickets"]) for t in totals] == [("10099", "1")]


def test_a_status_email_is_previewed_then_queued_once_a_day(app: Flask, world: None) -> None:
    """Without a JourFixe rhythm (10099 has none): the month's report, once a day."""
    lead = client_as(app, "project_lead")
    preview = lead.get("/jourfixe/10099")
    text = html.unescape(preview.get_data(as_text=True))
    assert (
        "chef@brot.example" in text
        and "Bäckerei Brot" in text
        and "0,50 Std. von 2,00 Std." in text
        and "kein JourFixe-Rhythmus" in text
    )
    frame = lead.get("/jourfixe/10099/html")
    assert "sandbox" in frame.headers["Content-Security-Policy"]
    assert "Bäckerei Brot" in html.unescape(frame.get_data(as_text=True))
    with database(app) as session:
        assert not session.scalars(select(Message).where(Message.to == "chef@brot.example")).all()

    sent = post(lead, "/jourfixe/10099", "/jourfixe/10099", follow_redirects=True)
    assert "liegt in der Ausgangspost" in sent.get_data(as_text=True)
    twice = post(lead, "/jourfixe/10099", "/jourfixe/10099", follow_redirects=True)
    assert "schon in der Ausgangspost" in twice.get_data(as_text=True)
    with database(app) as session:
        [mail] = session.scalars(select(Message).where(Message.to == "chef@brot.example")).all()
    assert mail.subject and mail.subject in text  # the e-mail queued is the one previewed
    assert lead.get("/jourfixe/99999").status_code == 404

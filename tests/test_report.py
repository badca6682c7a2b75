"""The month's operations report: hours classed by when they lie (pure), the figures from the
database, the command (CSV read back by Python's csv reader) and the page with its charts (the
SVG read by a strict XML parser)."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from builders import FALLBACK, small_provider
from flask import Flask
from sqlalchemy import select

from escalation import regions
from escalation import report as rules
from escalation.access import Role
from hotline import accounts, db, report
from hotline.models import Attempt, Customer, Event, Ticket

BERLIN = ZoneInfo("Europe/Berlin")
HOLIDAYS = regions.Holidays("BE")
H = timedelta(hours=1)


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)


def test_a_friday_night_is_a_night_until_midnight_and_a_weekend_after() -> None:
    hours = rules.split(berlin(2026, 12, 4, 20), berlin(2026, 12, 5, 8), BERLIN, HOLIDAYS)
    assert hours.by_kind == {rules.Kind.DAY: 2 * H, rules.Kind.NIGHT: 2 * H,
                             rules.Kind.WEEKEND: 8 * H}  # fmt: skip


def test_christmas_is_a_holiday_all_day_and_the_spring_change_has_23_hours() -> None:
    christmas = rules.split(berlin(2026, 12, 25, 0), berlin(2026, 12, 26, 0), BERLIN, HOLIDAYS)
    assert christmas.by_kind == {rules.Kind.HOLIDAY: 24 * H}
    spring = rules.split(berlin(2026, 3, 29, 0), berlin(2026, 3, 30, 0), BERLIN, HOLIDAYS)
    assert spring.total == 23 * H  # Sunday 29 March 2026: the clock jumps from 02:00 to 03:00
    assert spring.by_kind == {rules.Kind.WEEKEND: 23 * H}
    weekday = rules.split(berlin(2026, 10, 26, 0), berlin(2026, 10, 27, 0), BERLIN, HOLIDAYS)
    assert weekday.by_kind == {rules.Kind.NIGHT: 8 * H, rules.Kind.DAY: 16 * H}


def test_two_layers_at_once_count_once() -> None:
    a, b = berlin(2026, 12, 1, 8), berlin(2026, 12, 1, 12)
    hours = rules.on_call([(a, b), (a + H, b + H)], BERLIN, HOLIDAYS)
    assert hours.total == 5 * H


@pytest.fixture
def month(app: Flask) -> None:
    """December 2026: three calls of Müller's, one unidentified; one accepted after 40 s and
    resolved after 2 h, one to voicemail after ringing the fallback number, one not an
    emergency; and one November call that does not count."""
    with app.app_context():
        session = db.session()
        small_provider(session)
        mueller = session.scalars(select(Customer).where(Customer.number == "10042")).one()
        at = berlin(2026, 12, 3, 2)
        accepted = Ticket(call_sid="CA1", customer=mueller, arrived_at=at, confirmed_at=at,
                          accepted_at=at + timedelta(seconds=40), resolved_at=at + 2 * H,
                          state="connected")  # fmt: skip
        voicemail = Ticket(call_sid="CA2", customer=mueller, arrived_at=at + H, confirmed_at=at + H,
                           state="callback_pending")  # fmt: skip
        voicemail.attempts.append(Attempt(seq=1, entry=4, level="fallback", number=FALLBACK,
                                          started_at=at + H))  # fmt: skip
        voicemail.events.append(Event(at=at + H, kind="voicemail left"))
        other = Ticket(call_sid="CA3", customer=mueller, arrived_at=at, state="not_emergency")
        later = at + 3 * H
        stranger = Ticket(call_sid="CA4", arrived_at=later, confirmed_at=later,
                          accepted_at=later + timedelta(seconds=80), state="connected")  # fmt: skip
        november = Ticket(call_sid="CA5", customer=mueller, arrived_at=berlin(2026, 11, 30, 23),
                          state="connected")  # fmt: skip
        session.add_all([accepted, voicemail, other, stranger, november])
        session.commit()


def test_the_figures_of_a_month(app: Flask, month: None) -> None:
    with app.app_context():
        found = report.build(db.session(), date(2026, 12, 1))
    assert (found.calls, found.emergencies, found.accepted, found.resolved) == (4, 3, 2, 1)
    assert found.mtta == timedelta(seconds=60) and found.mttr == 2 * H
    assert (found.voicemails, found.fallbacks) == (1, 1)
    assert found.voicemail_rate == found.fallback_rate == pytest.approx(1 / 3)
    assert [(c.number, c.calls) for c in found.customers] == [("10042", 3), (None, 1)]
    # jonas (blau primary), mia (blau secondary), lena (gruen primary): on call all month
    assert {e.key for e in found.on_call} == {"jonas", "mia", "lena"}
    jonas = next(e for e in found.on_call if e.key == "jonas").hours
    assert jonas.total == 31 * 24 * H
    assert jonas.of(rules.Kind.HOLIDAY) == 48 * H  # 25 and 26 December in Berlin
    assert jonas.of(rules.Kind.WEEKEND) == 7 * 24 * H
    assert jonas.of(rules.Kind.NIGHT) == 22 * 8 * H and jonas.of(rules.Kind.DAY) == 22 * 16 * H


def test_the_command_prints_and_exports_the_same_figures(app: Flask, month: None) -> None:
    runner = app.test_cli_runner()
    shown = runner.invoke(args=["report", "--month", "2026-12"])
    assert shown.exit_code == 0, shown.output
    assert "MTTA 1.0 min, MTTR 120.0 min" in shown.output
    assert "voicemails 1 (33.3 %), fallbacks 1 (33.3 %)" in shown.output
    exported = runner.invoke(args=["report", "--month", "2026-12", "--csv", "--semicolon"])
    assert exported.exit_code == 0
    text = exported.stdout_bytes.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text), delimiter=";", strict=True))
    assert table[0] == ["figure", "subject", "detail", "value"]
    cells = {(row[0], row[1], row[2]): row[3] for row in table[1:]}
    assert cells[("mttr", "", "minutes")] == "120,0"
    assert cells[("fallback_rate", "", "percent of emergencies")] == "33,3"
    assert cells[("on_call_hours", "jonas", "holiday")] == "48,00"
    assert cells[("calls_per_customer", "10042", "Müller & Söhne <Maschinenbau>")] == "3"
    bad = runner.invoke(args=["report", "--month", "2026-13"])
    assert bad.exit_code == 2 and "no month (YYYY-MM)" in bad.output


def login(app: Flask, role: Role) -> object:
    app.config["WTF_CSRF_ENABLED"] = False  # the login form's token has its own tests
    with app.app_context():
        accounts.create(db.session(), f"{role}@r.example", role, app.config["CLOCK"](),
                        engineer="anna" if role == Role.PROJECT_LEAD else None,
                        password="a long enough password 2026")  # fmt: skip
        db.session().commit()
    client = app.test_client()
    done = client.post("/login", data={"email": f"{role}@r.example",
                                       "password": "a long enough password 2026"})  # fmt: skip
    assert done.status_code == 302
    return client


def test_the_page_shows_the_figures_and_charts_to_a_project_lead(app: Flask, month: None) -> None:
    client = login(app, Role.PROJECT_LEAD)
    page = client.get("/report?month=2026-12")  # type: ignore[attr-defined]
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="mtta">1,0 min' in html and 'id="fallbacks">1 (33,3 %)' in html
    charts = {}
    for svg in re.findall(r"<svg .*?</svg>", html, re.S):
        root = ET.fromstring(svg)  # strict XML: an unescaped name would break it
        charts[root.get("id")] = root
    ns = "{http://www.w3.org/2000/svg}"
    bars = charts["per-customer"].findall(f"{ns}rect")
    assert [b.find(f"{ns}title").text for b in bars] == ["3", "1"]
    assert float(bars[0].get("width")) == 420 and float(bars[1].get("width")) == 140
    texts = "".join(charts["per-customer"].itertext())
    assert "Müller & Söhne <Maschinen…" in texts  # escaped in the page, read back as written
    stacked = charts["on-call"].findall(f"{ns}rect")
    assert len(stacked) == 4 + 3 * 4  # the legend, then day/night/weekend/holiday per engineer
    assert client.get("/report?month=Dezember").status_code == 400  # type: ignore[attr-defined]


def test_a_dispatcher_may_not_see_it(app: Flask, month: None) -> None:
    client = login(app, Role.DISPATCHER)
    assert client.get("/report?month=2026-12").status_code == 403  # type: ignore[attr-defined]

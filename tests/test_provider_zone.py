"""The provider's zone from its setting, everywhere: one time in, one instant, whichever way.

A provider in New York (five or six hours from Berlin, and other days for the clock changes)
makes every place that used to assume Berlin visible: `--at`, the simulator, ticket times,
the voicemail SMS, the outbox, e-mail dates, the readiness check, calendar feeds, imports,
suggested slots and the worker's daily jobs. Vienna shares Berlin's clock, so there it only
has to work.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from builders import MOBILES, small_provider
from email_reader import strict
from flask import Flask
from icalendar import Calendar
from smtp_server import Inbox, running_smtp
from sqlalchemy import select

from hotline import appointments, db, notify, scheduler
from hotline.directory import import_directory
from hotline.models import Appointment, Message, Provider, Team

NEW_YORK = ZoneInfo("America/New_York")
SPRING_GAP = "2026-03-29T02:30"  # Berlin: the clocks jump from 02:00 to 03:00 (01:00 UTC)


def run(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def new_york(app: Flask, session: Any) -> dict[str, Any]:
    rows = small_provider(session)
    provider = Provider.one(session)
    assert provider is not None
    provider.timezone = NEW_YORK.key
    session.commit()
    return rows


@pytest.fixture
def inbox(app: Flask) -> Iterator[Inbox]:
    with running_smtp() as inbox:
        app.config.update(HOTLINE_SMTP_HOST=inbox.host, HOTLINE_SMTP_PORT=inbox.port)
        yield inbox


# --- one instant for the spring gap, whichever way it comes in -------------------------------


def test_the_spring_gap_is_one_instant_from_yaml_csv_icalendar_and_at(
    app: Flask, session: Any
) -> None:
    """2026-03-29 02:30 Berlin does not exist. It was 01:00 UTC through the directory and the
    rota, 01:30 UTC through the CSV and iCalendar imports and the simulator: the same
    appointment half an hour apart by where it came from. Now it is 03:00 CEST everywhere."""
    jump = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    directory = {
        "provider": {"name": "X", "fallback_number": "+49 171 5550000"},
        "teams": [{"key": "blau", "name": "Blau"}],
        "engineers": [{"key": "jonas", "name": "Jonas", "team": "blau"}],
        "customers": [{"number": "10042", "name": "Müller", "team": "blau"}],
        "appointments": [
            {"key": "yaml", "engineer": "jonas", "start": SPRING_GAP, "end": "2026-03-29T05:00"}
        ],
    }
    import_directory(session, directory)
    csv = f"key;engineer;start;end\ncsv;jonas;{SPRING_GAP};2026-03-29T05:00\n"
    assert appointments.import_csv(session, csv).created == 1
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
        "BEGIN:VEVENT\r\nUID:floating\r\nSUMMARY:10042\r\n"
        "DTSTART:20260329T023000\r\nDTEND:20260329T050000\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:tzid\r\nSUMMARY:10042\r\n"
        "DTSTART;TZID=Europe/Berlin:20260329T023000\r\n"
        "DTEND;TZID=Europe/Berlin:20260329T050000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    assert appointments.import_ics(session, "jonas", ics.encode()).created == 2
    session.commit()
    starts = {a.key: a.starts_at for a in session.scalars(select(Appointment))}
    assert starts == {"yaml": jump, "csv": jump, "ics:floating": jump, "ics:tzid": jump}

    assert "On call at 2026-03-29 03:00 (Europe/Berlin)" in run(app, "oncall", "--at", SPRING_GAP)
    ticket = json.loads(run(app, "simulate-call", "--live", "--at", SPRING_GAP, "--json"))
    assert ticket["arrived_at"] == "2026-03-29T03:00:00+02:00"
    listed = json.loads(run(app, "appointments", "--at", SPRING_GAP, "--json"))
    assert {a["start"] for a in listed} == {"2026-03-29T03:00:00+02:00"}


# --- a provider in New York ------------------------------------------------------------------


def test_at_the_simulator_tickets_and_the_voicemail_sms_use_new_york_time(
    app: Flask, new_york: dict[str, Any], session: Any
) -> None:
    out = run(app, "oncall", "--at", "2026-12-24T03:00")
    assert "On call at 2026-12-24 03:00 (America/New_York):" in out
    ticket = json.loads(
        run(
            app,
            "simulate-call",
            "--live",
            "--at",
            "2026-12-24T03:00",
            "--from",
            "030 1234567",
            "--others",
            "no-answer",
            "--message",
            "20",
            "--json",
        )  # fmt: skip
    )
    assert ticket["arrived_at"] == "2026-12-24T03:00:00-05:00"
    assert all(e["at"].endswith("-05:00") for e in ticket["timeline"])
    bodies = session.scalars(select(Message.body).where(Message.channel == "sms")).all()
    voicemail = [b for b in bodies if b.startswith("Notfall-Voicemail")]
    assert voicemail and all("24.12. 03:00" in b for b in voicemail), bodies


def test_the_outbox_and_email_dates_use_new_york_time(
    app: Flask, new_york: dict[str, Any], session: Any, clock: Any, inbox: Inbox
) -> None:
    notify.enqueue_email(session, "it@mueller.example", "Status", "text", key="status")
    session.commit()
    assert "2026-11-30 21:00" in run(app, "outbox")  # the clock: 02:00 UTC on 1 December
    assert notify.deliver_due(session, clock.at) == 1
    (mail,) = (strict(raw) for raw in inbox.raw)
    assert mail["Date"] == "Mon, 30 Nov 2026 21:00:00 -0500"
    assert mail["Date"].datetime == clock.at


def test_the_readiness_check_shows_gaps_in_new_york_time(
    app: Flask, new_york: dict[str, Any], clock: Any
) -> None:
    clock.advance(days=-60)  # 2 October 02:00 UTC, before the rotations start on 2 November
    out = run(app, "check")
    assert "nobody reachable on call for team blau, Thu 01.10. 22:00 to Thu 08.10. 22:00" in out


def test_calendar_feeds_name_the_providers_zone(app: Flask, new_york: dict[str, Any]) -> None:
    team = new_york["teams"]["blau"]
    response = app.test_client().get(f"/calendar/team/{team.calendar_token}.ics")
    assert response.status_code == 200
    cal = Calendar.from_ical(response.data)
    assert str(cal["X-WR-TIMEZONE"]) == "America/New_York"
    starts = {e.decoded("DTSTART") for e in cal.walk("VEVENT")}
    assert datetime(2026, 11, 30, 13, 0, tzinfo=UTC) in starts  # Monday 08:00 in New York


def test_imports_and_suggested_slots_use_new_york_time(
    app: Flask, new_york: dict[str, Any], session: Any
) -> None:
    csv = "key;engineer;customer;start;end\nnyc;jonas;10042;2026-12-01T09:00;2026-12-01T10:00\n"
    assert appointments.import_csv(session, csv).created == 1
    session.commit()
    appointment = session.scalar(select(Appointment).where(Appointment.key == "nyc"))
    assert appointment.starts_at == datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    found = appointments.suggestions(session, appointment, datetime(2026, 12, 1, 2, tzinfo=UTC))
    first = found[0].starts_at.astimezone(NEW_YORK)
    assert (first.date().isoformat(), first.strftime("%H:%M")) == ("2026-12-01", "08:00")
    listed = run(app, "appointments", "--at", "2026-12-01T08:00")
    assert "Tue 01.12.2026 09:00-10:00 jonas" in listed


def test_the_worker_builds_its_daily_jobs_in_the_providers_zone(
    app: Flask, new_york: dict[str, Any], session: Any
) -> None:
    """Read when the worker builds its jobs; a changed zone replaces the stored trigger at the
    next start (docs/operations.md: a zone change needs a worker restart)."""
    app.config.pop("SCHEDULER_JOBS", None)
    try:
        first = scheduler.build(app, BackgroundScheduler)
        month_end = first.get_job("month-end")
        assert str(month_end.trigger.timezone) == "America/New_York"
        after = datetime(2026, 10, 15, tzinfo=UTC)
        assert month_end.trigger.get_next_fire_time(None, after) == datetime(
            2026, 11, 1, 7, 0, tzinfo=UTC
        )  # 02:00 EST (the clocks went back at 02:00 that night)
        provider = Provider.one(session)
        assert provider is not None
        provider.timezone = "Europe/Vienna"
        session.commit()
        again = scheduler.build(app, BackgroundScheduler)
        assert str(again.get_job("purge-personal-data").trigger.timezone) == "Europe/Vienna"
    finally:
        with app.app_context():
            SQLAlchemyJobStore(engine=db.engine(), tablename=scheduler.JOB_TABLE).jobs_t.drop(
                db.engine(), checkfirst=True
            )


# --- a provider in Vienna ------------------------------------------------------------------


def test_a_provider_in_vienna_works(app: Flask, session: Any) -> None:
    import_directory(
        session,
        {
            "provider": {
                "name": "Wiener IT",
                "fallback_number": "+43 1 5550000",
                "timezone": "Europe/Vienna",
            },
            "teams": [{"key": "rot", "name": "Rot"}],
            "engineers": [
                {"key": "franz", "name": "Franz", "team": "rot", "mobile": MOBILES["jonas"]}
            ],
            "rotations": [{"team": "rot", "members": ["franz"], "start": "2026-11-02"}],
            "appointments": [
                {
                    "key": "a",
                    "engineer": "franz",
                    "start": "2026-10-25T02:30",
                    "end": "2026-10-25T04:00",
                }
            ],
        },  # fmt: skip
    )
    assert session.scalar(select(Team.key)) == "rot"
    appointment = session.scalar(select(Appointment))
    assert appointment.starts_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # first 02:30
    out = run(app, "oncall", "--at", "2026-12-24T03:00")
    assert "On call at 2026-12-24 03:00 (Europe/Vienna):" in out
    assert "franz" in out
    ticket = json.loads(run(app, "simulate-call", "--live", "--at", "2026-12-24T03:00", "--json"))
    assert ticket["arrived_at"] == "2026-12-24T03:00:00+01:00"


def test_a_time_beyond_what_datetime_holds_is_a_named_error_on_every_path(
    app: Flask, session: Any
) -> None:
    """0001-01-01T00:30 in Berlin is before year 1 in UTC: it used to reach the database and fail
    the whole import (or the command) with a traceback."""
    small_provider(session)
    csv = "key;engineer;start;end\nold;jonas;0001-01-01T00:30;2026-12-01T10:00\n"
    assert appointments.import_csv(session, csv).skipped == ["line 2: date value out of range"]
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:old\r\n"
        "SUMMARY:10042\r\nDTSTART:00010101T003000\r\nDTEND:20261201T100000\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    result = appointments.import_ics(session, "jonas", ics.encode())
    assert result.skipped == ["old: date value out of range"]
    session.commit()
    for command in (["oncall"], ["appointments"], ["simulate-call", "--live"]):
        result = app.test_cli_runner().invoke(args=[*command, "--at", "0001-01-01T00:30"])
        assert result.exit_code == 2, result.output  # a usage error, no traceback
        assert "0001-01-01T00:30" in result.output

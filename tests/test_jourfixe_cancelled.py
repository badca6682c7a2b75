"""A JourFixe that does not take place: cancelled by the project lead (the JourFixe page, `flask
jourfixe --cancel`) or on a public holiday of the customer's team. It is no occurrence of the
rhythm: no status e-mail goes out for it, and the next one reports everything since the last
JourFixe that took place."""

from __future__ import annotations

import html
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from office import client_as, post, seed
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_appointments import World, at
from test_status_email import work, world  # noqa: F401 - the fixture

from escalation.jourfixe import Rhythm, period
from escalation.wallclock import instant
from hotline import db, jourfixe, reports
from hotline.models import CancelledJourFixe, Customer

BERLIN = ZoneInfo("Europe/Berlin")
TUESDAYS = Rhythm(weekday=1, at=time(10, 0), start=date(2026, 3, 16), every_weeks=2)


def berlin(text: str) -> datetime:
    return instant(datetime.fromisoformat(text), BERLIN)


def test_a_day_off_is_no_occurrence() -> None:
    off = Rhythm(1, time(10), date(2026, 3, 16), 2, 120, frozenset({date(2026, 3, 31)}))
    assert off.latest(berlin("2026-04-01T12:00"), BERLIN) == berlin("2026-03-17T10:00")
    assert off.following(berlin("2026-03-17T10:00"), BERLIN) == berlin("2026-04-14T10:00")
    assert off.previous(berlin("2026-04-14T10:00"), BERLIN) == berlin("2026-03-17T10:00")
    assert list(off.between(berlin("2026-03-01T00:00"), berlin("2026-04-30T00:00"), BERLIN)) == [
        berlin("2026-03-17T10:00"), berlin("2026-04-14T10:00"), berlin("2026-04-28T10:00")
    ]  # fmt: skip
    assert off.due(berlin("2026-03-31T12:05"), BERLIN) is None  # no e-mail for it
    # the e-mail after 14 April reports the days after the last JourFixe that took place
    assert period(off, berlin("2026-04-14T10:00"), berlin("2026-04-14T12:05"), BERLIN).since == (
        date(2026, 3, 18)
    )
    assert off.days(berlin("2026-03-17T10:00"), 3, BERLIN) == [
        date(2026, 3, 17), date(2026, 3, 31), date(2026, 4, 14)
    ]  # what may be cancelled or taken back: every day of the rhythm  # fmt: skip


def test_only_a_coming_day_of_the_rhythm_not_yet_reported_can_be_cancelled() -> None:
    assert TUESDAYS.begins(date(2026, 3, 31), BERLIN) == berlin("2026-03-31T10:00")
    assert TUESDAYS.begins(date(2026, 3, 24), BERLIN) is None  # not a JourFixe week
    assert TUESDAYS.begins(date(2026, 3, 10), BERLIN) is None  # before the first
    now = berlin("2026-03-31T11:00")
    assert TUESDAYS.refuses_cancel(date(2026, 3, 31), now, BERLIN, False) is None  # still on
    assert TUESDAYS.refuses_cancel(date(2026, 3, 24), now, BERLIN, False) == "no day"
    assert TUESDAYS.refuses_cancel(date(2026, 3, 17), now, BERLIN, False) == "over"
    assert TUESDAYS.refuses_cancel(date(2026, 4, 14), now, BERLIN, True) == "reported"


DAYS = st.sets(st.integers(0, 60), max_size=40)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(off=DAYS, at=st.integers(0, 60 * 7 * 24))
def test_latest_and_following_never_land_on_a_day_off_and_skip_nothing_else(
    off: set[int], at: int
) -> None:
    weekly = Rhythm(0, time(9), date(2026, 1, 5), 1, 60)
    days = frozenset(weekly.day(n) for n in off)
    rhythm = Rhythm(0, time(9), date(2026, 1, 5), 1, 60, days)
    now = berlin("2026-01-05T00:00") + timedelta(hours=at)
    latest, following = rhythm.latest(now, BERLIN), rhythm.following(now, BERLIN)
    every = weekly.between(berlin("2026-01-01T00:00"), following + timedelta(days=1), BERLIN)
    held = [d for d in every if d.astimezone(BERLIN).date() not in days]
    assert following == next(d for d in held if d > now)
    assert latest == max((d for d in held if d <= now), default=None)
    assert [d.astimezone(BERLIN).date() for d in held] == [
        d.astimezone(BERLIN).date()
        for d in rhythm.between(berlin("2026-01-01T00:00"), following + timedelta(days=1), BERLIN)
    ]


def test_a_cancelled_jourfixe_sends_no_email_and_the_next_reports_since_the_last_held(
    session: Session,
    world: World,  # noqa: F811 - the fixture
) -> None:
    """Bäckerei Brot meets every Tuesday 09:00; the JourFixe of 1 December is cancelled."""
    customer, before = world.caller, at("2026-11-30 12:00")
    assert jourfixe.cancel(session, customer, date(2026, 12, 1), "anna", before) is None
    assert jourfixe.cancel(session, customer, date(2026, 12, 1), "anna", before) is None
    assert len(customer.cancelled_jourfixes) == 1  # twice is once
    work(session, world, "2026-11-27", 45, "Drucker: Toner")
    work(session, world, "2026-12-03", 30, "Backup: Prüfung")
    session.commit()
    assert reports.queue_status_emails(session, at("2026-12-01 11:05")) == 0
    assert jourfixe.target(session, customer, at("2026-12-01 11:05")) == at("2026-12-08 09:00")
    assert reports.queue_status_emails(session, at("2026-12-08 11:05")) == 1
    mail = reports.status(session, customer, at("2026-12-08 11:05"), at("2026-12-08 09:00"))
    assert "Geleistete Stunden seit dem letzten JourFixe (ab 25.11.2026): 1,25 Std." in mail.text
    # taken back, then reported: a day whose e-mail went out cannot be cancelled any more
    assert jourfixe.reinstate(customer, date(2026, 12, 1)) and not customer.cancelled_jourfixes
    refusal = jourfixe.cancel(session, customer, date(2026, 12, 8), "anna", at("2026-12-08 11:10"))
    assert refusal == "Die Status-E-Mail zum JourFixe am 08.12.2026 ist schon in der Ausgangspost."
    assert jourfixe.cancel(session, customer, date(2026, 12, 2), "anna", at("2026-11-30")) == (
        "02.12.2026 ist kein Tag des JourFixe-Rhythmus."
    )


def test_a_public_holiday_is_no_jourfixe(session: Session, world: World) -> None:  # noqa: F811
    """A Friday rhythm: Christmas Day and New Year's Day 2027 are public holidays in Berlin."""
    rhythm = world.caller.jourfixe
    assert rhythm is not None
    rhythm.weekday, rhythm.start, rhythm.minutes = 4, date(2026, 12, 18), 60
    session.commit()
    listed = jourfixe.upcoming(session, world.caller, at("2026-12-17 12:00"), count=4)
    assert [(d.day, d.holiday) for d in listed] == [
        (date(2026, 12, 18), False), (date(2026, 12, 25), True), (date(2027, 1, 1), True),
        (date(2027, 1, 8), False),
    ]  # fmt: skip
    assert reports.queue_status_emails(session, at("2026-12-25 10:05")) == 0
    assert jourfixe.target(session, world.caller, at("2026-12-19 12:00")) == at("2027-01-08 09:00")


def test_the_project_lead_cancels_on_the_jourfixe_page_and_takes_it_back(
    app: Flask, clock: Any
) -> None:
    """The demo's Müller & Söhne meets every second Tuesday at 10:00: 8 December is the next."""
    seed(app, clock())
    lead = client_as(app, "project_lead")
    page = html.unescape(lead.get("/jourfixe/10042").get_data(as_text=True))
    assert "Die nächsten JourFixe" in page and "Di 08.12.2026 10:00" in page
    done = post(lead, "/jourfixe/10042", "/jourfixe/10042/cancelled",
                {"day": "2026-12-08", "action": "cancel"}, follow_redirects=True)  # fmt: skip
    page = html.unescape(done.get_data(as_text=True))
    assert "Der JourFixe am 08.12.2026 fällt aus" in page
    assert "fällt aus <span" in page and "anna@demo.example" in page
    assert 'id="jourfixe">22.12.2026 10:00' in page  # the preview is the next one held
    with app.app_context():
        session = db.session()
        customer = session.scalar(select(Customer).where(Customer.number == "10042"))
        assert customer is not None
        assert [c.day for c in customer.cancelled_jourfixes] == [date(2026, 12, 8)]
    done = post(lead, "/jourfixe/10042", "/jourfixe/10042/cancelled",
                {"day": "2026-12-08", "action": "reinstate"}, follow_redirects=True)  # fmt: skip
    assert "Der JourFixe am 08.12.2026 findet statt." in html.unescape(done.get_data(as_text=True))
    refused = post(lead, "/jourfixe/10042", "/jourfixe/10042/cancelled",
                   {"day": "2026-12-09", "action": "cancel"}, follow_redirects=True)  # fmt: skip
    assert "09.12.2026 ist kein Tag des JourFixe-Rhythmus." in html.unescape(
        refused.get_data(as_text=True)
    )
    bad = post(lead, "/jourfixe/10042", "/jourfixe/10042/cancelled", {"day": "8.12."})
    assert bad.status_code == 400
    engineer = client_as(app, "engineer")
    assert engineer.post("/jourfixe/10042/cancelled", data={"day": "2026-12-08"}).status_code in (
        400, 403
    )  # fmt: skip
    with app.app_context():
        assert db.session().scalars(select(CancelledJourFixe)).all() == []


def test_the_command_cancels_lists_and_takes_back(app: Flask, clock: Any) -> None:
    seed(app, clock())
    runner = app.test_cli_runner()
    done = runner.invoke(args=["jourfixe", "10042", "--cancel", "2026-12-08"])
    assert done.exit_code == 0, done.output
    assert "the JourFixe of 2026-12-08 does not take place" in done.output
    assert "does not take place: 08.12.2026 (cancelled by command line)" in done.output
    assert "next status e-mail: for the JourFixe of Tue 22.12.2026 10:00" in done.output
    refused = runner.invoke(args=["jourfixe", "10042", "--cancel", "2026-11-24"])
    assert refused.exit_code == 1 and "schon vorbei" in refused.output
    assert runner.invoke(args=["jourfixe", "--cancel", "2026-12-08"]).exit_code == 2
    back = runner.invoke(args=["jourfixe", "10042", "--reinstate", "2026-12-08"])
    assert "the JourFixe of 2026-12-08 takes place" in back.output
    assert "does not take place" not in back.output.split("takes place", 1)[1]

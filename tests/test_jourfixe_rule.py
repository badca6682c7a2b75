"""The JourFixe rhythm (escalation/jourfixe.py): wall-clock time across daylight saving, the
occurrence whose e-mail is due, the period "since the last JourFixe", the top topics, the
half-year. Pure: no app, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalation.jourfixe import CATCH_UP, Half, Period, Rhythm, period, top_topics, weekday
from escalation.wallclock import instant, wall

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(text: str) -> datetime:
    return instant(datetime.fromisoformat(text), BERLIN)


# Every second Tuesday at 10:00, from 2026-03-17 on: across both changes of 2026.
TUESDAYS = Rhythm(weekday=1, at=time(10, 0), start=date(2026, 3, 16), every_weeks=2)


def test_the_first_occurrence_is_the_first_weekday_on_or_after_the_start() -> None:
    assert TUESDAYS.first == date(2026, 3, 17)
    assert Rhythm(1, time(10), date(2026, 3, 17)).first == date(2026, 3, 17)
    assert Rhythm(1, time(10), date(2026, 3, 18)).first == date(2026, 3, 24)


def test_spring_forward_week_keeps_ten_o_clock() -> None:
    """The clocks go forward on Sunday 2026-03-29: 10:00 is 09:00 UTC before, 08:00 after."""
    got = list(TUESDAYS.between(berlin("2026-03-01T00:00"), berlin("2026-04-30T00:00"), BERLIN))
    assert got == [
        datetime(2026, 3, 17, 9, 0, tzinfo=UTC),
        datetime(2026, 3, 31, 8, 0, tzinfo=UTC),
        datetime(2026, 4, 14, 8, 0, tzinfo=UTC),
        datetime(2026, 4, 28, 8, 0, tzinfo=UTC),
    ]
    assert {wall(at, BERLIN).time() for at in got} == {time(10, 0)}


def test_fall_back_week_keeps_ten_o_clock() -> None:
    """The clocks go back on Sunday 2026-10-25: the Tuesday of that week is 10:00 CET."""
    got = list(TUESDAYS.between(berlin("2026-10-12T00:00"), berlin("2026-11-11T00:00"), BERLIN))
    assert got == [
        datetime(2026, 10, 13, 8, 0, tzinfo=UTC),
        datetime(2026, 10, 27, 9, 0, tzinfo=UTC),
        datetime(2026, 11, 10, 9, 0, tzinfo=UTC),
    ]


def test_a_weekly_jourfixe_on_the_very_day_of_the_change() -> None:
    """Sundays at 02:30: on 2026-03-29 that wall-clock time does not exist (the moment the
    clocks jump, 03:00 CEST), on 2026-10-25 it exists twice (the first one)."""
    sundays = Rhythm(weekday=6, at=time(2, 30), start=date(2026, 3, 22))
    spring = list(sundays.between(berlin("2026-03-22T00:00"), berlin("2026-04-06T00:00"), BERLIN))
    assert spring == [
        datetime(2026, 3, 22, 1, 30, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 0, tzinfo=UTC),  # 03:00 CEST: the jump
        datetime(2026, 4, 5, 0, 30, tzinfo=UTC),
    ]
    autumn = sundays.occurrence(31, BERLIN)
    assert wall(autumn, BERLIN) == datetime(2026, 10, 25, 2, 30)
    assert autumn == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # CEST: the first 02:30


def test_latest_following_and_previous() -> None:
    on = berlin("2026-03-31T10:00")
    assert TUESDAYS.latest(on, BERLIN) == on  # a JourFixe that has just begun
    assert TUESDAYS.latest(on - timedelta(seconds=1), BERLIN) == berlin("2026-03-17T10:00")
    assert TUESDAYS.following(on, BERLIN) == berlin("2026-04-14T10:00")
    assert TUESDAYS.previous(on, BERLIN) == berlin("2026-03-17T10:00")
    assert TUESDAYS.previous(berlin("2026-03-17T10:00"), BERLIN) is None
    assert TUESDAYS.latest(berlin("2026-03-16T12:00"), BERLIN) is None
    assert TUESDAYS.following(berlin("2020-01-01T00:00"), BERLIN) == berlin("2026-03-17T10:00")


def test_the_email_is_due_after_the_end_and_for_a_day() -> None:
    start = berlin("2026-03-31T10:00")  # ends 12:00
    assert TUESDAYS.due(berlin("2026-03-31T11:59"), BERLIN) is None  # on, and the last too old
    assert TUESDAYS.due(berlin("2026-03-31T12:00"), BERLIN) == start
    assert TUESDAYS.due(TUESDAYS.end(start) + CATCH_UP, BERLIN) == start
    assert TUESDAYS.due(TUESDAYS.end(start) + CATCH_UP + timedelta(seconds=1), BERLIN) is None


def test_the_period_since_the_last_jourfixe() -> None:
    jf = berlin("2026-03-31T10:00")
    assert period(TUESDAYS, jf, berlin("2026-03-31T12:05"), BERLIN) == Period(
        date(2026, 3, 18), date(2026, 3, 31)
    )
    first = berlin("2026-03-17T10:00")  # no JourFixe before it: the month so far
    assert period(TUESDAYS, first, berlin("2026-03-17T12:05"), BERLIN).since is None
    assert period(None, None, jf, BERLIN) == Period(None, date(2026, 3, 31))
    assert Period(date(2026, 3, 18), date(2026, 3, 31)).holds(date(2026, 3, 31))
    assert not Period(date(2026, 3, 18), date(2026, 3, 31)).holds(date(2026, 3, 17))


def test_top_topics_add_up_by_headline() -> None:
    entries = [
        ("Server-Migration: Daten kopiert", 150), ("server-migration: Freigaben", 180),
        ("Drucker", 45), ("VPN", 135), ("Drucker: Toner", 15), (": nur Doppelpunkt", 5),
    ]  # fmt: skip
    assert top_topics(entries, 3) == [("Server-Migration", 330), ("VPN", 135), ("Drucker", 60)]
    assert top_topics([]) == []


def test_weekday_and_half_year_words() -> None:
    assert weekday("Tue") == 1 and weekday(" sun ") == 6
    with pytest.raises(ValueError, match="Mon, Tue"):
        weekday("Dienstag")
    h2 = Half.parse("2026-h2")
    assert str(h2) == "2026-H2" and h2.months[0] == date(2026, 7, 1) and h2.end == date(2027, 1, 1)
    assert Half.of(date(2026, 6, 30)) == Half(2026, 1) and h2.before() == Half(2026, 1)
    assert Half(2026, 1).before() == Half(2025, 2)
    with pytest.raises(ValueError, match="2026-H2"):
        Half.parse("2026-H3")


def test_a_rhythm_refuses_what_cannot_be() -> None:
    for bad in ({"weekday": 7}, {"every_weeks": 0}, {"minutes": 0}):
        with pytest.raises(ValueError):
            Rhythm(**({"weekday": 1, "at": time(10), "start": date(2026, 1, 1)} | bad))
    assert TUESDAYS.said() == "alle 2 Wochen dienstags, 10:00 Uhr"
    assert Rhythm(0, time(8, 30), date(2026, 1, 1)).said("en") == "every week on Monday, 08:30"


# --- properties over any rhythm in any zone -------------------------------------------------

ZONES = st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"])
RHYTHMS = st.builds(
    Rhythm,
    weekday=st.integers(0, 6),
    at=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    start=st.dates(date(2020, 1, 1), date(2030, 12, 31)),
    every_weeks=st.integers(1, 6),
    minutes=st.integers(1, 600),
)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(rhythm=RHYTHMS, zone=ZONES, since=st.datetimes(datetime(2020, 1, 1), datetime(2031, 1, 1)),
       days=st.integers(1, 400))  # fmt: skip
def test_occurrences_keep_their_weekday_and_wall_clock_time(
    rhythm: Rhythm, zone: str, since: datetime, days: int
) -> None:
    tz = ZoneInfo(zone)
    start = instant(since, tz)
    found = list(rhythm.between(start, start + timedelta(days=days), tz))
    local = [wall(at, tz) for at in found]
    assert all(start <= at < start + timedelta(days=days) for at in found)
    assert found == sorted(found)
    assert len({d.date() for d in local}) == len(local)  # never two in a day
    for at, d in zip(found, local, strict=True):
        assert d.weekday() == rhythm.weekday  # always on the weekday
        assert (d.date() - rhythm.first).days % (7 * rhythm.every_weeks) == 0  # in its weeks
        exists = instant(datetime.combine(d.date(), rhythm.at), tz) == at
        if wall(instant(datetime.combine(d.date(), rhythm.at), tz), tz).time() == rhythm.at:
            assert d.time() == rhythm.at and exists  # the wall-clock time, across DST
        else:  # the time falls into a spring gap: the moment the clocks jump, just after it
            assert d.time() > rhythm.at and d - datetime.combine(d.date(), rhythm.at) <= (
                timedelta(hours=1)
            )
    # none left out: the day after each one, the next lies exactly one period later
    for a, b in zip(local, local[1:], strict=False):
        assert (b.date() - a.date()).days == 7 * rhythm.every_weeks


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(rhythm=RHYTHMS, zone=ZONES, at=st.datetimes(datetime(2020, 1, 1), datetime(2031, 1, 1)))
def test_latest_and_following_bracket_any_instant(rhythm: Rhythm, zone: str, at: datetime) -> None:
    tz = ZoneInfo(zone)
    now = instant(at, tz)
    latest, following = rhythm.latest(now, tz), rhythm.following(now, tz)
    assert following > now
    assert latest is None or latest <= now
    between = list(rhythm.between(latest or instant(datetime(2019, 1, 1), tz), following, tz))
    assert between == ([latest] if latest else [])  # nothing in between
    due = rhythm.due(now, tz)
    assert due is None or timedelta(0) <= now - rhythm.end(due) <= CATCH_UP

"""The one wall clock (escalation/wallclock.py): local time to instant and back, one DST rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from escalation import wallclock
from escalation.wallclock import WorkingHours, instant, on, parse, wall

BERLIN = ZoneInfo("Europe/Berlin")
VIENNA = ZoneInfo("Europe/Vienna")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_time_that_exists_once_is_that_instant() -> None:
    assert instant(datetime(2026, 12, 24, 3, 0), BERLIN) == utc(2026, 12, 24, 2, 0)
    assert instant(datetime(2026, 7, 1, 12, 0), BERLIN) == utc(2026, 7, 1, 10, 0)
    assert instant(datetime(2026, 12, 24, 3, 0), NEW_YORK) == utc(2026, 12, 24, 8, 0)


def test_the_spring_gap_is_the_moment_the_clocks_jump() -> None:
    jump = utc(2026, 3, 29, 1, 0)  # 02:00 CET becomes 03:00 CEST
    for minute in (0, 1, 30, 59):
        assert instant(datetime(2026, 3, 29, 2, minute), BERLIN) == jump
    assert instant(datetime(2026, 3, 29, 1, 59), BERLIN) == jump - timedelta(minutes=1)
    assert instant(datetime(2026, 3, 29, 3, 0), BERLIN) == jump
    assert parse("2026-03-29T02:30", BERLIN) == jump
    assert instant(datetime(2026, 3, 8, 2, 30), NEW_YORK) == utc(2026, 3, 8, 7, 0)


def test_the_autumn_fold_is_its_first_occurrence() -> None:
    first = utc(2026, 10, 25, 0, 30)  # 02:30 CEST; 01:30 UTC is 02:30 CET, the second
    assert instant(datetime(2026, 10, 25, 2, 30), BERLIN) == first
    assert parse("2026-10-25T02:30", BERLIN) == first
    assert parse("2026-10-25T02:30+01:00", BERLIN) == first + timedelta(hours=1)
    assert instant(datetime(2026, 11, 1, 1, 30), NEW_YORK) == utc(2026, 11, 1, 5, 30)


def test_an_offset_or_a_zone_wins_over_the_providers_zone() -> None:
    assert parse("2026-03-29T02:30+01:00", BERLIN) == utc(2026, 3, 29, 1, 30)
    assert parse("2026-03-29T02:30Z", NEW_YORK) == utc(2026, 3, 29, 2, 30)
    fixed = datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=1)))
    assert instant(fixed, NEW_YORK) == utc(2026, 3, 29, 1, 30)
    # an iCalendar TZID: wall-clock time of that zone, by the same rule
    assert instant(datetime(2026, 3, 29, 2, 30, tzinfo=BERLIN), NEW_YORK) == utc(2026, 3, 29, 1)
    second = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN)
    assert instant(second, NEW_YORK) == utc(2026, 10, 25, 1, 30)


def test_every_instant_reads_back_as_its_wall_clock_time() -> None:
    at = utc(2026, 1, 1)
    while at < utc(2027, 1, 1):
        local = wall(at, VIENNA)
        back = instant(local, VIENNA)
        assert wall(back, VIENNA) == local
        assert back == at or (back == at - timedelta(hours=1))  # the fold's second pass
        at += timedelta(minutes=20)


def test_a_later_wall_clock_time_is_never_an_earlier_instant() -> None:
    local, previous = datetime(2026, 3, 29, 0, 0), None
    while local < datetime(2026, 3, 29, 5, 0):
        now = instant(local, BERLIN)
        assert previous is None or previous <= now
        previous, local = now, local + timedelta(minutes=1)


def test_parse_refuses_what_is_no_date_and_time() -> None:
    for bad in ("morgen", "2026-13-01T10:00", "", "24.12.2026 03:00"):
        with pytest.raises(ValueError):
            parse(bad, BERLIN)
    assert parse(" 2026-12-24T03:00 ", BERLIN) == utc(2026, 12, 24, 2)


def test_the_default_zone_is_the_settings_default() -> None:
    assert wallclock.zone(None) == wallclock.zone("") == BERLIN
    assert wallclock.zone("Europe/Vienna") == VIENNA


def test_on_a_day_and_24_00() -> None:
    assert on(date(2026, 3, 29), time(2, 30), BERLIN) == utc(2026, 3, 29, 1)
    assert on(date(2026, 3, 28), time.max, BERLIN) == utc(2026, 3, 28, 23)  # next 00:00 CET


def test_working_hours_hold_on_their_days_until_their_end() -> None:
    hours = WorkingHours(time(8), time.max, frozenset({0, 5}))  # Mon and Sat, 08:00-24:00
    assert hours.holds(datetime(2026, 12, 7, 8, 0))
    assert hours.holds(datetime(2026, 12, 7, 23, 59, 59, 999999))
    assert not hours.holds(datetime(2026, 12, 7, 7, 59))
    assert not hours.holds(datetime(2026, 12, 8, 12, 0))  # a Tuesday
    assert hours.span(date(2026, 12, 7), NEW_YORK) == (utc(2026, 12, 7, 13), utc(2026, 12, 8, 5))

"""Suggested slots: never overlapping, always inside working hours, never on a holiday, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from escalation.slots import WorkingHours, free_slots

BERLIN = ZoneInfo("Europe/Berlin")
HOURS = WorkingHours(start=time(8), end=time(17))
BERLIN_HOLIDAYS = holidays.country_holidays("DE", subdiv="BE")


def slots(busy, duration, after, hours=HOURS, days_off=BERLIN_HOLIDAYS, n=5, **kw):  # type: ignore[no-untyped-def]
    return list(islice(free_slots(busy, duration, after, BERLIN, hours, days_off, **kw), n))


START = datetime(2026, 3, 20, tzinfo=UTC)  # a week before the spring DST change
instants = st.integers(min_value=0, max_value=60 * 24 * 60).map(
    lambda minutes: START + timedelta(minutes=minutes)
)
intervals = st.tuples(instants, st.integers(min_value=15, max_value=600)).map(
    lambda pair: (pair[0], pair[0] + timedelta(minutes=pair[1]))
)


@settings(max_examples=200, deadline=None)
@given(
    busy=st.lists(intervals, max_size=25),
    minutes=st.integers(min_value=15, max_value=8 * 60),
    after=instants,
    start_hour=st.integers(min_value=6, max_value=10),
    length=st.integers(min_value=6, max_value=10),
    days=st.sets(st.integers(min_value=0, max_value=6), min_size=1),
)
def test_a_suggested_slot_never_overlaps_and_stays_inside_working_hours(
    busy: list[tuple[datetime, datetime]],
    minutes: int,
    after: datetime,
    start_hour: int,
    length: int,
    days: set[int],
) -> None:
    hours = WorkingHours(time(start_hour), time(start_hour + length), frozenset(days))
    duration = timedelta(minutes=minutes)
    found = slots(busy, duration, after, hours=hours, n=10)
    for start, end in found:
        assert end - start == duration
        assert start >= after
        assert all(not (start < b_end and b_start < end) for b_start, b_end in busy)
        local_start, local_end = start.astimezone(BERLIN), end.astimezone(BERLIN)
        assert local_start.date() == local_end.date()
        assert local_start.weekday() in days
        assert local_start.date() not in BERLIN_HOLIDAYS
        assert hours.start <= local_start.time() and local_end.time() <= hours.end
        assert local_start.minute % 15 == 0
    assert found == sorted(found)


def test_the_earliest_slot_of_each_gap() -> None:
    monday = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
    busy = [
        (monday, monday + timedelta(hours=2)),
        (monday + timedelta(hours=3), monday + timedelta(hours=8)),
    ]
    found = slots(busy, timedelta(hours=1), monday - timedelta(hours=1), n=3)
    assert [s.astimezone(BERLIN).strftime("%a %H:%M") for s, _ in found] == [
        "Mon 10:00",  # the hour between the two appointments
        "Mon 16:00",  # after the second
        "Tue 08:00",
    ]


def test_starts_after_now_on_the_next_step() -> None:
    now = datetime(2026, 12, 1, 9, 7, tzinfo=UTC)  # 10:07 in Berlin
    ((start, _),) = slots([], timedelta(hours=1), now, n=1)
    assert start.astimezone(BERLIN).strftime("%H:%M") == "10:15"


def test_never_on_a_public_holiday_nor_a_weekend() -> None:
    # Thursday 24.12.2026 after hours; 25./26. are holidays, 27. a Sunday: next is Monday 28.
    evening = datetime(2026, 12, 24, 17, 0, tzinfo=UTC)
    ((start, _),) = slots([], timedelta(hours=1), evening, n=1)
    assert start.astimezone(BERLIN) == datetime(2026, 12, 28, 8, 0, tzinfo=BERLIN)


def test_regional_holidays_differ_by_state() -> None:
    # 31.10.2026 Reformation Day is a Saturday; use 6.1.2027 Epiphany, a Wednesday in Bavaria.
    evening = datetime(2027, 1, 5, 17, 0, tzinfo=UTC)
    bavaria = holidays.country_holidays("DE", subdiv="BY")
    ((by_start, _),) = slots([], timedelta(hours=1), evening, days_off=bavaria, n=1)
    ((be_start, _),) = slots([], timedelta(hours=1), evening, n=1)
    assert by_start.astimezone(BERLIN).date() == date(2027, 1, 7)
    assert be_start.astimezone(BERLIN).date() == date(2027, 1, 6)


def test_working_hours_stay_wall_clock_across_the_dst_changes() -> None:
    # Friday before the spring change (29.3.2026) and the Monday after: 08:00 local both times.
    friday = datetime(2026, 3, 27, 16, 0, tzinfo=UTC)  # 17:00 CET, after hours
    ((start, end),) = slots([], timedelta(hours=9), friday, n=1)
    assert start == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)  # 08:00 CEST
    assert end.astimezone(BERLIN).time() == time(17)
    autumn = datetime(2026, 10, 23, 16, 0, tzinfo=UTC)  # 18:00 CEST on the Friday before
    ((start, _),) = slots([], timedelta(hours=1), autumn, n=1)
    assert start == datetime(2026, 10, 26, 7, 0, tzinfo=UTC)  # 08:00 CET


def test_a_wall_time_skipped_by_dst_is_the_moment_the_clocks_jump() -> None:
    """The one rule of escalation/wallclock.py: 02:30 on the spring night is 03:00 CEST, as in
    the rota and every import (it was 03:30 here, half an hour after the rota's)."""
    night_shift = WorkingHours(time(2, 30), time(17), frozenset(range(7)))
    midnight = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # 00:00 CET on Sunday 29 March
    ((start, _),) = slots([], timedelta(hours=1), midnight, hours=night_shift, n=1)
    assert start == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert start.astimezone(BERLIN).time() == time(3, 0)


def test_working_hours_from_settings() -> None:
    hours = WorkingHours.from_settings({"start": "07:30", "days": [0, 2]})
    assert hours == WorkingHours(time(7, 30), time(17), frozenset({0, 2}))
    assert WorkingHours.from_settings(None) == WorkingHours()

"""Free slots for rescheduling: inside working hours, never on a holiday, never overlapping.

Working hours are wall-clock times in the provider's zone (escalation/wallclock.py), so a slot at
09:00 stays at 09:00 across a daylight-saving change; busy intervals and slots are aware datetimes.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from escalation.wallclock import WorkingHours

__all__ = ["Interval", "WorkingHours", "free_slots", "overlaps"]

Interval = tuple[datetime, datetime]


def overlaps(a: Interval, b: Interval) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _ceil(at: datetime, step: timedelta, origin: datetime) -> datetime:
    """`at` rounded up to the next multiple of `step` after `origin`."""
    steps = -((origin - at) // step)
    return origin + steps * step


def free_slots(
    busy: Sequence[Interval],
    duration: timedelta,
    after: datetime,
    zone: ZoneInfo,
    hours: WorkingHours,
    holidays: Container[date],
    *,
    step: timedelta = timedelta(minutes=15),
    days: int = 30,
) -> Iterator[Interval]:
    """The earliest slot in each free gap, in time order, from `after` for `days` days.

    A slot lies within one working day, starts on a `step` boundary of that day and overlaps
    no busy interval.
    """
    first = after.astimezone(zone).date()
    for offset in range(days):
        day = first + timedelta(days=offset)
        if day.weekday() not in hours.days or day in holidays:
            continue
        opens, closes = hours.span(day, zone)
        today = sorted(b for b in busy if overlaps(b, (opens, closes)))
        starts = {_ceil(max(c, after), step, opens) for c in [opens, *(e for _, e in today)]}
        for start in sorted(starts):
            slot = (start, start + duration)
            if slot[1] <= closes and not any(overlaps(slot, b) for b in today):
                yield slot

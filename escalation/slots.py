"""Free slots for rescheduling: inside working hours, never on a holiday, never overlapping.

Working hours are wall-clock times in the provider's zone, so a slot at 09:00 stays at 09:00
across a daylight-saving change; busy intervals and slots are aware datetimes.
"""

from __future__ import annotations

from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class WorkingHours:
    """When appointments may be planned: weekdays (0 = Monday) between two wall-clock times."""

    start: time = time(8, 0)
    end: time = time(17, 0)
    days: frozenset[int] = field(default_factory=lambda: frozenset(range(5)))

    @classmethod
    def from_settings(cls, value: dict[str, object] | None) -> WorkingHours:
        """From `{"start": "08:00", "end": "17:00", "days": [0, 1, 2, 3, 4]}`; gaps: defaults."""
        value = value or {}
        default, days = cls(), value.get("days")
        return cls(
            start=time.fromisoformat(str(value["start"])) if "start" in value else default.start,
            end=time.fromisoformat(str(value["end"])) if "end" in value else default.end,
            days=frozenset(int(d) for d in days) if isinstance(days, list) else default.days,
        )


def wall(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant of a wall-clock time; a time skipped by DST moves forward with the clock."""
    naive = datetime.combine(day, at)
    return naive.replace(tzinfo=zone).astimezone(ZoneInfo("UTC")).astimezone(zone)


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
        opens, closes = wall(day, hours.start, zone), wall(day, hours.end, zone)
        today = sorted(b for b in busy if overlaps(b, (opens, closes)))
        starts = {_ceil(max(c, after), step, opens) for c in [opens, *(e for _, e in today)]}
        for start in sorted(starts):
            slot = (start, start + duration)
            if slot[1] <= closes and not any(overlaps(slot, b) for b in today):
                yield slot

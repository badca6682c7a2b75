"""Wall-clock time of the provider's zone and instants: the one place one becomes the other.

Storage is UTC instants; people, files and plans speak wall-clock time of the provider's zone
(`provider.timezone`). Every path that reads a time without an offset (the directory's YAML,
the appointments' CSV and iCalendar files, every `--at` option, the simulator) and every rule
that lays out wall-clock times (rota hand-offs and restrictions, working hours) turns it into an
instant here, with one rule (docs/rota.md, "Daylight saving"):

- a wall-clock time that exists once is that instant;
- one that exists twice (the autumn fold) is its **first** occurrence;
- one that does not exist (the spring gap) is **the moment the clocks jump**, the first instant
  whose wall-clock time is later (2026-03-29 02:30 in Berlin is 03:00 CEST, 01:00 UTC).

So a later wall-clock time never maps to an earlier instant. A time with an offset is that
instant; one with a zone (an iCalendar TZID) is wall-clock time of that zone, by the same rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Europe/Berlin"  # the provider's zone unless its `timezone` setting says another
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def zone(name: str | None) -> ZoneInfo:
    """The provider's zone from its setting; unset, the default."""
    return ZoneInfo(name or DEFAULT_ZONE)


def wall(at: datetime, zone: tzinfo) -> datetime:
    """The naive wall-clock time of an instant."""
    return at.astimezone(zone).replace(tzinfo=None)


def local(at: datetime, zone: tzinfo) -> datetime:
    """An instant as an aware time of `zone` with its offset, for display."""
    return at.astimezone(zone)


def instant(value: datetime, zone: tzinfo) -> datetime:
    """The UTC instant of a time: naive is wall-clock time in `zone`, with the rule above.

    An aware time is that instant where its wall-clock time exists in its own zone (its `fold`
    choosing the occurrence), and the moment the clocks jump where it does not.
    """
    if value.tzinfo is not None:
        at = value.astimezone(UTC)
        naive = value.replace(tzinfo=None)
        return at if wall(at, value.tzinfo) == naive else _jump(naive, value.tzinfo)
    first = value.replace(tzinfo=zone, fold=0).astimezone(UTC)
    return first if wall(first, zone) == value else _jump(value, zone)


def _jump(local: datetime, zone: tzinfo) -> datetime:
    """The first instant whose wall-clock time is `local` or later, for a time in a gap."""
    low = int(local.replace(tzinfo=zone, fold=1).astimezone(UTC).timestamp())
    high = int(local.replace(tzinfo=zone, fold=0).astimezone(UTC).timestamp())
    low, high = min(low, high), max(low, high)
    while low < high:  # the jump lies between the two readings: find its second
        middle = (low + high) // 2
        if wall(datetime.fromtimestamp(middle, UTC), zone) >= local:
            high = middle
        else:
            low = middle + 1
    return datetime.fromtimestamp(high, UTC)


def parse(text: str, zone: tzinfo) -> datetime:
    """ISO 8601 text as a UTC instant: with an offset that instant, without one wall-clock time
    in `zone` (`instant`). ValueError when it is no date and time, OverflowError when its
    instant lies beyond what `datetime` holds (0001-01-01T00:30 in Berlin)."""
    return instant(datetime.fromisoformat(text.strip()), zone)


def on(day: date, at: time, zone: tzinfo) -> datetime:
    """The instant of a wall-clock time on a day; `time.max` is 24:00, the next day's 00:00."""
    if at == time.max:
        return instant(datetime.combine(day + timedelta(days=1), time()), zone)
    return instant(datetime.combine(day, at), zone)


# --- weekday windows ------------------------------------------------------------------------


def weekday(text: str) -> int:
    """'Mon' ... 'Sun' (any case) -> 0 ... 6."""
    names = [w.lower() for w in WEEKDAYS]
    if text.lower() not in names:
        raise ValueError(f"weekday {text!r}: expected one of {', '.join(WEEKDAYS)}")
    return names.index(text.lower())


def time_of_day(text: str) -> time:
    """'HH:MM' -> a time of day; '24:00' is the end of the day (`time.max`)."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not match or int(match[1]) > 24 or int(match[2]) > 59:
        raise ValueError(f"time {text!r}: expected HH:MM, e.g. 08:00")
    if int(match[1]) == 24:
        if int(match[2]):
            raise ValueError(f"time {text!r}: 24:00 is the latest time")
        return time.max
    return time(int(match[1]), int(match[2]))


@dataclass(frozen=True)
class WorkingHours:
    """Weekdays (0 = Monday) from one wall-clock time to another: the provider's working hours
    (when slots are suggested) and a rotation restriction's business hours alike.

    `end` may be `time.max`, 24:00. The directory writes the days as names in a restriction
    and as numbers in the settings; both are read into this one type.
    """

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

    def holds(self, local: datetime) -> bool:
        """Whether a wall-clock time lies inside: a listed day, from `start` to before `end`."""
        at = local.time()
        return (
            local.weekday() in self.days
            and self.start <= at
            and (at < self.end or self.end == time.max)
        )

    def span(self, day: date, zone: tzinfo) -> tuple[datetime, datetime]:
        """The instants one day's hours open and close (whether or not the day is listed)."""
        return on(day, self.start, zone), on(day, self.end, zone)

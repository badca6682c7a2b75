"""The month's figures: how fast the hotline answers and who carried the nights.

On-call time is split by when it lies in the provider's zone, each hour in exactly one kind:
a public holiday of the provider's region first, then a weekend (Saturday, Sunday), then a
night (22:00 to 06:00), else a day. The kinds are what on-call allowances are usually paid by;
a night from Friday to Saturday is a weekday night until midnight and a weekend after it.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from escalation import wallclock

NIGHT_FROM, NIGHT_UNTIL = time(22), time(6)


class Kind(StrEnum):
    DAY = "day"
    NIGHT = "night"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"


@dataclass(frozen=True)
class Hours:
    """On-call time of one engineer, by kind."""

    by_kind: dict[Kind, timedelta] = field(default_factory=dict)

    def of(self, kind: Kind) -> timedelta:
        return self.by_kind.get(kind, timedelta())

    @property
    def total(self) -> timedelta:
        return sum(self.by_kind.values(), timedelta())


def kind(at: datetime, zone: ZoneInfo, holidays: Container[date]) -> Kind:
    """The kind of the on-call time that begins at `at` (until the next cut of `cuts`)."""
    local = wallclock.local(at, zone)
    if local.date() in holidays:
        return Kind.HOLIDAY
    if local.weekday() >= 5:
        return Kind.WEEKEND
    if local.time() >= NIGHT_FROM or local.time() < NIGHT_UNTIL:
        return Kind.NIGHT
    return Kind.DAY


def cuts(start: datetime, end: datetime, zone: ZoneInfo) -> list[datetime]:
    """The instants in (start, end) where the kind may change: each local midnight, 06:00 and
    22:00 (on a day of a clock change too: wallclock.on finds the instant)."""
    first, last = wallclock.local(start, zone).date(), wallclock.local(end, zone).date()
    found: list[datetime] = []
    day = first
    while day <= last:
        for at in (time(), NIGHT_UNTIL, NIGHT_FROM):
            instant = wallclock.on(day, at, zone)
            if start < instant < end:
                found.append(instant)
        day += timedelta(days=1)
    return sorted(set(found))


def split(start: datetime, end: datetime, zone: ZoneInfo, holidays: Container[date]) -> Hours:
    """[start, end) by kind."""
    by_kind: dict[Kind, timedelta] = {}
    points = [start, *cuts(start, end, zone), end]
    for a, b in zip(points, points[1:], strict=False):
        if b > a:
            k = kind(a, zone, holidays)
            by_kind[k] = by_kind.get(k, timedelta()) + (b - a)
    return Hours(by_kind)


def merged(spans: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Overlapping spans joined: an engineer on call for two layers at once is on call once."""
    out: list[tuple[datetime, datetime]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def on_call(
    spans: Iterable[tuple[datetime, datetime]], zone: ZoneInfo, holidays: Container[date]
) -> Hours:
    total: dict[Kind, timedelta] = {}
    for a, b in merged(spans):
        for k, d in split(a, b, zone, holidays).by_kind.items():
            total[k] = total.get(k, timedelta()) + d
    return Hours(total)


def mean(durations: Sequence[timedelta]) -> timedelta | None:
    """The mean, to the second; None for none (a month without a call has no MTTA)."""
    if not durations:
        return None
    return timedelta(seconds=round(sum(d.total_seconds() for d in durations) / len(durations)))


def rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole

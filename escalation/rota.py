"""The rota: rotations, layers, restrictions, overrides and absences -> who is on call at t.

Pure rules: no database, no clock; every instant is an aware datetime given by the caller.

Daylight saving (one stated meaning, see docs/rota.md): shifts are laid out in wall-clock time
of the provider's zone, so a hand-off stays at "Mon 08:00" all year and the shift spanning a
change is an hour shorter or longer. Wall-clock times become instants by the one rule of
escalation/wallclock.py: a hand-off that does not exist (spring) happens at the moment the clocks
jump; one that exists twice (autumn) happens at its first occurrence. Every boundary is one
instant shared by the shift that ends and the shift that starts, so no change creates a gap or
an overlap.

History is fact: a rotation has versions (same key), each in force from `valid_from` until
`valid_until`, and who is on call at t is decided by the version in force at t. An edit takes
effect at the end of the shift in progress (`takes_effect`), so it never reassigns the past nor
the shift someone is on now.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from escalation import regions, wallclock
from escalation.wallclock import WEEKDAYS, WorkingHours, instant, time_of_day, wall, weekday

PROVIDER_ZONE = wallclock.zone(None)  # the default of `provider.timezone`, as a zone
LAYERS = ("primary", "secondary")
WHEN = ("business_hours", "after_hours")
UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
YEAR = timedelta(days=366)


# --- validators (the directory importer calls these) ----------------------------------------


def parse_shift(text: str) -> timedelta:
    """'12h', '1d', '1w', '2w' ... -> the shift length (wall-clock), one hour to a year.

    A year at most: longer is no rotation, and hand-offs thousands of years ahead would overflow
    `datetime` in every call."""
    match = re.fullmatch(r"\s*(\d{1,4})\s*([hdw])\s*", str(text), re.IGNORECASE)
    length = int(match[1]) * UNITS[match[2].lower()] if match else timedelta()
    if not timedelta(hours=1) <= length <= YEAR:
        raise ValueError(f"shift {text!r}: a number and h, d or w, from 1h to a year (12h, 1w)")
    return length


@dataclass(frozen=True)
class Handoff:
    """Wall-clock hand-off time; the weekday (0 = Monday) only picks the first hand-off."""

    weekday: int | None
    at: time


def parse_handoff(text: str) -> Handoff:
    """'Mon 08:00' or '08:00' -> Handoff."""
    parts = str(text).split()
    if len(parts) not in (1, 2):
        raise ValueError(f"handoff {text!r}: expected 'Mon 08:00' or '08:00'")
    at = time_of_day(parts[-1])
    if at == time.max:
        raise ValueError(f"handoff {text!r}: use 00:00 of the next day instead of 24:00")
    return Handoff(weekday(parts[0]) if len(parts) == 2 else None, at)


@dataclass(frozen=True)
class Restriction:
    """When a rotation is active: business hours or after hours.

    Business hours are the weekday window `hours` (escalation/wallclock.py), except the public
    holidays of the team's holiday region (escalation/regions.py); after hours are all the rest.
    """

    when: str = "business_hours"
    hours: WorkingHours = WorkingHours()

    def allows(self, local: datetime, holiday: bool) -> bool:
        business = not holiday and self.hours.holds(local)
        return business == (self.when == "business_hours")


def parse_restriction(obj: Any) -> Restriction | None:
    """`{"when": "after_hours", "days": ["Mon", ..., "Fri"], "hours": "08:00-17:00"}` or None.

    Only `when` is required; `days` defaults to Mon-Fri and `hours` to 08:00-17:00.
    """
    if obj is None:
        return None
    if not isinstance(obj, Mapping):
        raise ValueError(f"restriction {obj!r}: expected a mapping with 'when'")
    unknown = set(obj) - {"when", "days", "hours"}
    if unknown:
        raise ValueError(f"restriction: unknown keys {sorted(unknown)} (when, days, hours)")
    if obj.get("when") not in WHEN:
        raise ValueError(f"restriction when {obj.get('when')!r}: expected one of {WHEN}")
    days = obj.get("days", list(WEEKDAYS[:5]))
    if not isinstance(days, list) or not days:
        raise ValueError(f"restriction days {days!r}: expected a list such as ['Mon', 'Fri']")
    hours = str(obj.get("hours", "08:00-17:00"))
    start, sep, end = hours.partition("-")
    if not sep:
        raise ValueError(f"restriction hours {hours!r}: expected 'HH:MM-HH:MM'")
    weekdays = frozenset(weekday(str(d)) for d in days)
    business = WorkingHours(time_of_day(start), time_of_day(end), weekdays)
    if business.start >= business.end:
        raise ValueError(f"restriction hours {hours!r}: the start must be before the end")
    return Restriction(obj["when"], business)


# --- holidays ------------------------------------------------------------------------------


def is_holiday(day: date, region: str) -> bool:
    """A public holiday in the given holiday region: a state (BE, BY, NW ...) or a state's
    sub-region (BY-catholic, BY-Augsburg ...), escalation/regions.py."""
    return regions.is_holiday(day, region)


# --- the rota -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rotation:
    """One version of one layer of one team's rotation: members take turns, shift by shift.

    The version decides [valid_from, valid_until); None is since ever and for good. Its shifts
    are still counted from its own `start`, as its definition says.
    """

    key: str
    team: str
    layer: str
    members: tuple[str, ...]
    shift: timedelta
    handoff: Handoff
    start: date
    restriction: Restriction | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None

    def in_force(self, at: datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= at) and (
            self.valid_until is None or at < self.valid_until
        )

    @cached_property
    def anchor(self) -> datetime:
        """The wall-clock time of the first hand-off, on or after the start date."""
        first = self.start
        if self.handoff.weekday is not None:
            first += timedelta(days=(self.handoff.weekday - first.weekday()) % 7)
        return datetime.combine(first, self.handoff.at)

    def boundary(self, index: int, zone: ZoneInfo) -> datetime:
        """The instant shift `index` begins (and shift `index - 1` ends)."""
        return instant(self.anchor + index * self.shift, zone)

    def shift_index(self, at: datetime, zone: ZoneInfo) -> int | None:
        """Which shift holds `at`; None before the first hand-off."""
        if at < self.boundary(0, zone):
            return None
        index = max(0, (wall(at, zone) - self.anchor) // self.shift)
        while index > 0 and self.boundary(index, zone) > at:
            index -= 1
        while self.boundary(index + 1, zone) <= at:
            index += 1
        return index


def takes_effect(current: Rotation | None, at: datetime, zone: ZoneInfo) -> datetime:
    """When an edit made at `at` takes effect: at the end of the shift in progress of the
    version in force (so nobody's shift is cut short or handed to someone else mid-way), at
    once when no shift is in progress (no version in force, or before its first hand-off)."""
    index = current.shift_index(at, zone) if current and current.in_force(at) else None
    if current is None or index is None:
        return at
    end = current.boundary(index + 1, zone)
    return min(end, current.valid_until) if current.valid_until else end


def unlisted(starts_at: datetime, ends_at: datetime, now: datetime) -> str:
    """What becomes of an override or absence a newly imported file no longer lists. History is
    fact: one that is over is `kept`, one running is `ended` now, only a future one is `removed`."""
    if ends_at <= now:
        return "kept"
    return "ended" if starts_at < now else "removed"


@dataclass(frozen=True)
class Override:
    """`engineer` replaces `replaces` (or, without it, is added) on a team's layer."""

    team: str
    layer: str
    engineer: str
    replaces: str | None
    starts_at: datetime
    ends_at: datetime

    def covers(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at


@dataclass(frozen=True)
class Absence:
    """Vacation, sickness: the engineer is off every rota and the next member covers."""

    engineer: str
    starts_at: datetime
    ends_at: datetime
    reason: str = "absent"

    def covers(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at


@dataclass(frozen=True)
class OnCall:
    """One engineer on call for a team's layer at an instant, and why."""

    team: str
    layer: str
    engineer: str
    reason: str
    scheduled: str | None = None  # the rotation member whose shift this is


@dataclass(frozen=True)
class Shift:
    """A stretch of time one engineer is on call for a team's layer."""

    team: str
    layer: str
    engineer: str
    starts_at: datetime
    ends_at: datetime
    reason: str


def swap(
    rotation: Rotation, first: datetime, second: datetime, zone: ZoneInfo = PROVIDER_ZONE
) -> tuple[Override, Override]:
    """Two engineers swap the shifts holding `first` and `second`: two overrides."""
    shifts = []
    for at in (first, second):
        index = rotation.shift_index(at, zone) if rotation.in_force(at) else None
        if index is None:
            raise ValueError(f"{at.isoformat()}: rotation {rotation.key} has no shift then")
        member = rotation.members[index % len(rotation.members)]
        shifts.append((member, rotation.boundary(index, zone), rotation.boundary(index + 1, zone)))
    (a, a_start, a_end), (b, b_start, b_end) = shifts
    if a == b:
        raise ValueError(f"both shifts belong to {a}: nothing to swap")
    team, layer = rotation.team, rotation.layer
    return (
        Override(team, layer, b, a, a_start, a_end),
        Override(team, layer, a, b, b_start, b_end),
    )


@dataclass(frozen=True)
class Rota:
    """Everything that decides who is on call; rotations apply in the order given.

    `rotations` may hold several versions of one rotation; each decides only its own period.
    """

    rotations: tuple[Rotation, ...] = ()
    overrides: tuple[Override, ...] = ()
    absences: tuple[Absence, ...] = ()
    zone: ZoneInfo = PROVIDER_ZONE
    region: str = regions.DEFAULT  # the provider's holiday region
    team_regions: tuple[tuple[str, str], ...] = ()  # (team, region) where a team has its own

    @cached_property
    def _team_regions(self) -> dict[str, str]:
        return dict(self.team_regions)

    def region_of(self, team: str) -> str:
        """The holiday region of a team: its own, else the provider's."""
        return self._team_regions.get(team, self.region)

    @cached_property
    def _absences(self) -> dict[str, list[Absence]]:
        by_engineer: dict[str, list[Absence]] = {}
        for absence in self.absences:
            by_engineer.setdefault(absence.engineer, []).append(absence)
        return by_engineer

    def absence(self, engineer: str, at: datetime) -> Absence | None:
        """The absence that takes `engineer` out at `at`, if any."""
        return next((a for a in self._absences.get(engineer, ()) if a.covers(at)), None)

    def for_team(self, team: str) -> Rota:
        return Rota(
            tuple(r for r in self.rotations if r.team == team),
            tuple(o for o in self.overrides if o.team == team),
            self.absences,
            self.zone,
            self.region,
            self.team_regions,
        )

    def active(self, rotation: Rotation, at: datetime) -> bool:
        if rotation.restriction is None:
            return True
        local = wall(at, self.zone)
        holiday = is_holiday(local.date(), self.region_of(rotation.team))
        return rotation.restriction.allows(local, holiday)

    def on_call(self, at: datetime) -> tuple[OnCall, ...]:
        """Who is on call at `at`, per team and layer, in rotation order, each with a reason."""
        found: list[OnCall] = []
        for rotation in self.rotations:
            index = (
                rotation.shift_index(at, self.zone)
                if rotation.in_force(at) and self.active(rotation, at)
                else None
            )
            if index is None or not rotation.members:
                continue
            members = rotation.members
            scheduled = members[index % len(members)]
            for step in range(len(members)):
                engineer = members[(index + step) % len(members)]
                if not self.absence(engineer, at):
                    break
            else:
                continue  # everybody is away: a gap the report shows
            absence = self.absence(scheduled, at)
            reason = f"{rotation.layer} on call (rotation {rotation.key})"
            if absence:
                reason = f"covers for {scheduled} ({absence.reason}) in rotation {rotation.key}"
            found.append(OnCall(rotation.team, rotation.layer, engineer, reason, scheduled))
        for override in self.overrides:
            if not override.covers(at) or self.absence(override.engineer, at):
                continue
            until = wall(override.ends_at, self.zone).strftime("%Y-%m-%d %H:%M")
            if override.replaces is None:
                found.append(
                    OnCall(
                        override.team,
                        override.layer,
                        override.engineer,
                        f"{override.layer} on call by override until {until}",
                    )
                )
                continue
            for i, entry in enumerate(found):
                if (entry.team, entry.layer) == (override.team, override.layer) and (
                    override.replaces in (entry.engineer, entry.scheduled)
                ):
                    reason = f"replaces {override.replaces} by override until {until}"
                    found[i] = OnCall(entry.team, entry.layer, override.engineer, reason)
        unique: dict[tuple[str, str, str], OnCall] = {}
        for entry in found:
            unique.setdefault((entry.team, entry.layer, entry.engineer), entry)
        return tuple(unique.values())

    def changes(self, start: datetime, end: datetime) -> list[datetime]:
        """Every instant in [start, end) at which the answer of `on_call` may change."""
        points = {start}
        for rotation in self.rotations:
            since = max(start, rotation.valid_from or start)
            until = min(end, rotation.valid_until or end)
            if since >= until:
                continue
            points.update((since, until))
            index = rotation.shift_index(since, self.zone)
            index = 0 if index is None else index
            while (boundary := rotation.boundary(index, self.zone)) < until:
                points.add(boundary)
                index += 1
            if rotation.restriction:
                hours = rotation.restriction.hours
                day = wall(since, self.zone).date() - timedelta(days=1)
                while day <= wall(until, self.zone).date():
                    points.add(wallclock.on(day, time(), self.zone))
                    points.update(hours.span(day, self.zone))
                    day += timedelta(days=1)
        for override in self.overrides:
            points.update((override.starts_at, override.ends_at))
        for absence in self.absences:
            points.update((absence.starts_at, absence.ends_at))
        return sorted(p for p in points if start <= p < end)

    def shifts(self, start: datetime, end: datetime) -> list[Shift]:
        """The on-call stretches in [start, end), merged where nothing changes."""
        open_: dict[tuple[str, str, str], Shift] = {}
        done: list[Shift] = []
        for at in [*self.changes(start, end), end]:
            now = {} if at == end else {(o.team, o.layer, o.engineer): o for o in self.on_call(at)}
            for key, shift in list(open_.items()):
                if key not in now:
                    done.append(
                        Shift(
                            shift.team,
                            shift.layer,
                            shift.engineer,
                            shift.starts_at,
                            at,
                            shift.reason,
                        )
                    )
                    del open_[key]
            for key, entry in now.items():
                if key not in open_:
                    open_[key] = Shift(
                        entry.team, entry.layer, entry.engineer, at, end, entry.reason
                    )
        return sorted(done, key=lambda s: (s.starts_at, s.team, LAYERS.index(s.layer), s.engineer))

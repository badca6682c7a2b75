"""The JourFixe: a customer's fixed appointment in a weekly rhythm (the seed: support requests
are collected until it), and what its status e-mail reports.

A rhythm is wall-clock time of the provider's zone ("every second Tuesday, 10:00"): each
occurrence is that time on its day, whatever the offset that day, so a JourFixe stays at 10:00
across the change to and from summer time (a time in the spring gap is the moment the clocks
jump, escalation/wallclock.py). Occurrences are computed, never stored; a day the JourFixe does
not take place (cancelled by the project lead, a public holiday) is no occurrence, so it sends no
status e-mail and the next e-mail reports everything since the last one that took place.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from escalation.wallclock import WEEKDAYS, on, wall

# How long after its end a JourFixe's e-mail may still go out by itself: the worker catches up
# a day it was down, but a rhythm imported today does not mail last month's meetings.
CATCH_UP = timedelta(days=1)
TOP = 5  # topics a status e-mail names
SKIPS = 520  # days off in a row a rhythm looks past (ten years of a weekly JourFixe)


@dataclass(frozen=True)
class Rhythm:
    """Every `every_weeks` weeks on `weekday` (0 = Monday) at `at`, for `minutes`; the first
    occurrence is the first such weekday on or after `start`. A rhythm's day in `off` (cancelled,
    a public holiday) is no occurrence."""

    weekday: int
    at: time
    start: date
    every_weeks: int = 1
    minutes: int = 120
    off: Container[date] = frozenset()

    def __post_init__(self) -> None:
        if self.weekday not in range(7):
            raise ValueError(f"weekday {self.weekday}: expected 0 (Monday) to 6")
        if self.every_weeks < 1:
            raise ValueError(f"every {self.every_weeks} weeks: expected 1 or more")
        if not 0 < self.minutes <= 24 * 60:
            raise ValueError(f"{self.minutes} minutes: expected 1 to 1440")

    @property
    def first(self) -> date:
        """The day of the first occurrence."""
        return self.start + timedelta(days=(self.weekday - self.start.weekday()) % 7)

    @property
    def step(self) -> int:
        return 7 * self.every_weeks

    def day(self, n: int) -> date:
        return self.first + timedelta(days=n * self.step)

    def occurrence(self, n: int, zone: tzinfo) -> datetime:
        """The instant the `n`-th day of the rhythm (from 0) begins, whether it takes place."""
        return on(self.day(n), self.at, zone)

    def begins(self, day: date, zone: tzinfo) -> datetime | None:
        """When the rhythm's meeting of `day` begins, off or not (None: no day of the rhythm)."""
        n, rest = divmod((day - self.first).days, self.step)
        return self.occurrence(n, zone) if n >= 0 and rest == 0 else None

    def refuses_cancel(self, day: date, now: datetime, zone: tzinfo, reported: bool) -> str | None:
        """Why the JourFixe of `day` cannot be cancelled (None: it can): `no day` of the
        rhythm, `over` (it has ended), `reported` (its status e-mail is queued: `reported`)."""
        start = self.begins(day, zone)
        if start is None:
            return "no day"
        if reported:
            return "reported"
        return "over" if self.end(start) <= now else None

    def index(self, at: datetime, zone: tzinfo) -> int:
        """The number of the last day of the rhythm beginning at or before `at` (-1: none yet),
        off or not."""
        n = (wall(at, zone).date() - self.first).days // self.step
        while n >= 0 and self.occurrence(n, zone) > at:
            n -= 1
        return max(n, -1)

    def _held(self, n: int, direction: int) -> int:
        """The first day of the rhythm from the `n`-th on, going `direction` (1 or -1), that
        is not off (-1: none before)."""
        for _ in range(SKIPS):
            if n < 0 or self.day(n) not in self.off:
                return max(n, -1)
            n += direction
        raise ValueError(f"more than {SKIPS} JourFixe days off in a row from {self.day(n)}")

    def latest(self, at: datetime, zone: tzinfo) -> datetime | None:
        """The last occurrence that began at or before `at`."""
        n = self._held(self.index(at, zone), -1)
        return self.occurrence(n, zone) if n >= 0 else None

    def following(self, at: datetime, zone: tzinfo) -> datetime:
        """The first occurrence that begins after `at`."""
        return self.occurrence(self._held(self.index(at, zone) + 1, 1), zone)

    def previous(self, start: datetime, zone: tzinfo) -> datetime | None:
        """The occurrence before the one beginning at `start`."""
        n = self._held(self.index(start, zone) - 1, -1)
        return self.occurrence(n, zone) if n >= 0 else None

    def between(self, since: datetime, until: datetime, zone: tzinfo) -> Iterator[datetime]:
        """Every occurrence beginning in [since, until), in order."""
        n = max(self.index(since, zone), 0)
        while (at := self.occurrence(n, zone)) < until:
            if at >= since and self.day(n) not in self.off:
                yield at
            n += 1

    def days(self, since: datetime, count: int, zone: tzinfo) -> list[date]:
        """The next `count` days of the rhythm from `since` on, off or not (what a project lead
        may cancel or take back)."""
        n = self.index(since, zone)
        if n < 0 or self.occurrence(n, zone) < since:
            n += 1
        return [self.day(n + i) for i in range(count)]

    def end(self, start: datetime) -> datetime:
        return start + timedelta(minutes=self.minutes)

    def due(self, now: datetime, zone: tzinfo) -> datetime | None:
        """The occurrence whose status e-mail is due at `now`: the last one that has ended,
        if it ended no longer than `CATCH_UP` ago."""
        start = self.latest(now - timedelta(minutes=self.minutes), zone)
        if start is None or now - self.end(start) > CATCH_UP:
            return None
        return start

    def said(self, language: str = "de") -> str:
        """'alle 2 Wochen dienstags, 10:00' / 'every 2 weeks on Tuesday, 10:00'."""
        clock = f"{self.at:%H:%M}"
        if language == "en":
            name = ENGLISH_DAYS[self.weekday]
            every = "every week" if self.every_weeks == 1 else f"every {self.every_weeks} weeks"
            return f"{every} on {name}, {clock}"
        name = GERMAN_DAYS[self.weekday]
        every = "wöchentlich" if self.every_weeks == 1 else f"alle {self.every_weeks} Wochen"
        return f"{every} {name}, {clock} Uhr"


GERMAN_DAYS = ("montags", "dienstags", "mittwochs", "donnerstags", "freitags", "samstags",
               "sonntags")  # fmt: skip
ENGLISH_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def weekday(text: str) -> int:
    """'Tue' -> 1 (the directory's word for a day, as the rota writes it)."""
    names = [w.lower() for w in WEEKDAYS]
    if not isinstance(text, str) or text.strip().lower() not in names:
        raise ValueError(f"expected one of {', '.join(WEEKDAYS)}")
    return names.index(text.strip().lower())


@dataclass(frozen=True)
class Period:
    """The days a status e-mail reports as "since the last JourFixe": from the day after the
    previous one (`since`, None: the whole month so far) through `until`."""

    since: date | None
    until: date

    def holds(self, day: date) -> bool:
        return (self.since is None or day >= self.since) and day <= self.until


def period(rhythm: Rhythm | None, start: datetime | None, now: datetime, zone: tzinfo) -> Period:
    """The period of the e-mail for the JourFixe beginning at `start`, as of `now`: time
    entries carry a day, not a time, so the JourFixe's own day belongs to its own e-mail."""
    today = wall(now, zone).date()
    if rhythm is None or start is None:
        return Period(None, today)
    before = rhythm.previous(start, zone)
    return Period(wall(before, zone).date() + timedelta(days=1) if before else None, today)


def headline(topic: str) -> str:
    """What a topic is about: the text before its first colon ("Server-Migration: Daten
    kopiert" is about "Server-Migration"), so one subject's entries add up."""
    return topic.split(":", 1)[0].strip() or topic.strip()


def top_topics(entries: Iterable[tuple[str, int]], top: int = TOP) -> list[tuple[str, int]]:
    """The `top` topics by minutes (then by name), from (topic, minutes) pairs."""
    minutes: defaultdict[str, int] = defaultdict(int)
    spelled: dict[str, str] = {}
    for topic, spent in entries:
        name = headline(topic)
        spelled.setdefault(name.casefold(), name)
        minutes[name.casefold()] += spent
    ranked = sorted(minutes.items(), key=lambda item: (-item[1], item[0]))
    return [(spelled[key], spent) for key, spent in ranked[:top]]


@dataclass(frozen=True)
class Half:
    """A half-year, "2026-H2": what a GL-JourFixe looks back on."""

    year: int
    part: int  # 1: January to June, 2: July to December

    @classmethod
    def parse(cls, text: str) -> Half:
        match = re.fullmatch(r"(\d{4})-H([12])", text.strip().upper())
        if not match:
            raise ValueError(f"{text!r}: expected a half-year such as 2026-H2")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, day: date) -> Half:
        return cls(day.year, 1 if day.month <= 6 else 2)

    @property
    def months(self) -> tuple[date, ...]:
        first = 1 if self.part == 1 else 7
        return tuple(date(self.year, first + i, 1) for i in range(6))

    @property
    def start(self) -> date:
        return self.months[0]

    @property
    def end(self) -> date:
        """The first day after it."""
        return date(self.year, 7, 1) if self.part == 1 else date(self.year + 1, 1, 1)

    def before(self) -> Half:
        return Half(self.year, 1) if self.part == 2 else Half(self.year - 1, 2)

    def __str__(self) -> str:
        return f"{self.year}-H{self.part}"

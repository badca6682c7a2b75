"""The gap report: holes in the rota, found before a customer falls into one.

A team has a gap where none of its layers has a reachable engineer on call; the cross-team pool
has a gap where no team has one. An engineer on call without a usable mobile (or inactive) does
not cover anything and is listed as unreachable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from escalation.chain import Person, usable_number
from escalation.rota import Rota

Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class Gap:
    team: str | None  # None: the cross-team pool
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Unreachable:
    team: str
    layer: str
    engineer: str
    starts_at: datetime
    ends_at: datetime
    reason: str  # "no usable mobile" | "inactive" | "unknown engineer"


@dataclass(frozen=True)
class Report:
    gaps: tuple[Gap, ...]
    unreachable: tuple[Unreachable, ...]

    def to_json(self) -> dict[str, list[dict[str, Any]]]:
        def plain(item: Gap | Unreachable) -> dict[str, Any]:
            return {
                k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(item).items()
            }

        return {
            "gaps": [plain(g) for g in self.gaps],
            "unreachable": [plain(u) for u in self.unreachable],
        }


def holes(covered: Sequence[Span], start: datetime, end: datetime) -> list[Span]:
    """The parts of [start, end) that no span covers."""
    found: list[Span] = []
    cursor = start
    for span_start, span_end in sorted(covered):
        if span_start > cursor:
            found.append((cursor, min(span_start, end)))
        cursor = max(cursor, span_end)
    if cursor < end:
        found.append((cursor, end))
    return [(a, b) for a, b in found if a < b]


def problem(person: Person | None) -> str | None:
    if person is None:
        return "unknown engineer"
    if not person.active:
        return "inactive"
    return None if usable_number(person.mobile) else "no usable mobile"


def report(
    rota: Rota, teams: Sequence[str], people: Mapping[str, Person], start: datetime, end: datetime
) -> Report:
    """Gaps per team and for the pool in [start, end), and unreachable on-call engineers."""
    gaps: list[Gap] = []
    unreachable: list[Unreachable] = []
    everyone: list[Span] = []
    for team in teams:
        covered: list[Span] = []
        for shift in rota.for_team(team).shifts(start, end):
            reason = problem(people.get(shift.engineer))
            span = (shift.starts_at, shift.ends_at)
            if reason:
                unreachable.append(Unreachable(team, shift.layer, shift.engineer, *span, reason))
            else:
                covered.append(span)
        everyone.extend(covered)
        gaps.extend(Gap(team, a, b) for a, b in holes(covered, start, end))
    gaps.extend(Gap(None, a, b) for a, b in holes(everyone, start, end))
    return Report(tuple(gaps), tuple(unreachable))

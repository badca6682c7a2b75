"""The rota as a picture: a team's days laid out as rows of bars for an inline SVG.

Only geometry: who is on call comes from `roster.shifts`, holes from `roster.gap_report`, the
overrides and absences from the database. A row per layer (a colour per engineer), a row for
the overrides, one for the team's absences, one for its gaps; day lines on the provider's wall
clock (a day of 23 or 25 hours is drawn as long as it is), and a line at now.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from escalation import wallclock

WIDTH = 1400  # the drawing's own units; the page scales it to the screen
LEGEND = 118  # the rows' names on the left
HEADER = 34  # the days' names on top
ROW = 30  # one row's height, its bar a little less
CHAR = 7.2  # about one character of the bars' text
COLOURS = 8  # .c0 ... .c7 in planning.css


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    label: str  # written inside when it fits
    title: str  # the whole story, on hover
    kind: str  # css class: c0..c7, override, absence, gap


@dataclass
class Row:
    name: str
    bars: list[Bar] = field(default_factory=list)


@dataclass(frozen=True)
class Day:
    x: float
    width: float
    label: str
    weekend: bool


@dataclass(frozen=True)
class Picture:
    rows: list[Row]
    days: list[Day]
    now: float | None  # x of now, None outside the picture
    width: int = WIDTH

    @property
    def height(self) -> int:
        return HEADER + ROW * len(self.rows) + 4

    def y(self, index: int) -> int:
        return HEADER + ROW * index


@dataclass(frozen=True)
class Span:
    """Something that lasts: its start, end, text on the bar and on hover, and css class."""

    starts_at: datetime
    ends_at: datetime
    label: str
    title: str
    kind: str


class Canvas:
    """Instants to x between `start` and `end`."""

    def __init__(self, start: datetime, end: datetime) -> None:
        self.start, self.end = start, end
        self.scale = (WIDTH - LEGEND) / (end - start).total_seconds()

    def x(self, at: datetime) -> float:
        at = min(max(at, self.start), self.end)
        return round(LEGEND + (at - self.start).total_seconds() * self.scale, 1)

    def bar(self, span: Span) -> Bar | None:
        if span.ends_at <= self.start or span.starts_at >= self.end:
            return None
        x, right = self.x(span.starts_at), self.x(span.ends_at)
        width = max(right - x, 1.0)
        room = int((width - 6) // CHAR)
        label = span.label if len(span.label) <= room else span.label[: max(room - 1, 0)] + "…"
        return Bar(x, width, label if room >= 2 else "", span.title, span.kind)


def days(
    first: date, count: int, zone: ZoneInfo, canvas: Canvas, names: Sequence[str]
) -> list[Day]:
    """A line at each wall-clock midnight with the weekday and date (`names`: Mon first)."""
    found = []
    for offset in range(count):
        day = first + timedelta(days=offset)
        x = canvas.x(wallclock.on(day, time(), zone))
        width = canvas.x(wallclock.on(day + timedelta(days=1), time(), zone)) - x
        label = f"{names[day.weekday()]} {day:%d.%m.}"
        found.append(Day(x, round(width, 1), label, day.weekday() >= 5))
    return found


def picture(
    start: datetime,
    end: datetime,
    rows: Iterable[tuple[str, Iterable[Span]]],
    day_lines: Sequence[Day],
    now: datetime,
) -> Picture:
    canvas = Canvas(start, end)
    laid = []
    for name, spans in rows:
        row = Row(name)
        for span in spans:
            bar = canvas.bar(span)
            if bar is not None:
                row.bars.append(bar)
        laid.append(row)
    inside = start <= now < end
    return Picture(laid, list(day_lines), canvas.x(now) if inside else None)


def colours(keys: Iterable[str]) -> dict[str, str]:
    """A colour class per engineer, the same one on every row and team of the page."""
    return {key: f"c{i % COLOURS}" for i, key in enumerate(sorted(set(keys)))}

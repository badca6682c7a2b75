"""The shapes every resource's models are made of: what a query, a body and an answer are, and
the few value types the API reads (a time, a text, a key).

Times go out in the provider's zone with their offset; they come in as RFC 3339 date-times, or
without an offset as wall-clock time of the provider's zone (escalation/wallclock.py's rule),
like every `--at` of the command line.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo, WithJsonSchema

from escalation import wallclock
from hotline.directory.schema import unprintable

TIME_HELP = (
    "RFC 3339 date-time; without an offset, wall-clock time of the provider's zone "
    "(e.g. 2026-12-01T08:30); between the years 2000 and 2199"
)
YEARS = range(2000, 2200)  # beyond, the rota's arithmetic would leave datetime's range


class Query(BaseModel):
    """Query parameters: an unknown one is refused (a typo would otherwise filter nothing)."""

    model_config = ConfigDict(extra="forbid")


class Body(BaseModel):
    """A request body: JSON types as written (no "5" for 5), no unknown fields."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Answer(BaseModel):
    """A response body."""


def shown(at: datetime, zone: ZoneInfo) -> datetime:
    """An instant as the API writes it: the provider's wall clock with its offset, to the second."""
    return wallclock.local(at, zone).replace(microsecond=0)


def _instant(value: Any, info: ValidationInfo) -> datetime:
    if isinstance(value, datetime):  # from Python (tests); JSON and queries give text
        text = value.isoformat()
    elif isinstance(value, str):
        text = value
    else:
        raise ValueError("a time is written as text, e.g. 2026-12-01T08:30")
    zone = (info.context or {}).get("zone") or wallclock.zone(None)
    try:
        at = wallclock.parse(text, zone).astimezone(UTC)
    except (ValueError, OverflowError):
        at = None
    if at is None or at.year not in YEARS:
        raise ValueError(f"{text[:40]!r} is no time; {TIME_HELP}")
    return at


Instant = Annotated[
    datetime,
    BeforeValidator(_instant),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


def _text(length: int) -> Any:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("must be text")
        problem = unprintable(value)
        if problem:
            raise ValueError(problem)
        text = value.strip()
        if not text:
            raise ValueError("must not be empty")
        if len(text) > length:
            raise ValueError(f"is longer than {length} characters")
        return text

    return check


def Text(length: int) -> Any:  # noqa: N802 - a type
    """Printable text (no control characters), stripped, not empty, at most `length`."""
    return Annotated[
        str,
        BeforeValidator(_text(length)),
        WithJsonSchema({"type": "string", "minLength": 1, "maxLength": length}),
    ]


Key = Text(64)  # an engineer's or team's key of the directory
Number = Text(32)  # a customer number (Kundennummer)

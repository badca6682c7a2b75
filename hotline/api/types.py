"""The shapes every resource's models are made of: what a query, a body and an answer are, and
the few value types the API reads (a time, a text, a key).

Times go out in the provider's zone with their offset; they come in as RFC 3339 date-times, or
without an offset as wall-clock time of the provider's zone (escalation/wallclock.py's rule),
like every `--at` of the command line.
"""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationInfo, WithJsonSchema

from escalation import wallclock
from hotline.directory.schema import unprintable

TIME_HELP = (
    "an ISO 8601 date-time (RFC 3339); without an offset, wall-clock time of the provider's "
    "zone (e.g. 2026-12-01T08:30); a date alone is its 00:00; between the years 2000 and 2199"
)
YEARS = range(2000, 2200)
# What a time in a request may look like (ISO 8601's extended form): the document publishes it
# and the validator holds to it, so what the one says the other accepts.
TIME = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(T[0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?$"
)  # beyond, the rota's arithmetic would leave datetime's range


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
    at = None
    if re.fullmatch(TIME, text):
        with contextlib.suppress(ValueError, OverflowError):
            at = wallclock.parse(text, zone).astimezone(UTC)
    if at is None or at.year not in YEARS:
        raise ValueError(f"{text[:40]!r} is no time; {TIME_HELP}")
    return at


Instant = Annotated[
    datetime,
    BeforeValidator(_instant),
    WithJsonSchema({"type": "string", "pattern": TIME}),
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

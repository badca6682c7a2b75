"""The clock, injected: `app.config["CLOCK"]` returns an aware UTC datetime; and the provider's
zone, where people read and plan times.

Tests set a fixed or stepping clock; nothing in hotline/ calls `datetime.now()` directly. Wall
clock and instants convert only in escalation/wallclock.py, in the zone read here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from escalation import wallclock
from hotline.models import Provider


def system_clock() -> datetime:
    return datetime.now(UTC)


def running_from(start: str, zone_name: str | None = None) -> Callable[[], datetime]:
    """A clock that starts at `start` (ISO; without an offset, a wall-clock time of `zone_name`,
    default Europe/Berlin) and runs on: a served demo or a browser test lives in the demo week."""
    begin = datetime.fromisoformat(start)
    if begin.tzinfo is None:
        begin = wallclock.instant(begin, wallclock.zone(zone_name))
    offset = begin - datetime.now(UTC)
    return lambda: datetime.now(UTC) + offset


def now() -> datetime:
    return current_app.config["CLOCK"]()


def zone(session: Session) -> ZoneInfo:
    """The provider's zone (`Provider.timezone`); before any import, the setting's default.

    Read from the database each time, in the caller's session, so a changed setting holds at
    once; only the worker's calendar jobs take it when the worker starts (hotline/scheduler.py).
    """
    name = session.scalar(select(Provider.timezone).order_by(Provider.id).limit(1))
    return wallclock.zone(name)


def local(at: datetime, zone: ZoneInfo) -> datetime:
    """An instant as wall-clock time of the provider's zone, with its offset, for display."""
    return wallclock.local(at, zone)

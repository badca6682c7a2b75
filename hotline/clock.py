"""The clock, injected: `app.config["CLOCK"]` returns an aware UTC datetime.

Tests set a fixed or stepping clock; nothing in hotline/ calls `datetime.now()` directly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app

BERLIN = ZoneInfo("Europe/Berlin")


def system_clock() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    return current_app.config["CLOCK"]()


def local(at: datetime, zone: ZoneInfo = BERLIN) -> datetime:
    """An instant as wall-clock time in the provider's zone, for display and planning."""
    return at.astimezone(zone)

"""Times on the pages: wall-clock time of the provider's zone, read once per request, with the
weekday people plan by ("Di 01.12.2026 10:00"; English per account)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import g

from escalation import wallclock
from hotline import clock, db
from hotline.web import access, web

DAYS = {
    "de": ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
FORMS = {"full": "%d.%m.%Y %H:%M", "day": "%d.%m.", "date": "%d.%m.%Y", "time": "%H:%M"}


def zone() -> ZoneInfo:
    """The provider's zone, read once per request."""
    if "zone" not in g:
        g.zone = clock.zone(db.session())
    found: ZoneInfo = g.zone
    return found


def local(at: datetime) -> datetime:
    return wallclock.local(at, zone())


@web.app_template_filter("wall")
def wall(at: datetime | None, form: str = "full") -> str:
    """An instant as the provider's wall-clock time: `full` (with weekday), `day` (weekday and
    day), `date`, `time`."""
    if at is None:
        return ""
    shown = local(at)
    who = access.current()
    days = DAYS.get(who.language if who else "de", DAYS["de"])
    text = shown.strftime(FORMS[form])
    return text if form in ("time", "date") else f"{days[shown.weekday()]} {text}"

"""Urgent, not an emergency (the seed: handled earlier by remote service, as capacity allows):
nobody is woken; the customer's team takes it up in its next working hours.

`comes_back` says when that is, for what the caller hears and for when the team's e-mail goes
out: now, when the call comes within working hours on a working day; else the next start of the
working hours on a listed day that is no public holiday.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from escalation.wallclock import WorkingHours, on, wall

LOOK_AHEAD = 21  # days: working hours without a working day in three weeks are a setup error


@dataclass(frozen=True)
class ComesBack:
    at: datetime  # the instant the team takes it up (UTC-aware)
    now: bool  # within working hours: the team is at work already


def comes_back(
    now: datetime, hours: WorkingHours, zone: tzinfo, holidays: Container[date]
) -> ComesBack:
    """When the customer's team takes an urgent request up, from `now` (an aware instant)."""
    local = wall(now, zone)
    if hours.holds(local) and local.date() not in holidays:
        return ComesBack(now, True)
    day = local.date()
    for _ in range(LOOK_AHEAD):
        start = on(day, hours.start, zone)
        if day.weekday() in hours.days and day not in holidays and start > now:
            return ComesBack(start, False)
        day += timedelta(days=1)
    return ComesBack(now, True)  # no working day ahead: say "as soon as possible", send now

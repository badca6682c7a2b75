"""On-call shifts as iCalendar feeds, per team and per engineer, behind unguessable tokens.

Outlook and Google Calendar subscribe to the URL and poll it; the token is the only secret, so
an unknown token is a plain 404. Times go out in UTC, which every client accepts.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from flask import Blueprint, Response, abort
from icalendar import Calendar, Event
from sqlalchemy import select

from escalation.rota import Shift
from hotline import clock, db, roster
from hotline.models import Engineer, Team

calendar = Blueprint("calendar", __name__, url_prefix="/calendar")
PAST, AHEAD = timedelta(days=7), timedelta(days=90)


def feed(name: str, shifts: list[Shift], names: dict[str, str], now: datetime) -> Response:
    cal = Calendar()
    cal.add("prodid", "-//Hotline//On-call rota//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", "Europe/Berlin")
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for shift in shifts:
        identity = f"{shift.team}|{shift.layer}|{shift.engineer}|{shift.starts_at.isoformat()}"
        event = Event()
        event.add("uid", hashlib.sha256(identity.encode()).hexdigest()[:32] + "@hotline")
        event.add("dtstamp", now)
        event.add("dtstart", shift.starts_at)
        event.add("dtend", shift.ends_at)
        who = names.get(shift.engineer, shift.engineer)
        event.add("summary", f"On call: {who} ({shift.team}, {shift.layer})")
        event.add("description", shift.reason)
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return Response(
        cal.to_ical(),
        mimetype="text/calendar",
        headers={"Content-Disposition": 'inline; filename="oncall.ics"'},
    )


def window() -> tuple[datetime, datetime]:
    now = clock.now()
    return now - PAST, now + AHEAD


@calendar.get("/team/<token>.ics")
def team_feed(token: str) -> Response:
    session = db.session()
    team = session.scalars(select(Team).where(Team.calendar_token == token)).first()
    if team is None:
        abort(404)
    start, end = window()
    shifts = roster.shifts(session, start, end, team=team.key)
    names = {key: p.name for key, p in roster.people(session).items()}
    return feed(f"On call: {team.name}", shifts, names, clock.now())


@calendar.get("/engineer/<token>.ics")
def engineer_feed(token: str) -> Response:
    session = db.session()
    engineer = session.scalars(select(Engineer).where(Engineer.calendar_token == token)).first()
    if engineer is None:
        abort(404)
    start, end = window()
    shifts = roster.shifts(session, start, end, engineer=engineer.key)
    return feed(f"On call: {engineer.name}", shifts, {engineer.key: engineer.name}, clock.now())

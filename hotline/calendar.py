"""On-call shifts as iCalendar feeds, per team and per engineer, behind unguessable tokens.

Outlook and Google Calendar subscribe to the URL and poll it; the token is the only secret, so
an unknown token is a plain 404. Times go out in UTC, which every client accepts.

A client matches events by UID from one poll to the next, so an event must be the same on every
poll: one event per shift, whole (never cut where the window of 7 days back and 90 days ahead
happens to end), its UID made of what the shift is (team, layer, engineer, start), never of the
poll's time. The feed is a plain RFC 5545 calendar without METHOD: METHOD:PUBLISH would make it
an iTIP message, which needs an ORGANIZER in every event (RFC 5546, checked by libical).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort
from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from escalation.rota import Rota, Rotation, Shift
from hotline import clock, db, roster
from hotline.models import Engineer, Team

calendar = Blueprint("calendar", __name__, url_prefix="/calendar")
PAST, AHEAD = timedelta(days=7), timedelta(days=90)
DST = timedelta(hours=1)  # a shift across the autumn change is an hour longer than its length


def feed(
    name: str, shifts: list[Shift], names: dict[str, str], now: datetime, zone: ZoneInfo
) -> Response:
    """The feed; `zone`, the provider's, is named as the calendar's zone (X-WR-TIMEZONE), in
    which clients show the UTC times."""
    cal = Calendar()
    cal.add("prodid", "-//Hotline//On-call rota//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", zone.key)
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


def whole_shifts(
    session: Session,
    start: datetime,
    end: datetime,
    team: str | None = None,
    engineer: str | None = None,
) -> list[Shift]:
    """Every shift that overlaps [start, end), whole: an on-call stretch cut where its team's
    layer hands off (so one person on call for months is one event per shift, not one event
    that begins wherever the window begins), and never at the window's edges. Each piece lies
    within one shift of its layer, so looking one shift beyond the window finds its start."""
    near = roster.load_rota(session, start, end)
    longest = max((r.shift for r in near.rotations), default=timedelta(0)) + DST
    since, until = start - longest, end + longest
    for override in near.overrides:  # a person added for longer than a shift, beyond a layer
        if override.starts_at < start < override.ends_at:
            since = min(since, override.starts_at)
        if override.starts_at < end < override.ends_at:
            until = max(until, override.ends_at)
    rota = roster.load_rota(session, since, until)
    if team is not None:
        rota = rota.for_team(team)
    cuts: dict[tuple[str, str], set[datetime]] = defaultdict(set)
    for rotation in rota.rotations:
        cuts[rotation.team, rotation.layer].update(handoffs(rotation, since, until, rota.zone))
    found = []
    for stretch in rota.shifts(since, until):
        if engineer is not None and stretch.engineer != engineer:
            continue
        layer = cuts[stretch.team, stretch.layer]
        inside = sorted(c for c in layer if stretch.starts_at < c < stretch.ends_at)
        edges = [stretch.starts_at, *inside, stretch.ends_at]
        for a, b in pairwise(edges):
            if b > start and a < end:
                found.append(
                    replace(stretch, starts_at=a, ends_at=b, reason=reason(rota, stretch, a))
                )
    return sorted(found, key=lambda s: (s.starts_at, s.team, s.layer, s.engineer))


def reason(rota: Rota, stretch: Shift, at: datetime) -> str:
    """Why the stretch's engineer is on call at `at` (a cover or an override may begin at a
    hand-off inside the stretch)."""
    for entry in rota.on_call(at):
        if (entry.team, entry.layer, entry.engineer) == (
            stretch.team,
            stretch.layer,
            stretch.engineer,
        ):
            return entry.reason
    return stretch.reason


def handoffs(rotation: Rotation, since: datetime, until: datetime, zone: ZoneInfo) -> set[datetime]:
    """The instants in (since, until) at which a rotation version hands off, its own start and
    end included: the shift boundaries of its layer."""
    first = max(since, rotation.valid_from or since)
    last = min(until, rotation.valid_until or until)
    found = {edge for edge in (rotation.valid_from, rotation.valid_until) if edge is not None}
    index = rotation.shift_index(first, zone) or 0
    while (boundary := rotation.boundary(index, zone)) < last:
        found.add(boundary)
        index += 1
    return {edge for edge in found if since < edge < until}


@calendar.get("/team/<token>.ics")
def team_feed(token: str) -> Response:
    session = db.session()
    team = session.scalars(select(Team).where(Team.calendar_token == token)).first()
    if team is None:
        abort(404)
    start, end = window()
    shifts = whole_shifts(session, start, end, team=team.key)
    names = {key: p.name for key, p in roster.people(session).items()}
    return feed(f"On call: {team.name}", shifts, names, clock.now(), clock.zone(session))


@calendar.get("/engineer/<token>.ics")
def engineer_feed(token: str) -> Response:
    session = db.session()
    engineer = session.scalars(select(Engineer).where(Engineer.calendar_token == token)).first()
    if engineer is None:
        abort(404)
    start, end = window()
    shifts = whole_shifts(session, start, end, engineer=engineer.key)
    names = {engineer.key: engineer.name}
    return feed(f"On call: {engineer.name}", shifts, names, clock.now(), clock.zone(session))

"""iCalendar feeds per team and engineer, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Calendar
from test_roster import directory


def fetch(app: Any, path: str) -> Calendar:
    response = app.test_client().get(path)
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)


def test_team_feed_covers_the_next_90_days(app: Any, session: Any) -> None:
    rows = directory(session)
    cal = fetch(app, f"/calendar/team/{rows['blau'].calendar_token}.ics")
    for field in ("PRODID", "VERSION", "X-WR-CALNAME"):
        assert field in cal
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["X-WR-CALNAME"]) == "On call: Team Blau"
    events = cal.walk("VEVENT")
    assert all({"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"} <= set(e) for e in events)
    assert len({str(e["UID"]) for e in events}) == len(events)
    now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # the conftest clock
    assert max(e.decoded("DTEND") for e in events) >= now + timedelta(days=90)
    primary = sorted(
        (e.decoded("DTSTART"), str(e["SUMMARY"])) for e in events if "primary" in str(e["SUMMARY"])
    )
    # Weekly hand-off Monday 08:00 Berlin = 07:00 UTC in winter; jonas has the week of 30 Nov.
    assert primary[1] == (
        datetime(2026, 11, 30, 7, 0, tzinfo=UTC),
        "On call: Jonas (blau, primary)",
    )
    assert primary[2][0] == datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    assert "Lena" in primary[2][1]


def test_engineer_feed_has_only_own_shifts(app: Any, session: Any) -> None:
    rows = directory(session)
    cal = fetch(app, f"/calendar/engineer/{rows['sara'].calendar_token}.ics")
    summaries = {str(e["SUMMARY"]) for e in cal.walk("VEVENT")}
    assert summaries == {"On call: Sara (rot, primary)"}
    assert str(cal["X-WR-CALNAME"]) == "On call: Sara"


def test_unknown_token_is_404(app: Any, session: Any) -> None:
    directory(session)
    client = app.test_client()
    assert client.get("/calendar/team/nope.ics").status_code == 404
    assert client.get("/calendar/engineer/nope.ics").status_code == 404

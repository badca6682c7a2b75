"""iCalendar feeds per team and engineer, on both backends."""

from __future__ import annotations

import ctypes
import ctypes.util
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import vobject
from icalendar import Calendar
from sqlalchemy import select
from test_roster import directory

from hotline import models as m


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


# --- whole shifts, stable UIDs, independent parsers -----------------------------------------

BERLIN = ZoneInfo("Europe/Berlin")
Event = tuple[str, datetime, datetime, str]  # UID, start, end, summary


def raw(app: Any, path: str) -> bytes:
    response = app.test_client().get(path)
    assert response.status_code == 200, response.data
    return response.data


def events(data: bytes) -> set[Event]:
    """Every event as icalendar reads it, and as vobject (an independent parser) reads it."""
    by_icalendar = {
        (str(e["UID"]), e.decoded("DTSTART"), e.decoded("DTEND"), str(e["SUMMARY"]))
        for e in Calendar.from_ical(data).walk("VEVENT")
    }
    by_vobject = {
        (e.uid.value, e.dtstart.value, e.dtend.value, e.summary.value)
        for e in vobject.readOne(data.decode("utf-8")).vevent_list
    }
    assert by_icalendar == by_vobject
    assert len({uid for uid, *_ in by_icalendar}) == len(by_icalendar)
    return by_icalendar


def libical_errors(data: bytes) -> list[str] | None:
    """libical's RFC 5545/5546 restriction check (what Evolution and many servers run); None
    when libical is not installed (Debian: libical3)."""
    name = ctypes.util.find_library("ical")
    if name is None:
        return None
    lib = ctypes.CDLL(name)
    lib.icalparser_parse_string.restype = ctypes.c_void_p
    lib.icalparser_parse_string.argtypes = [ctypes.c_char_p]
    lib.icalrestriction_check.argtypes = [ctypes.c_void_p]
    lib.icalcomponent_as_ical_string.restype = ctypes.c_char_p
    lib.icalcomponent_as_ical_string.argtypes = [ctypes.c_void_p]
    lib.icalcomponent_free.argtypes = [ctypes.c_void_p]
    component = lib.icalparser_parse_string(data)
    assert component, "libical could not parse the feed"
    try:
        checked = lib.icalrestriction_check(component)
        text = lib.icalcomponent_as_ical_string(component).decode().replace("\r\n ", "")
    finally:
        lib.icalcomponent_free(component)
    errors = [line for line in text.splitlines() if line.startswith("X-LIC-ERROR")]
    assert bool(checked) == (not errors)
    return errors


def at_handoffs(found: set[Event]) -> bool:
    """Every start and end is a Monday 08:00 in Berlin: the rotations' hand-off."""
    edges = [edge.astimezone(BERLIN) for _, start, end, _ in found for edge in (start, end)]
    return all((edge.weekday(), edge.time()) == (0, time(8)) for edge in edges)


def test_every_poll_shows_whole_shifts_under_the_same_uids(
    app: Any, session: Any, clock: Any
) -> None:
    rows = directory(session)
    path = f"/calendar/team/{rows['blau'].calendar_token}.ics"
    first = events(raw(app, path))
    clock.advance(days=1, hours=3, minutes=17)  # the next poll, a day later
    later = events(raw(app, path))
    assert at_handoffs(first) and at_handoffs(later)  # never cut at "now - 7 days" or "+ 90"
    now = clock()
    still_shown = {e for e in first if e[2] > now - timedelta(days=7)}
    assert still_shown <= later  # same UID, same start and end
    assert min(start for _, start, _, _ in later) <= now - timedelta(days=7)
    assert max(end for _, _, end, _ in later) >= now + timedelta(days=90)
    sara = events(raw(app, f"/calendar/engineer/{rows['sara'].calendar_token}.ics"))
    assert at_handoffs(sara) and all(s < now + timedelta(days=90) for _, s, _, _ in sara)


def test_one_person_always_on_call_is_one_event_per_shift(
    app: Any, session: Any, clock: Any
) -> None:
    rows = directory(session)
    rotation = m.Rotation(
        key="rot-secondary", team=rows["rot"], layer="secondary", shift="1w",
        handoff="Mon 08:00", start=date(2026, 11, 2),
    )  # fmt: skip
    rotation.members = [m.RotationMember(position=0, engineer_id=rows["rolf"].id)]
    session.add(rotation)
    session.commit()
    path = f"/calendar/engineer/{rows['rolf'].calendar_token}.ics"
    found = events(raw(app, path))
    assert at_handoffs(found)
    assert {end - start for _, start, end, _ in found} == {timedelta(days=7)}  # winter: no DST
    clock.advance(hours=30)
    assert found & events(raw(app, path))


def test_an_override_across_the_window_edge_keeps_its_own_start(
    app: Any, session: Any, clock: Any
) -> None:
    rows = directory(session)
    session.add(
        m.Override(
            team=rows["blau"], layer="primary", engineer_id=rows["anna"].id,
            starts_at=datetime(2026, 11, 20, 12, tzinfo=UTC),
            ends_at=datetime(2026, 11, 25, 12, tzinfo=UTC),
        )
    )  # fmt: skip
    session.commit()
    found = events(raw(app, f"/calendar/engineer/{rows['anna'].calendar_token}.ics"))
    # the window starts 24 Nov 02:00 UTC: anna's part from the hand-off on the 23rd is shown
    # whole, cut only where the layer hands off (23 Nov 08:00 Berlin) and where it ends
    assert {(start, end) for _, start, end, _ in found} == {
        (datetime(2026, 11, 23, 7, tzinfo=UTC), datetime(2026, 11, 25, 12, tzinfo=UTC))
    }


def test_the_feed_passes_libical_and_claims_no_itip_method(app: Any, session: Any) -> None:
    rows = directory(session)
    data = raw(app, f"/calendar/team/{rows['blau'].calendar_token}.ics")
    cal = Calendar.from_ical(data)
    # METHOD:PUBLISH is iTIP (RFC 5546), which demands an ORGANIZER in every event; a feed
    # that is subscribed to needs no METHOD at all
    assert "METHOD" not in cal
    assert "method" not in vobject.readOne(data.decode()).contents
    errors = libical_errors(data)
    if errors is None:
        pytest.fail("libical is not installed: bin/setup-tools installs it (apt-get libical3)")
    assert errors == []


@pytest.mark.parametrize(
    ("now", "shift"),
    [
        # Mon 23 March 08:00 CET to Mon 30 March 08:00 CEST: the spring week is an hour short
        (
            datetime(2026, 3, 25, 12, tzinfo=UTC),
            (datetime(2026, 3, 23, 7, tzinfo=UTC), datetime(2026, 3, 30, 6, tzinfo=UTC)),
        ),
        # Mon 19 October 08:00 CEST to Mon 26 October 08:00 CET: the autumn week an hour long
        (
            datetime(2026, 10, 21, 12, tzinfo=UTC),
            (datetime(2026, 10, 19, 6, tzinfo=UTC), datetime(2026, 10, 26, 7, tzinfo=UTC)),
        ),
    ],
)
def test_a_shift_across_a_clock_change_keeps_its_wall_clock_handoff(
    app: Any, session: Any, clock: Any, now: datetime, shift: tuple[datetime, datetime]
) -> None:
    clock.at = now
    rows = directory(session)
    for rotation in session.scalars(select(m.Rotation)):
        rotation.start = date(2026, 1, 5)  # a Monday: the rota runs through 2026
    session.commit()
    found = events(raw(app, f"/calendar/team/{rows['blau'].calendar_token}.ics"))
    spans = {(start, end) for _, start, end, summary in found if "primary" in summary}
    assert shift in spans
    assert at_handoffs(found)


def test_a_handoff_in_the_missing_or_doubled_hour(app: Any, session: Any, clock: Any) -> None:
    """A daily 02:30 hand-off: in spring when the clocks jump (03:00 CEST), in autumn at the
    first 02:30 (CEST), as docs/rota.md says; both parsers read the same instants."""
    rows = directory(session)
    rotation = m.Rotation(
        key="rot-night", team=rows["rot"], layer="secondary", shift="1d", handoff="02:30",
        start=date(2026, 3, 1),
    )  # fmt: skip
    rotation.members = [
        m.RotationMember(position=i, engineer_id=rows[e].id) for i, e in enumerate(["rolf", "sara"])
    ]
    session.add(rotation)
    session.commit()
    path = f"/calendar/team/{rows['rot'].calendar_token}.ics"
    clock.at = datetime(2026, 3, 29, 12, tzinfo=UTC)
    spring = {(s, e) for _, s, e, summary in events(raw(app, path)) if "secondary" in summary}
    assert (
        datetime(2026, 3, 28, 1, 30, tzinfo=UTC),
        datetime(2026, 3, 29, 1, tzinfo=UTC),
    ) in spring
    assert (
        datetime(2026, 3, 29, 1, tzinfo=UTC),
        datetime(2026, 3, 30, 0, 30, tzinfo=UTC),
    ) in spring
    clock.at = datetime(2026, 10, 25, 12, tzinfo=UTC)
    autumn = {(s, e) for _, s, e, summary in events(raw(app, path)) if "secondary" in summary}
    assert (
        datetime(2026, 10, 24, 0, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
    ) in autumn
    assert (
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
        datetime(2026, 10, 26, 1, 30, tzinfo=UTC),
    ) in autumn

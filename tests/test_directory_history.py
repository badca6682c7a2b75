"""An import changes overrides and absences only from now on: what it leaves out keeps its past."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select

from escalation.wallclock import instant
from hotline import models as m
from hotline import roster
from hotline.directory import dump, export_directory, import_directory

BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def berlin(*args: int) -> datetime:
    return instant(datetime(*args), BERLIN)


def directory(overrides: list[dict[str, Any]], absences: list[dict[str, Any]]) -> dict[str, Any]:
    """Team blau: jonas holds the week from Mon 30 Nov 08:00, anna the weeks around it."""
    return {
        "provider": {"name": "Solutionbar", "fallback_number": "+49 171 5550000"},
        "teams": [{"key": "blau", "name": "Blau"}],
        "engineers": [
            {"key": key, "name": key.title(), "team": "blau", "mobile": f"0171 555010{i}"}
            for i, key in enumerate(["anna", "jonas", "lena"])
        ],
        "rotations": [
            {"team": "blau", "members": ["jonas", "anna"], "shift": "1w", "start": "2026-11-02"}
        ],
        "overrides": overrides,
        "absences": absences,
    }


def lena(start: str, until: str) -> dict[str, Any]:
    """lena stands in for jonas."""
    return {"engineer": "lena", "replaces": "jonas", "team": "blau", "layer": "primary"} | {
        "from": start,
        "until": until,
    }


PAST = lena("2026-12-01T18:00", "2026-12-02T08:00")
RUNNING = lena("2026-12-02T18:00", "2026-12-04T08:00")
FUTURE = lena("2026-12-05T18:00", "2026-12-06T08:00")
SICK = {"engineer": "jonas", "from": "2026-12-01", "until": "2026-12-01", "reason": "sick"}
AWAY = {"engineer": "jonas", "from": "2026-12-02", "until": "2026-12-04", "reason": "vacation"}
LATER = {"engineer": "jonas", "from": "2026-12-05", "until": "2026-12-05", "reason": "vacation"}
DAY_ONE = berlin(2026, 12, 3, 12, 0)  # PAST and SICK over, RUNNING and AWAY running
WEEK = [berlin(2026, 11, 30, 9, 0) + timedelta(hours=h) for h in range(0, 7 * 24, 5)]


def periods(session: Any, model: type) -> list[tuple[datetime, datetime]]:
    rows = session.scalars(select(model).order_by(model.starts_at, model.id))
    return [(r.starts_at, r.ends_at) for r in rows]


def test_left_out_overrides_past_kept_running_ended_future_removed(
    app: Any, session: Any, clock: Any
) -> None:
    import_directory(session, directory([PAST, RUNNING, FUTURE], []))
    clock.at = DAY_ONE
    summary = import_directory(session, directory([], []))
    assert summary.counts["overrides"] == {"kept": 1, "ended": 1, "removed": 1}
    assert summary.changed
    assert periods(session, m.Override) == [
        (berlin(2026, 12, 1, 18, 0), berlin(2026, 12, 2, 8, 0)),
        (berlin(2026, 12, 2, 18, 0), DAY_ONE),
    ]
    on_call = [o.engineer for o in roster.on_call(session, berlin(2026, 12, 3, 3, 0))]
    assert on_call == ["lena"]  # the night that was
    assert [o.engineer for o in roster.on_call(session, DAY_ONE)] == ["jonas"]
    assert [o.engineer for o in roster.on_call(session, berlin(2026, 12, 5, 20, 0))] == ["jonas"]


def test_left_out_absences_past_kept_running_ended_future_removed(
    app: Any, session: Any, clock: Any
) -> None:
    import_directory(session, directory([], [SICK, AWAY, LATER]))
    clock.at = DAY_ONE
    summary = import_directory(session, directory([], []))
    assert summary.counts["absences"] == {"kept": 1, "ended": 1, "removed": 1}
    assert periods(session, m.Absence) == [
        (berlin(2026, 12, 1, 0, 0), berlin(2026, 12, 2, 0, 0)),
        (berlin(2026, 12, 2, 0, 0), DAY_ONE),
    ]
    away = roster.on_call(session, berlin(2026, 12, 3, 3, 0))
    assert [(o.engineer, o.scheduled) for o in away] == [("anna", "jonas")]
    assert [o.engineer for o in roster.on_call(session, DAY_ONE)] == ["jonas"]


def test_the_past_answers_the_same_after_an_import_that_leaves_it_out(
    app: Any, session: Any, clock: Any
) -> None:
    """oncall --at, the shifts of the calendar feeds and the gap report of the week so far."""
    anna_off = {"engineer": "anna", "from": "2026-12-02T20:00", "until": "2026-12-03T02:00"}
    import_directory(session, directory([PAST, RUNNING, FUTURE], [SICK, AWAY, LATER, anna_off]))
    clock.at = DAY_ONE
    past = [t for t in WEEK if t < DAY_ONE]
    start = berlin(2026, 11, 30, 8, 0)

    def answers() -> tuple[Any, ...]:
        return (
            [[(o.engineer, o.scheduled) for o in roster.on_call(session, t)] for t in past],
            [(s.engineer, s.starts_at, s.ends_at) for s in roster.shifts(session, start, DAY_ONE)],
            roster.gap_report(session, start, DAY_ONE),
        )

    before = answers()
    assert {"lena", "anna", "jonas"} == {e for found in before[0] for e, _ in found}
    assert [(g.starts_at, g.ends_at) for g in before[2].gaps][:1] == [
        (berlin(2026, 12, 2, 20, 0), berlin(2026, 12, 3, 2, 0))
    ]
    import_directory(session, directory([], []))
    assert answers() == before
    # the override's reason names the end it really had
    (night,) = roster.on_call(session, berlin(2026, 12, 3, 3, 0))
    assert night.reason == "replaces jonas by override until 2026-12-03 12:00"
    clock.advance(days=10)
    import_directory(session, directory([FUTURE], []))
    assert answers() == before


def test_reimport_and_round_trip_change_nothing(app: Any, session: Any, clock: Any) -> None:
    import_directory(session, directory([PAST, RUNNING, FUTURE], [SICK, AWAY, LATER]))
    clock.at = DAY_ONE + timedelta(seconds=7, microseconds=250_000)  # ended to the second
    dropped = directory([FUTURE], [LATER])
    assert import_directory(session, dropped).changed
    exported = export_directory(session)
    assert exported["overrides"][1] == lena("2026-12-02T18:00", "2026-12-03T12:00:07")
    assert exported["absences"][1] == AWAY | {"until": "2026-12-03T12:00:07"}
    for later in (0, 1, 60 * 24 * 30):  # the same instant, a second later, a month later
        clock.at += timedelta(minutes=later)
        again = import_directory(session, copy.deepcopy(dropped))
        assert not again.changed, again.lines()
        assert again.counts["overrides"] == {"kept": 2}  # the future one is in the file
        round_trip = import_directory(session, yaml.safe_load(dump(exported)))
        assert not round_trip.changed, round_trip.lines()
        assert export_directory(session) == exported


def test_an_entry_at_its_start_or_end_instant(app: Any, session: Any, clock: Any) -> None:
    """Ending now is the past (kept); starting now is not running yet (removed, no empty row)."""
    import_directory(session, directory([PAST, RUNNING], []))
    clock.at = berlin(2026, 12, 2, 8, 0)  # PAST ends
    assert import_directory(session, directory([RUNNING], [])).counts["overrides"] == {"kept": 1}
    clock.at = berlin(2026, 12, 2, 18, 0)  # RUNNING starts
    summary = import_directory(session, directory([], []))
    assert summary.counts["overrides"] == {"kept": 1, "removed": 1}
    assert periods(session, m.Override) == [(berlin(2026, 12, 1, 18, 0), berlin(2026, 12, 2, 8))]


def test_a_running_absence_extended_stays_one_row(app: Any, session: Any, clock: Any) -> None:
    import_directory(session, directory([], [AWAY]))
    clock.at = DAY_ONE
    longer = AWAY | {"until": "2026-12-06"}
    summary = import_directory(session, directory([], [longer]))
    assert summary.counts["absences"] == {"updated": 1}
    assert periods(session, m.Absence) == [(berlin(2026, 12, 2), berlin(2026, 12, 7))]
    assert not import_directory(session, directory([], [longer])).changed
    # an end moved into the past cannot take back the days that were: the row ends now
    shorter = AWAY | {"until": "2026-12-02"}
    summary = import_directory(session, directory([], [shorter]))
    assert summary.counts["absences"] == {"ended": 1, "created": 1}
    assert periods(session, m.Absence) == [
        (berlin(2026, 12, 2), DAY_ONE),
        (berlin(2026, 12, 2), berlin(2026, 12, 3)),
    ]
    assert not import_directory(session, directory([], [shorter])).changed


def test_ended_in_the_repeated_autumn_hour_round_trips(app: Any, session: Any, clock: Any) -> None:
    night = lena("2026-10-24T20:00", "2026-10-25T08:00")
    import_directory(session, directory([night], []))
    clock.at = utc(2026, 10, 25, 1, 30)  # 02:30 CET, the second pass of the hour
    assert import_directory(session, directory([], [])).counts["overrides"] == {"ended": 1}
    exported = export_directory(session)
    assert exported["overrides"] == [lena("2026-10-24T20:00", "2026-10-25T02:30+01:00")]
    assert not import_directory(session, yaml.safe_load(dump(exported))).changed
    assert not import_directory(session, directory([], [])).changed

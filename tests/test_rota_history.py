"""Editing a rotation changes only the future: versions, the next hand-off, the past kept."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from test_rota import BERLIN, berlin, utc
from test_rota_properties import PEOPLE, handoffs, instants, shifts

from escalation import rota
from escalation.rota import (
    Rota,
    Rotation,
    parse_handoff,
    parse_restriction,
    parse_shift,
    swap,
    takes_effect,
)
from hotline import models as m
from hotline import roster
from hotline.directory import dump, export_directory, import_directory


def grid(start: datetime, end: datetime, step: timedelta) -> Iterator[datetime]:
    """Instants in [start, end), at an odd step so every phase of a shift is hit."""
    at = start
    while at < end:
        yield at
        at += step


def rotation(
    members: tuple[str, ...] = ("anna", "jonas", "lena"),
    shift: str = "1w",
    handoff: str = "Mon 08:00",
    start: date = date(2026, 11, 2),
    restriction: dict[str, Any] | None = None,
) -> Rotation:
    return Rotation(
        "blau-primary", "blau", "primary", members, parse_shift(shift), parse_handoff(handoff),
        start, parse_restriction(restriction),
    )  # fmt: skip


def edit(old: Rotation, new: Rotation, at: datetime) -> tuple[datetime, Rota]:
    """The rota after editing `old` into `new` at `at`, and when the edit takes effect."""
    effective = takes_effect(old, at, BERLIN)
    versions = (replace(old, valid_until=effective), replace(new, valid_from=effective))
    return effective, Rota(versions)


def same_until_then_new(old: Rotation, new: Rotation, at: datetime, effective: datetime) -> None:
    """Every instant before `effective` answers as `old` alone, every one after as `new` alone."""
    found, rota = edit(old, new, at)
    assert found == effective
    step = timedelta(hours=1, minutes=7)
    for t in grid(effective - timedelta(weeks=6), effective, step):
        assert rota.on_call(t) == Rota((old,)).on_call(t), t
    for t in grid(effective, effective + timedelta(weeks=6), step):
        assert rota.on_call(t) == Rota((new,)).on_call(t), t


def contiguous(rota: Rota, start: datetime, end: datetime) -> list[str]:
    """The holders of the layer across [start, end), asserting neither gap nor overlap."""
    shifts = rota.shifts(start, end)
    assert shifts[0].starts_at == start and shifts[-1].ends_at == end
    for before, after in zip(shifts, shifts[1:], strict=False):
        assert before.ends_at == after.starts_at
    return [s.engineer for s in shifts]


# --- the rules, pure --------------------------------------------------------------------------

EDITED = berlin(2026, 12, 1, 3, 0)  # a Tuesday night: jonas's shift runs until Mon 7 Dec 08:00
NEXT_HANDOFF = berlin(2026, 12, 7, 8, 0)


def test_member_change_waits_for_the_next_handoff() -> None:
    old = rotation()
    new = rotation(("anna", "mia", "jonas", "lena"))
    same_until_then_new(old, new, EDITED, NEXT_HANDOFF)
    _, rota = edit(old, new, EDITED)
    assert [o.engineer for o in rota.on_call(EDITED)] == ["jonas"]  # not reassigned mid-shift
    assert [o.engineer for o in rota.on_call(NEXT_HANDOFF - timedelta(seconds=1))] == ["jonas"]
    assert [o.engineer for o in rota.on_call(NEXT_HANDOFF)] == ["mia"]  # shift 5 of 4 members


def test_shift_length_change_waits_for_the_next_handoff() -> None:
    old = rotation()
    new = rotation(shift="12h", handoff="08:00")
    same_until_then_new(old, new, EDITED, NEXT_HANDOFF)
    _, rota = edit(old, new, EDITED)
    holders = contiguous(rota, berlin(2026, 11, 30, 8, 0), berlin(2026, 12, 8, 20, 0))
    # the week's shift, then 12h shift 70 (jonas again: one stretch), 71, 72
    assert holders == ["jonas", "lena", "anna"]


def test_handoff_moved_starts_the_new_rhythm_with_a_partial_shift() -> None:
    old = rotation()
    new = rotation(("lena", "anna", "jonas"), handoff="Mon 20:00")
    _, rota = edit(old, new, EDITED)
    shifts = rota.shifts(berlin(2026, 11, 30, 8, 0), berlin(2026, 12, 21, 20, 0))
    assert [(s.engineer, s.starts_at, s.ends_at) for s in shifts] == [
        ("jonas", berlin(2026, 11, 30, 8, 0), NEXT_HANDOFF),
        ("anna", NEXT_HANDOFF, berlin(2026, 12, 7, 20, 0)),  # the rest of the new shift 4
        ("jonas", berlin(2026, 12, 7, 20, 0), berlin(2026, 12, 14, 20, 0)),
        ("lena", berlin(2026, 12, 14, 20, 0), berlin(2026, 12, 21, 20, 0)),
    ]


def test_an_edit_before_the_first_handoff_applies_at_once() -> None:
    later = rotation(start=date(2027, 1, 4))
    assert takes_effect(later, EDITED, BERLIN) == EDITED
    assert takes_effect(None, EDITED, BERLIN) == EDITED
    ending = replace(rotation(), valid_until=berlin(2026, 12, 3, 12, 0))
    assert takes_effect(ending, EDITED, BERLIN) == berlin(2026, 12, 3, 12, 0)


@pytest.mark.parametrize(
    ("start", "edited", "effective", "repeated"),
    [
        # 28 March 2027: 02:30 does not exist, the hand-off is when the clocks jump (03:00 CEST)
        (date(2027, 3, 7), berlin(2027, 3, 25, 12, 0), utc(2027, 3, 28, 1, 0), None),
        # 25 October 2026: 02:30 exists twice, the hand-off is the first (CEST); the second
        # pass (CET, 01:30 UTC) is no hand-off
        (date(2026, 10, 4), berlin(2026, 10, 22, 12, 0), utc(2026, 10, 25, 0, 30),
         utc(2026, 10, 25, 1, 30)),
    ],
)  # fmt: skip
def test_edit_across_daylight_saving(
    start: date, edited: datetime, effective: datetime, repeated: datetime | None
) -> None:
    old = rotation(handoff="Sun 02:30", start=start)
    new = rotation(("mia", "sara"), handoff="Sun 02:30", start=start)
    same_until_then_new(old, new, edited, effective)
    _, rota = edit(old, new, edited)
    holders = contiguous(rota, effective - timedelta(days=3), effective + timedelta(days=10))
    assert holders == ["lena", "sara", "mia"]  # shift 2 of the old, then 3 and 4 of the new
    if repeated:
        assert [o.engineer for o in rota.on_call(repeated)] == ["sara"]


def test_swap_stays_inside_one_version() -> None:
    effective, rota = edit(rotation(), rotation(("mia", "lena")), EDITED)
    old = rota.rotations[0]
    with pytest.raises(ValueError, match="no shift then"):
        swap(old, EDITED, effective + timedelta(days=1))
    assert len(swap(old, EDITED, berlin(2026, 11, 24, 12, 0))) == 2


@st.composite
def versions_of_one_rotation(draw: st.DrawFn) -> Rotation:
    return Rotation(
        "blau-primary", "blau", "primary",
        tuple(draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=4, unique=True))),
        draw(shifts), draw(handoffs), date(2026, 2, 1) + timedelta(days=draw(st.integers(0, 60))),
    )  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(versions_of_one_rotation(), versions_of_one_rotation(), instants(), st.data())
def test_an_edit_changes_only_what_follows_the_shift_in_progress(
    old: Rotation, new: Rotation, at: datetime, data: st.DataObject
) -> None:
    effective, rota = edit(old, new, at)
    assert effective >= at
    index = old.shift_index(at, BERLIN)
    if index is not None:  # the shift in progress runs to its end, not a moment less or more
        assert effective == old.boundary(index + 1, BERLIN)
    offsets = st.integers(-3 * 24 * 60, 3 * 24 * 60).map(lambda n: timedelta(minutes=n))
    for probe in (effective + data.draw(offsets) for _ in range(12)):
        alone = old if probe < effective else new
        assert rota.on_call(probe) == Rota((alone,)).on_call(probe)
        if index is not None and new.shift_index(effective, BERLIN) is not None and probe >= at:
            assert len(rota.on_call(probe)) == 1  # neither gap nor overlap across the edit


# --- through the importer, on both backends ---------------------------------------------------


def directory(**blau: Any) -> dict[str, Any]:
    """Team blau's rotation (changed by `blau`) and rot's fixed daytime contact."""
    engineers = [("anna", "blau"), ("jonas", "blau"), ("lena", "blau"), ("mia", "blau")]
    return {
        "provider": {
            "name": "Solutionbar",
            "fallback_number": "+49 171 5550000",
            "timezone": "Europe/Berlin",
            "holiday_region": "BE",
        },
        "teams": [{"key": "blau", "name": "Blau"}, {"key": "rot", "name": "Rot"}],
        "engineers": [
            {"key": key, "name": key.title(), "team": team, "mobile": f"0171 555010{i}"}
            for i, (key, team) in enumerate([*engineers, ("sara", "rot")])
        ],
        "rotations": [
            {"key": "blau-primary", "team": "blau", "members": ["anna", "jonas", "lena"],
             "shift": "1w", "handoff": "Mon 08:00", "start": "2026-11-02"} | blau,
            {"key": "rot-day", "team": "rot", "members": ["sara"], "start": "2026-11-02",
             "restriction": {"when": "business_hours"}},
        ],
    }  # fmt: skip


PAST = list(grid(utc(2026, 11, 1), NEXT_HANDOFF, timedelta(hours=11, minutes=7)))
FUTURE = list(grid(NEXT_HANDOFF, utc(2027, 1, 20), timedelta(hours=11, minutes=7)))


def answers(session: Any, instants: list[datetime]) -> list[list[tuple[str, str, str]]]:
    return [[(o.team, o.engineer, o.reason) for o in roster.on_call(session, t)] for t in instants]


def blau(session: Any, instants: list[datetime]) -> list[list[str]]:
    return [[o.engineer for o in roster.on_call(session, t, "blau")] for t in instants]


def expected(new: Rotation, instants: list[datetime]) -> list[list[str]]:
    return [[o.engineer for o in Rota((new,)).on_call(t)] for t in instants]


def versions(session: Any) -> list[tuple[datetime | None, datetime | None, list[str]]]:
    rows = session.scalars(
        select(m.Rotation).where(m.Rotation.key == "blau-primary").order_by(m.Rotation.id)
    )
    return [(r.valid_from, r.valid_until, [x.engineer.key for x in r.members]) for r in rows]


def test_import_of_new_members_keeps_the_past_and_the_shift_in_progress(
    app: Any, session: Any
) -> None:
    import_directory(session, directory())
    before = answers(session, PAST)
    assert {"jonas", "lena", "anna"} <= {e for entries in before for _, e, _ in entries}
    summary = import_directory(session, directory(members=["anna", "mia", "jonas", "lena"]))
    assert summary.counts["rotations"] == {"updated": 1}
    assert "rotation blau-primary changes at the hand-off 2026-12-07T08:00" in summary.lines()
    assert answers(session, PAST) == before
    new = rotation(("anna", "mia", "jonas", "lena"))
    assert blau(session, FUTURE) == expected(new, FUTURE)
    assert versions(session) == [
        (None, NEXT_HANDOFF, ["anna", "jonas", "lena"]),
        (NEXT_HANDOFF, None, ["anna", "mia", "jonas", "lena"]),
    ]


def test_import_of_a_new_shift_length_applies_from_the_next_handoff(app: Any, session: Any) -> None:
    import_directory(session, directory())
    before = answers(session, PAST)
    import_directory(session, directory(shift="1d", handoff="08:00"))
    assert answers(session, PAST) == before
    assert blau(session, FUTURE) == expected(rotation(shift="1d", handoff="08:00"), FUTURE)
    shifts = roster.shifts(session, berlin(2026, 12, 6, 8, 0), berlin(2026, 12, 9, 8, 0), "blau")
    assert [(s.engineer, s.starts_at) for s in shifts] == [
        ("jonas", berlin(2026, 12, 6, 8, 0)),  # the week's shift, to its end
        ("lena", NEXT_HANDOFF),  # daily shift 35
        ("anna", berlin(2026, 12, 8, 8, 0)),
    ]
    assert shifts[0].ends_at == NEXT_HANDOFF


def test_reimport_and_round_trip_change_nothing(app: Any, session: Any, clock: Any) -> None:
    import_directory(session, directory())
    edited = directory(members=["mia", "lena"])
    assert import_directory(session, edited).changed
    assert not import_directory(session, copy.deepcopy(edited)).changed
    exported = export_directory(session)
    # export writes the latest version: importing it keeps the planned change
    assert exported["rotations"][0]["members"] == ["mia", "lena"]
    assert not import_directory(session, yaml.safe_load(dump(exported))).changed
    clock.advance(weeks=2)  # the change is in force now
    assert not import_directory(session, copy.deepcopy(edited)).changed
    assert export_directory(session) == exported
    assert len(versions(session)) == 2


def test_a_later_file_replaces_a_planned_change(app: Any, session: Any, clock: Any) -> None:
    import_directory(session, directory())
    import_directory(session, directory(members=["mia", "lena"]))
    clock.advance(hours=5)  # still before the hand-off
    import_directory(session, directory(members=["lena", "mia"]))
    assert [v[1:] for v in versions(session)] == [
        (NEXT_HANDOFF, ["anna", "jonas", "lena"]),
        (None, ["lena", "mia"]),
    ]
    summary = import_directory(session, directory())  # back to the rotation in force
    assert summary.counts["rotations"] == {"updated": 1}
    assert versions(session) == [(None, None, ["anna", "jonas", "lena"])]
    assert not import_directory(session, directory()).changed


def test_a_rotation_left_out_ends_at_the_next_handoff(app: Any, session: Any, clock: Any) -> None:
    import_directory(session, directory())
    before = answers(session, PAST)
    without = directory()
    without["rotations"] = without["rotations"][1:]
    summary = import_directory(session, without)
    assert summary.counts["rotations"] == {"ended": 1}
    assert "rotation blau-primary ends at the hand-off 2026-12-07T08:00" in summary.lines()
    assert answers(session, PAST) == before
    assert blau(session, FUTURE) == [[] for _ in FUTURE]
    assert [r["key"] for r in export_directory(session)["rotations"]] == ["rot-day"]
    assert not import_directory(session, copy.deepcopy(without)).changed
    clock.advance(weeks=3)
    summary = import_directory(session, directory())  # back, from now on
    assert summary.counts["rotations"] == {"created": 1}
    assert versions(session)[1][0] == clock()
    assert blau(session, PAST) == [[e for t, e, _ in a if t == "blau"] for a in before]


def test_gaps_shifts_and_oncall_of_the_past_survive_an_edit(app: Any, session: Any) -> None:
    import_directory(session, directory())
    start, end = utc(2026, 11, 9), utc(2026, 12, 1)

    def oncall(at: str) -> str:
        result = app.test_cli_runner().invoke(args=["oncall", "--at", at])
        assert result.exit_code == 0, result.output
        return result.output

    gaps = roster.gap_report(session, start, end).to_json()
    assert gaps["gaps"]  # rot has nobody at night
    shifts = roster.shifts(session, start, end)
    night = oncall("2026-11-20T03:00")
    assert "blau         primary    lena" in night
    import_directory(
        session,
        directory(members=["mia"], restriction={"when": "business_hours"}, handoff="Tue 08:00"),
    )
    assert roster.gap_report(session, start, end).to_json() == gaps
    assert roster.shifts(session, start, end) == shifts
    assert oncall("2026-11-20T03:00") == night
    assert "blau         primary    jonas" in oncall("2026-12-07T07:59")
    assert "blau         nobody on call" in oncall("2026-12-08T03:00")  # after hours now
    assert "blau         primary    mia" in oncall("2026-12-08T10:00")
    later = roster.gap_report(session, start, utc(2026, 12, 20)).gaps
    assert min(g.starts_at for g in later if g.team == "blau") == berlin(2026, 12, 7, 17, 0)


def test_edit_before_spring_forward_through_the_importer(
    app: Any, session: Any, clock: Any
) -> None:
    clock.at = berlin(2027, 3, 25, 12, 0)
    import_directory(session, directory(handoff="Sun 02:30", start="2027-03-07"))
    import_directory(session, directory(handoff="Sun 02:30", start="2027-03-07", members=["mia"]))
    jump = utc(2027, 3, 28, 1, 0)  # 02:30 does not exist: the moment the clocks jump
    assert [v[:2] for v in versions(session)] == [(None, jump), (jump, None)]
    assert blau(session, [jump - timedelta(seconds=1), jump]) == [["lena"], ["mia"]]


def test_a_rotation_added_later_starts_at_the_import(app: Any, session: Any, clock: Any) -> None:
    first = directory()
    first["rotations"] = first["rotations"][1:]
    import_directory(session, first)
    summary = import_directory(session, directory())
    assert summary.counts["rotations"] == {"created": 1}
    assert versions(session) == [(clock(), None, ["anna", "jonas", "lena"])]
    assert blau(session, [clock() - timedelta(seconds=1), clock()]) == [[], ["jonas"]]


def test_an_unlisted_override_or_absence_keeps_its_past() -> None:
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    hour = timedelta(hours=1)
    assert rota.unlisted(now - 2 * hour, now - hour, now) == "kept"
    assert rota.unlisted(now - 2 * hour, now, now) == "kept"  # ends exactly now
    assert rota.unlisted(now - hour, now + hour, now) == "ended"
    assert rota.unlisted(now, now + hour, now) == "removed"  # starts exactly now
    assert rota.unlisted(now + hour, now + 2 * hour, now) == "removed"

"""The rota rules, pure: no app, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from escalation.rota import (
    Absence,
    Handoff,
    Override,
    Restriction,
    Rota,
    Rotation,
    parse_handoff,
    parse_restriction,
    parse_shift,
    swap,
)
from escalation.wallclock import WorkingHours, instant

BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def berlin(*args: int) -> datetime:
    return instant(datetime(*args), BERLIN)


def rotation(
    members: tuple[str, ...] = ("jonas", "anna"),
    shift: str = "1w",
    handoff: str = "Mon 08:00",
    start: date = date(2026, 11, 2),
    layer: str = "primary",
    restriction: dict | None = None,
    key: str = "blau-primary",
) -> Rotation:
    return Rotation(
        key, "blau", layer, members, parse_shift(shift), parse_handoff(handoff), start,
        parse_restriction(restriction),
    )  # fmt: skip


def override(
    engineer: str, replaces: str | None, start: datetime, end: datetime, layer: str = "primary"
) -> Override:
    return Override("blau", layer, engineer, replaces, start, end)


def who(rota: Rota, at: datetime, layer: str = "primary") -> list[str]:
    return [o.engineer for o in rota.on_call(at) if o.layer == layer]


# --- validators -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "length"),
    [("12h", timedelta(hours=12)), ("1d", timedelta(days=1)), ("1w", timedelta(weeks=1)),
     ("2w", timedelta(weeks=2)), (" 3D ", timedelta(days=3))],
)  # fmt: skip
def test_parse_shift(text: str, length: timedelta) -> None:
    assert parse_shift(text) == length


@pytest.mark.parametrize("text", ["", "0h", "1m", "w", "1.5d", "-1d", "1 week"])
def test_parse_shift_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="shift"):
        parse_shift(text)


def test_a_shift_is_at_most_a_year() -> None:
    """Longer would be no rotation, and a huge one overflowed datetime (or int) in every call."""
    assert parse_shift("52w") == timedelta(weeks=52)
    assert parse_shift("366d") == timedelta(days=366)
    for text in ("53w", "367d", "8785h", "99999999999999w"):
        with pytest.raises(ValueError, match="shift"):
            parse_shift(text)


def test_parse_handoff() -> None:
    assert parse_handoff("Mon 08:00") == Handoff(0, time(8, 0))
    assert parse_handoff("sun 7:30") == Handoff(6, time(7, 30))
    assert parse_handoff("08:00") == Handoff(None, time(8, 0))
    for bad in ("Mo 8", "Montag 08:00", "25:00", "08:60", "24:00", "Mon Tue 08:00"):
        with pytest.raises(ValueError):
            parse_handoff(bad)


def test_parse_restriction() -> None:
    assert parse_restriction(None) is None
    assert parse_restriction({"when": "business_hours"}) == Restriction()
    after = parse_restriction(
        {"when": "after_hours", "days": ["Mon", "Sat"], "hours": "07:00-24:00"}
    )
    assert after == Restriction("after_hours", WorkingHours(time(7), time.max, frozenset({0, 5})))
    for bad in (
        "business",
        {"when": "nights"},
        {"when": "after_hours", "hours": "17:00-08:00"},
        {"when": "after_hours", "days": []},
        {"when": "after_hours", "days": ["Xyz"]},
        {"when": "after_hours", "colour": "red"},
    ):
        with pytest.raises(ValueError, match="restriction|weekday"):
            parse_restriction(bad)


# --- rotations --------------------------------------------------------------------------------


def test_weekly_rotation_hands_off_on_monday_morning() -> None:
    rota = Rota((rotation(),))
    assert who(rota, berlin(2026, 11, 2, 7, 59)) == []  # before the first hand-off
    assert who(rota, berlin(2026, 11, 2, 8, 0)) == ["jonas"]
    assert who(rota, berlin(2026, 11, 9, 7, 59)) == ["jonas"]
    assert who(rota, berlin(2026, 11, 9, 8, 0)) == ["anna"]
    assert who(rota, berlin(2026, 11, 16, 8, 0)) == ["jonas"]


def test_weekday_picks_the_first_handoff_after_start() -> None:
    rota = Rota((rotation(start=date(2026, 11, 4)),))  # a Wednesday
    assert who(rota, berlin(2026, 11, 8, 12, 0)) == []
    assert who(rota, berlin(2026, 11, 9, 8, 0)) == ["jonas"]


def test_twelve_hour_shifts_stay_on_the_wall_clock_across_dst() -> None:
    rota = Rota((rotation(shift="12h", handoff="08:00", start=date(2026, 3, 27)),))
    # 27 Mar 08:00 jonas, 20:00 anna, 28 Mar 08:00 jonas, 20:00 anna, 29 Mar 08:00 (CEST) jonas.
    assert who(rota, berlin(2026, 3, 29, 7, 59)) == ["anna"]
    assert who(rota, berlin(2026, 3, 29, 8, 0)) == ["jonas"]
    night = rota.shifts(berlin(2026, 3, 28, 20, 0), berlin(2026, 3, 29, 8, 0))
    assert [(s.engineer, s.ends_at - s.starts_at) for s in night] == [("anna", timedelta(hours=11))]


def test_handoff_in_the_spring_gap_happens_when_the_clocks_jump() -> None:
    rota = Rota((rotation(shift="1d", handoff="02:30", start=date(2026, 3, 27)),))
    jump = utc(2026, 3, 29, 1, 0)  # 02:00 CET becomes 03:00 CEST
    assert instant(datetime(2026, 3, 29, 2, 30), BERLIN) == jump
    assert who(rota, jump - timedelta(seconds=1)) == ["anna"]
    assert who(rota, jump) == ["jonas"]
    shifts = rota.shifts(utc(2026, 3, 28, 0), utc(2026, 3, 31, 0))
    assert [s.ends_at - s.starts_at for s in shifts[1:-1]] == [
        timedelta(hours=23, minutes=30),  # 28 Mar 02:30 CET -> the jump
        timedelta(hours=23, minutes=30),  # the jump (03:00 CEST) -> 30 Mar 02:30 CEST
    ]


def test_handoff_in_the_autumn_fold_happens_at_its_first_occurrence() -> None:
    rota = Rota((rotation(shift="1d", handoff="02:30", start=date(2026, 10, 23)),))
    first = utc(2026, 10, 25, 0, 30)  # 02:30 CEST; 02:30 CET is an hour later
    assert instant(datetime(2026, 10, 25, 2, 30), BERLIN) == first
    assert who(rota, first - timedelta(seconds=1)) == ["anna"]
    assert who(rota, first) == ["jonas"]
    assert who(rota, first + timedelta(hours=1)) == ["jonas"]  # the second 02:30: no hand-off
    shifts = rota.shifts(utc(2026, 10, 24, 12), utc(2026, 10, 26, 12))
    assert [s.ends_at - s.starts_at for s in shifts[1:-1]] == [timedelta(hours=25)]


def test_weekly_handoff_across_october_change() -> None:
    rota = Rota((rotation(start=date(2026, 10, 19)),))
    assert who(rota, berlin(2026, 10, 26, 7, 59)) == ["jonas"]
    assert who(rota, berlin(2026, 10, 26, 8, 0)) == ["anna"]
    (week,) = rota.shifts(berlin(2026, 10, 19, 8, 0), berlin(2026, 10, 26, 8, 0))
    assert week.ends_at - week.starts_at == timedelta(days=7, hours=1)


# --- restrictions and holidays ------------------------------------------------------------


def day_and_night() -> Rota:
    """The fixed contact during business hours, the rotation after hours and on holidays."""
    return Rota(
        (
            rotation(("lena",), restriction={"when": "business_hours"}, key="day"),
            rotation(restriction={"when": "after_hours"}, key="night"),
        )
    )


def test_fixed_contact_by_day_rotation_at_night() -> None:
    rota = day_and_night()
    assert who(rota, berlin(2026, 12, 1, 10, 0)) == ["lena"]  # Tuesday morning
    assert who(rota, berlin(2026, 12, 1, 17, 0)) == ["jonas"]  # week of 30 Nov: shift 4
    assert who(rota, berlin(2026, 12, 5, 10, 0)) == ["jonas"]  # Saturday


def test_public_holiday_counts_as_after_hours_per_state() -> None:
    christmas = berlin(2026, 12, 25, 10, 0)  # a Friday
    assert who(day_and_night(), christmas) == ["anna"]
    # Epiphany (6 Jan) is a holiday in Bavaria, not in Berlin.
    epiphany = berlin(2027, 1, 6, 10, 0)
    assert who(day_and_night(), epiphany) == ["lena"]
    bavaria = Rota(day_and_night().rotations, region="BY")
    assert who(bavaria, epiphany) != ["lena"]


# --- overrides, absences, swaps -------------------------------------------------------------


def test_override_replaces_and_adds() -> None:
    at = berlin(2026, 12, 25, 3, 0)  # anna's week (shift 7)
    rota = Rota(
        (rotation(),),
        overrides=(
            override("lena", "anna", berlin(2026, 12, 24, 18), berlin(2026, 12, 27, 8)),
            override("jonas", None, berlin(2026, 12, 24, 18), berlin(2026, 12, 27, 8), "secondary"),
        ),
    )  # fmt: skip
    assert who(rota, at) == ["lena"]
    assert who(rota, at, "secondary") == ["jonas"]
    assert who(rota, berlin(2026, 12, 27, 8, 0)) == ["anna"]  # the override ends


def test_override_for_someone_off_shift_changes_nothing() -> None:
    rota = Rota(
        (rotation(),),
        overrides=(override("lena", "jonas", berlin(2026, 12, 24), berlin(2026, 12, 27)),),
    )  # fmt: skip
    assert who(rota, berlin(2026, 12, 25, 3)) == ["anna"]


def test_absence_next_member_covers_and_override_can_name_the_absent() -> None:
    away = Absence("anna", berlin(2026, 12, 20), berlin(2027, 1, 1), "vacation")
    at = berlin(2026, 12, 25, 3, 0)
    rota = Rota((rotation(("anna", "jonas", "lena")),), absences=(away,))
    # the week of 14 Dec (shift 6) is anna's: jonas covers
    assert who(rota, berlin(2026, 12, 21, 3)) == ["jonas"]
    (entry,) = rota.on_call(berlin(2026, 12, 21, 3))
    assert entry.reason == "covers for anna (vacation) in rotation blau-primary"
    with_override = Rota(
        rota.rotations,
        overrides=(override("lena", "anna", berlin(2026, 12, 14), berlin(2026, 12, 22)),),
        absences=(away,),
    )  # fmt: skip
    assert who(with_override, berlin(2026, 12, 21, 3)) == ["lena"]
    assert who(with_override, at) == ["jonas"]  # shift 7 of three is jonas's


def test_everybody_absent_leaves_a_gap() -> None:
    absences = tuple(
        Absence(e, berlin(2026, 12, 1), berlin(2026, 12, 2)) for e in ("jonas", "anna")
    )
    assert who(Rota((rotation(),), absences=absences), berlin(2026, 12, 1, 12)) == []


def test_absent_override_engineer_leaves_the_rotation_standing() -> None:
    rota = Rota(
        (rotation(),),
        overrides=(override("lena", "jonas", berlin(2026, 12, 1), berlin(2026, 12, 3)),),
        absences=(Absence("lena", berlin(2026, 12, 1), berlin(2026, 12, 2), "sick"),),
    )  # fmt: skip
    assert who(rota, berlin(2026, 12, 1, 12)) == ["jonas"]
    assert who(rota, berlin(2026, 12, 2, 12)) == ["lena"]


def test_swap_exchanges_two_shifts() -> None:
    weekly = rotation()
    first, second = swap(weekly, berlin(2026, 12, 1, 12), berlin(2026, 12, 8, 12))
    rota = Rota((weekly,), overrides=(first, second))
    assert who(rota, berlin(2026, 12, 1, 12)) == ["anna"]
    assert who(rota, berlin(2026, 12, 8, 12)) == ["jonas"]
    assert who(rota, berlin(2026, 12, 15, 12)) == ["jonas"]  # untouched
    assert first.starts_at == berlin(2026, 11, 30, 8) and first.ends_at == berlin(2026, 12, 7, 8)
    with pytest.raises(ValueError, match="nothing to swap"):
        swap(weekly, berlin(2026, 12, 1, 12), berlin(2026, 12, 15, 12))

"""Holiday regions: the sub-regional holidays count where the law says, on dates from the law.

The expected dates are written out here from the laws and the church calendar, not computed by
the `holidays` package under test:
- Bayerisches Feiertagsgesetz Art. 1: Mariä Himmelfahrt (15 August) in the municipalities with
  a predominantly Catholic population; the Augsburger Hohes Friedensfest (8 August) in the city
  of Augsburg.
- Sächsisches Sonn- und Feiertagsgesetz § 1 with its Fronleichnam ordinance, Thüringer
  Feiertagsgesetz § 2: Fronleichnam in named municipalities only.
- Fronleichnam is the Thursday 60 days after Easter Sunday: Easter 2026 is 5 April, so
  4 June 2026; Easter 2027 is 28 March, so 27 May 2027.
- Buß- und Bettag (Saxony): the Wednesday before 23 November, 18 November 2026.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from escalation import regions
from escalation.rota import Handoff, Restriction, Rota, Rotation, is_holiday
from escalation.slots import WorkingHours
from hotline.appointments import Planning


@pytest.mark.parametrize(
    ("region", "day", "holiday"),
    [
        ("BY", date(2026, 8, 15), False),  # the whole state: not in Protestant municipalities
        ("BY-catholic", date(2026, 8, 15), True),
        ("BY-catholic", date(2027, 8, 15), True),
        ("BY-catholic", date(2026, 8, 8), False),
        ("BY-Augsburg", date(2026, 8, 8), True),
        ("BY-Augsburg", date(2026, 8, 15), True),
        ("BY-Augsburg", date(2026, 6, 4), True),  # and every Bavarian holiday
        ("BY", date(2026, 6, 4), True),
        ("SN", date(2026, 6, 4), False),
        ("SN-catholic", date(2026, 6, 4), True),
        ("SN-catholic", date(2027, 5, 27), True),
        ("SN-catholic", date(2026, 11, 18), True),  # and every Saxon holiday
        ("TH", date(2026, 6, 4), False),
        ("TH-catholic", date(2026, 6, 4), True),
        ("TH-catholic", date(2026, 9, 20), True),  # Weltkindertag, Thuringia only
        ("BE", date(2026, 6, 4), False),
        ("BE", date(2026, 3, 8), True),  # Frauentag, Berlin
        ("SL", date(2026, 8, 15), True),  # Saarland: Mariä Himmelfahrt state-wide
    ],
)
def test_sub_regional_holidays_count_on_the_days_of_the_law(
    region: str, day: date, holiday: bool
) -> None:
    assert regions.is_holiday(day, region) is holiday
    assert is_holiday(day, region) is holiday
    assert (day in regions.Holidays(region)) is holiday


def test_every_region_is_known_to_the_installed_holidays_package() -> None:
    """A name of ours that the package did not know would silently mean no holidays."""
    for region in regions.REGIONS.values():
        assert regions.days_off(region.name, 2026), region
    assert regions.days_off("BY-Augsburg", 2026) > regions.days_off("BY-catholic", 2026)


def test_only_our_names_are_regions() -> None:
    assert regions.check("BY-catholic") == "BY-catholic"
    for wrong in ("Augsburg", "BYP", "by", "Bayern", None, 9):
        with pytest.raises(ValueError, match="BY-Augsburg, SN-catholic"):
            regions.check(wrong)


def test_a_team_keeps_the_holidays_of_its_own_region() -> None:
    """Business hours end on a team's own holiday; the provider's region decides the others."""
    business = Restriction("business_hours")
    rotations = tuple(
        Rotation(team, team, "primary", (team,), timedelta(weeks=1), Handoff(None, time(8)),
                 date(2025, 1, 6), business)
        for team in ("munich", "berlin")
    )  # fmt: skip
    rota = Rota(rotations, region="BE", team_regions=(("munich", "BY-catholic"),))

    def on_call(*day: int) -> set[str]:
        return {o.team for o in rota.on_call(datetime(*day, 9, tzinfo=UTC))}  # 10 or 11:00

    assert on_call(2025, 8, 14) == {"munich", "berlin"}  # a Thursday
    assert on_call(2025, 8, 15) == {"berlin"}  # Mariä Himmelfahrt, a Friday
    assert on_call(2027, 5, 27) == {"berlin"}  # Fronleichnam: all Bavaria, not Berlin
    assert on_call(2027, 3, 8) == {"munich"}  # Frauentag: Berlin only
    assert rota.for_team("munich").region_of("munich") == "BY-catholic"
    assert rota.region_of("berlin") == "BE"


def test_planning_asks_the_region() -> None:
    planning = Planning(
        zone=ZoneInfo("Europe/Berlin"), hours=WorkingHours(), emergency=timedelta(),
        travel=timedelta(), step=timedelta(minutes=15), region="BY-Augsburg", dispatcher=None,
    )  # fmt: skip
    assert date(2026, 8, 8) in planning.holidays()
    assert date(2026, 8, 8) not in planning.holidays("BY-catholic")

"""Holiday regions: a German state, or the part of a state that keeps holidays of its own.

Public holidays are state law, and some hold only in part of a state: Mariä Himmelfahrt in the
Bavarian municipalities with a predominantly Catholic population, Fronleichnam in named
municipalities of Saxony and Thuringia, the Augsburger Hohes Friedensfest in the city of
Augsburg. A state code alone names the holidays of the whole state; a sub-region adds its own.

The dates come from the `holidays` package (its CATHOLIC category and its Augsburg
subdivision); pyproject.toml pins the versions whose German data is right, and
tests/test_regions.py checks them against dates written out from the laws. Our names are our
own, so a change of the package's names never changes what a provider's file means.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import holidays

PUBLIC, CATHOLIC = "public", "catholic"


@dataclass(frozen=True)
class Region:
    name: str  # what the directory says, e.g. "BY-catholic"
    subdiv: str  # the `holidays` package's subdivision
    categories: tuple[str, ...]
    meaning: str


STATES = {
    "BB": "Brandenburg",
    "BE": "Berlin",
    "BW": "Baden-Württemberg",
    "BY": "Bayern (without Mariä Himmelfahrt: see BY-catholic)",
    "HB": "Bremen",
    "HE": "Hessen",
    "HH": "Hamburg",
    "MV": "Mecklenburg-Vorpommern",
    "NI": "Niedersachsen",
    "NW": "Nordrhein-Westfalen",
    "RP": "Rheinland-Pfalz",
    "SH": "Schleswig-Holstein",
    "SL": "Saarland",
    "SN": "Sachsen (without Fronleichnam: see SN-catholic)",
    "ST": "Sachsen-Anhalt",
    "TH": "Thüringen (without Fronleichnam: see TH-catholic)",
}
SUBREGIONS = (
    Region(
        "BY-catholic",
        "BY",
        (PUBLIC, CATHOLIC),
        "Bayern, a municipality with a predominantly Catholic population (most of Bavaria, "
        "München among them): also Mariä Himmelfahrt, 15 August",
    ),
    Region(
        "BY-Augsburg",
        "Augsburg",
        (PUBLIC,),
        "the city of Augsburg: also Mariä Himmelfahrt and the Augsburger Hohes Friedensfest, "
        "8 August",
    ),
    Region(
        "SN-catholic",
        "SN",
        (PUBLIC, CATHOLIC),
        "Sachsen, the Catholic Sorbian municipalities where Fronleichnam is a holiday",
    ),
    Region(
        "TH-catholic",
        "TH",
        (PUBLIC, CATHOLIC),
        "Thüringen, where Fronleichnam is a holiday (Landkreis Eichsfeld and named "
        "municipalities of the Unstrut-Hainich-Kreis and the Wartburgkreis)",
    ),
)
REGIONS: dict[str, Region] = {
    code: Region(code, code, (PUBLIC,), meaning) for code, meaning in STATES.items()
} | {region.name: region for region in SUBREGIONS}
DEFAULT = "BE"


def check(name: object) -> str:
    """A region name as the directory may write it; ValueError listing the valid ones."""
    if not isinstance(name, str) or name not in REGIONS:
        raise ValueError(
            f"{name!r} is not a holiday region; one of {', '.join(REGIONS)} "
            "(a state code, or a state's sub-region with holidays of its own)"
        )
    return name


@lru_cache(maxsize=256)
def days_off(region: str, year: int) -> frozenset[date]:
    """The public holidays of a region in a year. An unknown name (never written by the
    directory import) counts as its state, or as the default state: a call is never refused
    over a holiday calendar."""
    spec = REGIONS.get(region) or REGIONS.get(region[:2]) or REGIONS[DEFAULT]
    return frozenset(
        holidays.country_holidays("DE", subdiv=spec.subdiv, years=year, categories=spec.categories)
    )


def is_holiday(day: date, region: str) -> bool:
    return day in days_off(region, day.year)


class Holidays:
    """A region's holidays as a container of dates, for any year (escalation/slots.py)."""

    def __init__(self, region: str) -> None:
        self.region = region

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and is_holiday(day, self.region)

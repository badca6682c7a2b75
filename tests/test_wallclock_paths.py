"""Every way a wall-clock time comes in gives the same instant, by the one documented rule.

Every hour of 2026-2028 (26,304 texts, at half past, so the spring gap's 02:30 and the autumn
fold's 02:30 are among them) in the provider's default zone, and every half hour of the days
around each clock change in Berlin and in New York (other days, other offsets), through: the
directory import's time fields (`from`, `until`, `start`, `end`; as text and as the datetime
YAML makes of a time with seconds), the appointments CSV import, iCalendar times (floating and
with a TZID), `--at` of the rota and appointment commands, `simulate-call --at`, and the rules
that lay out wall-clock times: a rotation's hand-off and the working hours' opening. Each
instant is checked against the rule itself, computed here without escalation/wallclock.py: a
time that exists is its first occurrence, a time in the gap is the moment the clocks jump.

Whole files are read end to end (the directory's YAML loader, icalendar's parser) around every
clock change; for the other hours the same import functions read the values those parsers give
(the pure-Python parsers would need about 30 s each for 26,304 entries).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event
from icalendar.prop import vDDDTypes
from pydantic import TypeAdapter

from escalation.rota import Rotation, parse_handoff
from escalation.slots import WorkingHours
from hotline import appointments
from hotline.cli import appointments as appointments_cli
from hotline.cli import rota as rota_cli
from hotline.cli import simulate
from hotline.directory import loader, read
from hotline.directory.schema import Context, Instant

ZONES = [ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")]
FIRST, LAST = datetime(2026, 1, 1, 0, 30), datetime(2029, 1, 1)
Path = Callable[[list[datetime], ZoneInfo], list[datetime]]  # wall-clock times in, instants out


def hours(first: datetime = FIRST, last: datetime = LAST) -> Iterator[datetime]:
    local = first
    while local < last:
        yield local
        local += timedelta(hours=1)


def by_the_rule(local: datetime, zone: ZoneInfo) -> datetime:
    """The documented rule, from the zone's two readings of the time (before and after a
    change); where neither reads back, minute by minute to where the clocks jump."""
    readings = sorted(local.replace(tzinfo=zone, fold=f).astimezone(UTC) for f in (0, 1))
    same = [r for r in readings if r.astimezone(zone).replace(tzinfo=None) == local]
    if same:
        return same[0]  # the first occurrence
    at = readings[0]
    while at.astimezone(zone).replace(tzinfo=None) < local:
        at += timedelta(minutes=1)
    return at


def change_days(zone: ZoneInfo) -> list[date]:
    """The days on which the zone's offset changes, with the day before and after."""
    days: set[date] = set()
    day = FIRST.date()
    while day < LAST.date():
        start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
        if start.utcoffset() != (start + timedelta(days=1)).utcoffset():
            days.update(day + timedelta(days=d) for d in (-1, 0, 1))
        day += timedelta(days=1)
    return sorted(days)


def texts(locals_: list[datetime]) -> list[str]:
    return [local.isoformat(timespec="minutes") for local in locals_]


# --- the ways in, each as the product calls it -------------------------------------------


def yaml_field(values: list[object], zone: ZoneInfo) -> list[datetime]:
    """The directory's time fields, on the values its YAML loader gives."""
    adapter = TypeAdapter(list[Instant])
    return adapter.validate_python(values, context=Context(zone))


def yaml_file(locals_: list[datetime], zone: ZoneInfo) -> list[datetime]:
    """A whole directory file: loader, schema, references, as `flask import` reads it."""
    lines = [
        f"provider: {{name: X, fallback_number: '+49 30 1234567', timezone: {zone.key}}}",
        "engineers: [{key: e, name: E}]",
        "appointments:",
    ]
    for i, text in enumerate(texts(locals_)):
        lines.append(f"  - {{key: a{i}, engineer: e, start: {text}, end: 2030-01-01T00:00}}")
    directory = read.validated(loader.parse("\n".join(lines) + "\n"))
    return [a.starts_at for a in directory.appointments]


def csv_import(locals_: list[datetime], zone: ZoneInfo) -> list[datetime]:
    text = "key;engineer;customer;start;end;title;onsite\n" + "".join(
        f"k{i};e;;{t};2030-01-01T00:00;x;\n" for i, t in enumerate(texts(locals_))
    )
    found = []
    for _, row in appointments.read_csv(text, zone):
        assert isinstance(row, appointments.Row), row
        found.append(row.start)
    return found


def ics_file(locals_: list[datetime], zone: ZoneInfo, tzid: bool) -> list[datetime]:
    """A whole calendar export, floating times or times with the provider's TZID."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//wallclock//EN"]
    where = f";TZID={zone.key}" if tzid else ""
    for i, local in enumerate(locals_):
        stamp = local.strftime("%Y%m%dT%H%M%S")
        lines += ["BEGIN:VEVENT", f"UID:{i}", f"DTSTART{where}:{stamp}"]
        lines += [f"DTEND{where}:20300101T000000", "END:VEVENT"]
    data = ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode()
    events = Calendar.from_ical(data).walk("VEVENT")
    return [appointments.event_times(event, zone)[0] for event in events]


def ics_values(locals_: list[datetime], zone: ZoneInfo, tzid: bool) -> list[datetime]:
    """An event holding, in turn, the values icalendar's parser makes of each DTSTART."""
    found = []
    event = Event()
    event.add("dtend", vDDDTypes.from_ical("20300101T000000"))
    where = zone.key if tzid else None
    for local in locals_:
        stamp = local.strftime("%Y%m%dT%H%M%S")
        event["DTSTART"] = vDDDTypes(vDDDTypes.from_ical(stamp, timezone=where))
        found.append(appointments.event_times(event, zone)[0])
    return found


def rota_handoff(locals_: list[datetime], zone: ZoneInfo) -> list[datetime]:
    """A rotation's first hand-off at that wall-clock time (`handoff: "HH:MM"`, `start`)."""
    return [
        Rotation(
            "k", "t", "primary", ("a",), timedelta(days=1), parse_handoff(f"{local:%H:%M}"),
            local.date(),
        ).boundary(0, zone)
        for local in locals_
    ]  # fmt: skip


def working_hours(locals_: list[datetime], zone: ZoneInfo) -> list[datetime]:
    """The instant working hours (`settings.working_hours.start`) open on that day."""
    found = []
    for local in locals_:
        hours = WorkingHours.from_settings({"start": f"{local:%H:%M}", "days": list(range(7))})
        found.append(hours.span(local.date(), zone)[0])
    return found


def each(parse: Callable[[str, ZoneInfo], datetime]) -> Path:
    return lambda locals_, zone: [parse(text, zone) for text in texts(locals_)]


PATHS: dict[str, Path] = {
    "directory field, YAML text": lambda ls, zone: yaml_field(texts(ls), zone),
    "directory field, YAML datetime": lambda ls, zone: yaml_field(list(ls), zone),
    "appointments CSV": csv_import,
    "iCalendar floating": lambda ls, zone: ics_values(ls, zone, tzid=False),
    "iCalendar TZID": lambda ls, zone: ics_values(ls, zone, tzid=True),
    "oncall/chain/gaps/swap --at": each(rota_cli.parse_time),
    "appointment commands --at": each(appointments_cli.wall_clock),
    "simulate-call --at": each(simulate.start),
    "rota hand-off": rota_handoff,
    "working hours": working_hours,
}
WHOLE_FILES: dict[str, Path] = {
    "directory file (YAML)": yaml_file,
    "iCalendar file, floating": lambda ls, zone: ics_file(ls, zone, tzid=False),
    "iCalendar file, TZID": lambda ls, zone: ics_file(ls, zone, tzid=True),
}


def check(paths: dict[str, Path], locals_: list[datetime], zone: ZoneInfo) -> None:
    expected = [by_the_rule(local, zone) for local in locals_]
    for name, path in paths.items():
        found = path(locals_, zone)
        wrong = [
            (str(local), str(got), str(rule))
            for local, got, rule in zip(locals_, found, expected, strict=True)
            if got != rule
        ]
        assert not wrong, (zone.key, name, len(wrong), wrong[:3])


def test_every_hour_of_three_years_is_one_instant_on_every_path() -> None:
    check(PATHS, list(hours()), ZONES[0])


@pytest.mark.parametrize("zone", ZONES, ids=lambda z: z.key)
def test_whole_files_around_every_clock_change(zone: ZoneInfo) -> None:
    days = change_days(zone)
    assert len(days) == 3 * 2 * 3
    locals_ = [
        datetime.combine(day, datetime.min.time()) + timedelta(hours=h, minutes=m)
        for day in days
        for h in range(24)
        for m in (0, 30)
    ]
    check({**WHOLE_FILES, **PATHS}, locals_, zone)


def test_the_spring_gap_is_one_instant_from_yaml_csv_and_at() -> None:
    """The issue's case: 2026-03-29 02:30 was 01:00Z through the rota and 01:30Z through
    appointments and slots; now it is 01:00Z (03:00 CEST) everywhere."""
    berlin = ZONES[0]
    spring = [datetime(2026, 3, 29, 2, 30)]
    found = {name: path(spring, berlin) for name, path in {**WHOLE_FILES, **PATHS}.items()}
    assert set(map(tuple, found.values())) == {(datetime(2026, 3, 29, 1, 0, tzinfo=UTC),)}

"""The directory file: import, export, idempotence, all-or-nothing, errors naming the field."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from sqlalchemy import func, select

from hotline.directory import (
    DirectoryError,
    dump,
    export_directory,
    import_directory,
    import_file,
)
from hotline.models import Absence, Customer, Engineer, Override, Phone, Rotation, Team

# The example of design/directory-format.md, with the customer and team it refers to.
EXAMPLE = """
provider:
  name: Solutionbar IT-Service
  central_number: "+49 30 9876540"
  fallback_number: "+49 171 5550000"
  support_email: support@example.de
  timezone: Europe/Berlin
  holiday_region: BE

teams:
  - key: blau
    name: Team Blau
    project_lead: anna
  - key: gruen
    name: Team Grün

engineers:
  - key: anna
    name: Anna Schmidt
    team: blau
    role: project_lead
    mobile: "0171 2345678"
    email: anna@example.de
  - key: jonas
    name: Jonas Weber
    team: blau
    role: consultant
    mobile: "+49 (0)172 3456789"

customers:
  - number: "10042"
    name: Müller Maschinenbau GmbH
    team: blau
    contact: jonas
    language: de
    pin: "4711"
    phones:
      - number: "030 1234567"
        label: Empfang
      - block: "+49 30 123456"
        label: Telefonanlage
    contract:
      monthly_hours: 10
      hourly_rate: "120.00"
      billing_increment_minutes: 15
      surcharge_percent: 50
      surcharge_flat: "0.00"
  - number: "10077"
    name: Bäckerei <Körner> & Co
    team: blau
    language: en

rotations:
  - team: blau
    layer: primary
    members: [jonas, anna]
    shift: 1w
    handoff: "Mon 08:00"
    start: "2026-11-02"

overrides:
  - engineer: anna
    replaces: jonas
    team: blau
    from: "2026-12-24T18:00"
    until: "2026-12-27T08:00"

absences:
  - engineer: jonas
    from: "2026-12-28"
    until: "2027-01-04"
    reason: vacation

appointments:
  - key: apt-2026-1201-jonas-1
    engineer: jonas
    customer: "10077"
    start: "2026-12-01T09:00"
    end: "2026-12-01T12:00"
    title: JourFixe vor Ort
    onsite: true
"""


@pytest.fixture
def example() -> dict[str, Any]:
    return yaml.safe_load(EXAMPLE)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def count(session: Any, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_import_stores_e164_utc_and_decimals(
    app: Flask, session: Any, example: dict[str, Any]
) -> None:
    summary = import_directory(session, example)
    assert summary.counts["customers"]["created"] == 2
    jonas = session.scalars(select(Engineer).where(Engineer.key == "jonas")).one()
    assert jonas.mobile == "+491723456789"
    assert jonas.team.key == "blau"
    blau = session.scalars(select(Team).where(Team.key == "blau")).one()
    assert blau.project_lead.key == "anna"
    mueller = session.scalars(select(Customer).where(Customer.number == "10042")).one()
    assert [(p.kind, p.value, p.label) for p in mueller.phones] == [
        ("number", "+49301234567", "Empfang"),
        ("block", "+4930123456", "Telefonanlage"),
    ]
    assert (mueller.contact.key, mueller.pin, mueller.language) == ("jonas", "4711", "de")
    assert mueller.contract.hourly_rate == Decimal("120.00")
    assert isinstance(mueller.contract.hourly_rate, Decimal)
    assert mueller.contract.surcharge_percent == Decimal("50")
    override = session.scalars(select(Override)).one()
    # wall-clock times in Europe/Berlin (CET in December): 18:00 -> 17:00 UTC
    assert (override.starts_at, override.ends_at) == (utc(2026, 12, 24, 17), utc(2026, 12, 27, 7))
    assert override.replaces.key == "jonas"
    absence = session.scalars(select(Absence)).one()
    # whole days: from 00:00 of "from" to 00:00 of the day after "until"
    assert (absence.starts_at, absence.ends_at) == (utc(2026, 12, 27, 23), utc(2027, 1, 4, 23))
    rotation = session.scalars(select(Rotation)).one()
    assert rotation.key == "blau-primary"
    assert [m.engineer.key for m in rotation.members] == ["jonas", "anna"]
    assert json.loads((Path(app.instance_path) / "fallback.json").read_text()) == {
        "fallback_number": "+491715550000"
    }


def test_second_import_changes_nothing(session: Any, example: dict[str, Any]) -> None:
    import_directory(session, example)
    before = export_directory(session)
    summary = import_directory(session, copy.deepcopy(example))
    assert not summary.changed
    assert summary.lines() == ["nothing changed"]
    assert export_directory(session) == before


def test_export_then_import_is_a_no_op(session: Any, example: dict[str, Any]) -> None:
    import_directory(session, example)
    exported = export_directory(session)
    text = dump(exported)
    assert "Müller Maschinenbau GmbH" in text and "Bäckerei <Körner> & Co" in text
    assert exported["absences"] == [
        {"engineer": "jonas", "from": "2026-12-28", "until": "2027-01-04", "reason": "vacation"}
    ]
    assert exported["overrides"][0]["from"] == "2026-12-24T18:00"
    summary = import_directory(session, yaml.safe_load(text))
    assert not summary.changed, summary.lines()
    assert export_directory(session) == exported


def test_changes_are_upserts(session: Any, example: dict[str, Any]) -> None:
    import_directory(session, example)
    changed = copy.deepcopy(example)
    mueller = changed["customers"][0]
    mueller["phones"] = [{"number": "030 1234567", "label": "Zentrale"}]  # block removed
    mueller["contract"]["hourly_rate"] = "125.50"
    changed["rotations"] = []
    changed["engineers"] = changed["engineers"][:1]  # jonas left
    changed["customers"][0]["contact"] = None
    changed["rotations"] = []
    changed["overrides"] = []
    changed["absences"] = []
    changed["appointments"] = []
    changed["customers"] = changed["customers"][:1]
    summary = import_directory(session, changed)
    assert summary.counts["customers"] == {"updated": 1, "kept": 1}
    assert summary.counts["engineers"] == {"deactivated": 1}
    assert summary.counts["rotations"] == {"ended": 1}  # at the next hand-off, its past stays
    assert summary.counts["overrides"] == {"removed": 1}
    assert "customers not in the file, kept unchanged: 10077" in summary.lines()
    customer = session.scalars(select(Customer).where(Customer.number == "10042")).one()
    assert [(p.kind, p.label) for p in customer.phones] == [("number", "Zentrale")]
    assert customer.contract.hourly_rate == Decimal("125.50")
    assert count(session, Phone) == 1
    jonas = session.scalars(select(Engineer).where(Engineer.key == "jonas")).one()
    assert jonas.active is False
    assert not import_directory(session, copy.deepcopy(changed)).changed


def test_bad_file_lists_every_error_and_changes_nothing(
    session: Any, example: dict[str, Any]
) -> None:
    import_directory(session, example)
    before = export_directory(session)
    bad = copy.deepcopy(example)
    bad["engineers"].append({"key": "jonas", "name": "Jonas Zwei", "team": "gruen"})
    bad["engineers"].append({"key": "ole", "name": "Ole", "team": "lila", "mobile": "0171"})
    bad["customers"][0]["phones"][0]["number"] = "030 12"
    bad["customers"][1]["number"] = "10042"
    bad["customers"].append(
        {"number": "10099", "name": "X", "team": "blau", "contact": "nobody", "langauge": "de"}
    )
    bad["rotations"][0]["members"].append("ghost")
    bad["rotations"][0]["shift"] = "3x"
    bad["rotations"].append({"team": "blau", "members": ["anna"], "start": "2026-02-30"})
    bad["overrides"][0]["until"] = "2026-12-24T17:00"
    bad["absences"][0]["from"] = "28.12.2026"
    bad["appointments"][0]["customer"] = "55555"
    bad["teams"][0]["policy"] = {"levels": ["own-primary"]}
    with pytest.raises(DirectoryError) as caught:
        import_directory(session, bad)
    errors = caught.value.errors
    expected = [
        'engineers[2] (jonas).key: duplicate key "jonas" (also engineers[1] (jonas))',
        'engineers[3] (ole).team: unknown team "lila"',
        'engineers[3] (ole).mobile: "0171" is not a valid phone number',
        'customers[0] (10042).phones[0].number: "030 12" is not a valid phone number',
        'customers[1] (10042).number: duplicate number "10042" (also customers[0] (10042))',
        "customers[2] (10099).langauge: unknown field",
        'customers[2] (10099).contact: unknown engineer "nobody"',
        'rotations[0].members[2]: unknown engineer "ghost"',
        "rotations[0].shift: shift '3x'",
        'rotations[1].key: duplicate key "blau-primary" (also rotations[0])',
        'rotations[1].start: "2026-02-30" is not a date',
        "overrides[0].until: must be after the start",
        'absences[0].from: "28.12.2026" is not a date',
        'appointments[0] (apt-2026-1201-jonas-1).customer: unknown customer number "55555"',
        "teams[0] (blau).policy: ",
    ]
    for line in expected:
        assert any(error.startswith(line) for error in errors), (line, errors)
    assert export_directory(session) == before


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"provider": None}, "provider: is required"),
        ({"teams": {"key": "x"}}, "teams: expected a list"),
        ({"kunden": []}, "kunden: unknown section"),
    ],
)
def test_shape_errors(
    session: Any, example: dict[str, Any], change: dict[str, Any], error: str
) -> None:
    with pytest.raises(DirectoryError) as caught:
        import_directory(session, example | change)
    assert any(e.startswith(error) for e in caught.value.errors), caught.value.errors
    assert count(session, Customer) == 0


def test_daylight_saving_times_round_trip(session: Any, example: dict[str, Any]) -> None:
    """Autumn's repeated hour: no offset means the first; an offset picks the second."""
    example["overrides"] = [
        {"engineer": "anna", "team": "blau", "from": start, "until": until}
        for start, until in [
            ("2026-10-25T02:30", "2026-10-25T08:00"),
            ("2026-10-25T02:30+01:00", "2026-10-25T09:00"),
            ("2027-03-28T02:30", "2027-03-28T08:00"),
        ]
    ]
    import_directory(session, example)
    starts = [o.starts_at for o in session.scalars(select(Override).order_by(Override.starts_at))]
    # 02:30 CEST, 02:30 CET, and the spring gap's 02:30 is the moment the clocks jump (03:00 CEST)
    assert starts == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30), utc(2027, 3, 28, 1)]
    exported = export_directory(session)
    assert [o["from"] for o in exported["overrides"]] == [
        "2026-10-25T02:30",
        "2026-10-25T02:30+01:00",
        "2027-03-28T03:00",
    ]
    assert not import_directory(session, exported).changed


def test_absence_with_times_and_summer_days(session: Any, example: dict[str, Any]) -> None:
    example["absences"] = [
        {"engineer": "jonas", "from": "2026-07-06", "until": "2026-07-06", "reason": "sick"},
        {"engineer": "anna", "from": "2026-12-01T12:00", "until": "2026-12-02"},
    ]
    import_directory(session, example)
    rows = session.scalars(select(Absence).order_by(Absence.starts_at)).all()
    assert [(a.starts_at, a.ends_at) for a in rows] == [
        (utc(2026, 7, 5, 22), utc(2026, 7, 6, 22)),  # one whole summer day (CEST)
        (utc(2026, 12, 1, 11), utc(2026, 12, 2, 23)),
    ]
    assert export_directory(session)["absences"][1] == {
        "engineer": "anna",
        "from": "2026-12-01T12:00",
        "until": "2026-12-02",
    }


def test_import_file_reports_yaml_errors(session: Any, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("provider: [unclosed\n")
    with pytest.raises(DirectoryError, match="broken.yaml"):
        import_file(session, broken)


def test_cli_import_export(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    good = tmp_path / "directory.yaml"
    good.write_text(EXAMPLE, encoding="utf-8")
    result = runner.invoke(args=["import", str(good)])
    assert result.exit_code == 0, result.output
    assert "customers: 2 created" in result.output
    assert runner.invoke(args=["import", str(good)]).output.strip() == "nothing changed"

    result = runner.invoke(args=["export"])
    assert result.exit_code == 0
    assert yaml.safe_load(result.output)["customers"][0]["phones"][0] == {
        "number": "+49 30 1234567",
        "label": "Empfang",
    }
    out = tmp_path / "out.yaml"
    assert runner.invoke(args=["export", str(out)]).exit_code == 0
    assert yaml.safe_load(out.read_text(encoding="utf-8")) == yaml.safe_load(result.output)

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        EXAMPLE.replace('"030 1234567"', '"030 12"').replace(
            "team: blau\n    role", "team: rosa\n    role", 1
        )
    )
    result = runner.invoke(args=["import", str(bad)])
    assert result.exit_code == 1
    assert "nothing changed. 2 error(s)" in result.output
    assert (
        'customers[0] (10042).phones[0].number: "030 12" is not a valid phone number'
        in result.output
    )
    assert 'engineers[0] (anna).team: unknown team "rosa"' in result.output


def test_import_file_keeps_leading_zeros(session: Any, tmp_path: Path) -> None:
    """Unquoted `0123` is the octal 83 in YAML 1.1; a PIN or customer number must stay as typed."""
    path = tmp_path / "directory.yaml"
    text = EXAMPLE.replace('pin: "4711"', "pin: 0123").replace('"10077"', "010077")
    path.write_text(text.replace('handoff: "Mon 08:00"', "handoff: 8:00"), encoding="utf-8")
    import_file(session, path)
    numbers = session.scalars(select(Customer.number).order_by(Customer.number)).all()
    assert numbers == ["010077", "10042"]
    pin = session.scalars(select(Customer.pin).where(Customer.number == "10042")).one()
    assert pin == "0123"
    assert session.scalars(select(Rotation.handoff)).one() == "8:00"


@pytest.mark.parametrize(
    ("path", "value", "error"),
    [
        (
            ("engineers", 1, "key"),
            "j" * 65,
            "engineers[1] (" + "j" * 65 + ").key: is longer than 64",
        ),
        (("absences", 0, "reason"), "r" * 65, "absences[0].reason: is longer than 64"),
        (("customers", 0, "phones", 0, "label"), "l" * 101, "customers[0] (10042).phones[0].label"),
        (("customers", 0, "contract", "monthly_hours"), 1000000, "customers[0] (10042).contract."),
        (("rotations", 0, "shift"), "99999999999999w", "rotations[0].shift: shift"),
        (("absences", 0, "until"), "9999-12-31", "absences[0].until: date value out of range"),
        (("overrides", 0, "from"), "0001-01-01T00:00", "overrides[0].from: date value out of"),
    ],
)
def test_values_must_fit_their_columns(
    session: Any, example: dict[str, Any], path: tuple[Any, ...], value: Any, error: str
) -> None:
    """PostgreSQL refuses what does not fit (SQLite keeps it): an error naming the field instead."""
    *parents, name = path
    item = example
    for step in parents:
        item = item[step]
    item[name] = value
    with pytest.raises(DirectoryError) as caught:
        import_directory(session, example)
    assert any(e.startswith(error) for e in caught.value.errors), caught.value.errors
    assert count(session, Customer) == 0

"""A customer's JourFixe in the directory file: imported into the database, exported as it was
written (export -> import changes nothing), changed and removed by the file, and every wrong
value refused with its entry and field."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from test_directory import EXAMPLE

from hotline.directory import DirectoryError, import_directory
from hotline.directory.export import dump, export_directory
from hotline.models import Customer, GLJourFixe, JourFixe

JOURFIXE = {
    "project_lead": "anna",
    "status_recipients": ["it@mueller.example", "gf@mueller.example"],
    "jourfixe": {"weekday": "Tue", "time": "10:00", "every_weeks": 2, "start": "2026-11-23",
                 "minutes": 90},
    # the second is the autumn hour that exists twice: the later one, with its offset
    "gl_jourfixe": ["2026-06-25T14:00", "2026-10-25T02:30+01:00"],
}  # fmt: skip


@pytest.fixture
def example() -> dict[str, Any]:
    data = yaml.safe_load(EXAMPLE)
    data["customers"][0] |= copy.deepcopy(JOURFIXE)
    return data


def mueller(session: Any) -> Customer:
    return session.scalars(select(Customer).where(Customer.number == "10042")).one()


def test_the_jourfixe_is_stored_and_exported_as_written(session: Any, example: Any) -> None:
    import_directory(session, example)
    c = mueller(session)
    assert c.project_lead is not None and c.project_lead.key == "anna"
    assert c.status_recipients == ["it@mueller.example", "gf@mueller.example"]
    j = c.jourfixe
    assert j is not None
    rhythm = (j.weekday, j.at, j.every_weeks, j.start, j.minutes)
    assert rhythm == (1, "10:00", 2, date(2026, 11, 23), 90)
    assert [g.at for g in c.gl_jourfixes] == [
        datetime(2026, 6, 25, 12, 0, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    ]  # fmt: skip
    exported = export_directory(session)
    written = exported["customers"][0]
    assert {k: written[k] for k in JOURFIXE} == JOURFIXE
    assert "jourfixe" not in exported["customers"][1]  # 10077 has none
    again = yaml.safe_load(dump(exported))
    assert not import_directory(session, again, accept_warnings=True).changed


def test_the_file_changes_and_removes_it(session: Any, example: Any) -> None:
    import_directory(session, example)
    example["customers"][0]["jourfixe"]["time"] = "9:30"
    example["customers"][0]["gl_jourfixe"] = ["2026-12-17T14:00"]
    summary = import_directory(session, example)
    assert summary.counts["customers"]["updated"] == 1
    c = mueller(session)
    assert c.jourfixe is not None and c.jourfixe.at == "09:30"
    assert [g.at for g in c.gl_jourfixes] == [datetime(2026, 12, 17, 13, 0, tzinfo=UTC)]
    for key in JOURFIXE:
        del example["customers"][0][key]
    import_directory(session, example)
    c = mueller(session)
    assert (c.jourfixe, c.gl_jourfixes, c.project_lead, c.status_recipients) == (None, [], None,
                                                                                 None)  # fmt: skip
    assert session.scalars(select(JourFixe)).all() == []
    assert session.scalars(select(GLJourFixe)).all() == []


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"jourfixe": {"weekday": "Dienstag", "time": "10:00", "start": "2026-11-23"}},
         'customers[0] (10042).jourfixe.weekday: "Dienstag": expected one of Mon, Tue'),
        ({"jourfixe": {"weekday": "Tue", "time": 600, "start": "2026-11-23"}},
         'customers[0] (10042).jourfixe.time: "600": write the time in quotes, e.g. "10:00"'),
        ({"jourfixe": {"weekday": "Tue", "time": "25:00", "start": "2026-11-23"}},
         'customers[0] (10042).jourfixe.time: "25:00": expected HH:MM'),
        ({"jourfixe": {"weekday": "Tue", "time": "10:00", "start": "2026-11-23",
                       "every_weeks": 0}},
         'customers[0] (10042).jourfixe.every_weeks: "0" is not a number of weeks (1 to 52)'),
        ({"jourfixe": {"weekday": "Tue", "time": "10:00"}},
         "customers[0] (10042).jourfixe.start: is required"),
        ({"jourfixe": {"weekday": "Tue", "time": "10:00", "start": "2026-11-23", "day": 3}},
         "customers[0] (10042).jourfixe.day: unknown field"),
        ({"project_lead": "ole"}, 'customers[0] (10042).project_lead: unknown engineer "ole"'),
        ({"status_recipients": ["chef"]},
         'customers[0] (10042).status_recipients[0]: "chef" is not an e-mail address'),
        ({"status_recipients": [f"a{i}@x.example" for i in range(11)]},
         "customers[0] (10042).status_recipients: at most 10 addresses"),
        ({"gl_jourfixe": ["2026-12-17T14:00", "2026-12-17T14:00"]},
         "customers[0] (10042): gl_jourfixe: each date once"),
        ({"gl_jourfixe": ["bald"]},
         'customers[0] (10042).gl_jourfixe[0]: "bald" is not a date and time'),
    ],
)  # fmt: skip
def test_wrong_values_are_named(
    session: Any, example: dict[str, Any], change: dict[str, Any], error: str
) -> None:
    for key in JOURFIXE:
        del example["customers"][0][key]
    example["customers"][0] |= change
    with pytest.raises(DirectoryError) as refused:
        import_directory(session, example)
    assert any(e.startswith(error) for e in refused.value.errors), refused.value.errors
    assert session.scalars(select(Customer)).all() == []  # nothing imported

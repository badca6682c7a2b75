"""A contract's quota changes over time (the seed: start higher, lower it later): the directory
keeps its history, export writes it back as it was read, a bad history is named."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import yaml
from test_directory import EXAMPLE

from hotline import billing
from hotline.directory import DirectoryError, dump, export_directory, import_directory
from hotline.models import Customer

HISTORY = "[{since: '2026-01', hours: 30}, {since: 2026-07-01, hours: 7.5}]"


@pytest.fixture
def example() -> dict[str, Any]:
    data = yaml.safe_load(EXAMPLE)
    data["customers"][0]["contract"]["quota_history"] = yaml.safe_load(HISTORY)
    return data


def test_the_history_is_kept_billed_by_month_and_round_trips(
    session: Any, example: dict[str, Any]
) -> None:
    import_directory(session, example)
    mueller = session.query(Customer).filter_by(number="10042").one()
    assert mueller.contract.quota_history == [{"since": "2026-01", "hours": 30},
                                              {"since": "2026-07", "hours": "7.5"}]  # fmt: skip
    base = mueller.contract.monthly_hours
    by_month = {m: billing.terms(mueller.contract, m).monthly_hours
                for m in (date(2025, 12, 1), date(2026, 6, 1), date(2026, 7, 1))}  # fmt: skip
    assert by_month == {date(2025, 12, 1): base, date(2026, 6, 1): Decimal(30),
                        date(2026, 7, 1): Decimal("7.5")}  # fmt: skip
    exported = export_directory(session)
    assert exported["customers"][0]["contract"]["quota_history"] == [
        {"since": "2026-01", "hours": 30}, {"since": "2026-07", "hours": "7.5"},
    ]  # fmt: skip
    summary = import_directory(session, yaml.safe_load(dump(exported)))
    assert not summary.changed, summary.lines()
    plain = copy.deepcopy(example)
    del plain["customers"][0]["contract"]["quota_history"]
    assert import_directory(session, plain).changed  # taking it out is a change
    assert mueller.contract.quota_history == []


@pytest.mark.parametrize(
    ("history", "error"),
    [
        ("[{since: 2026-13, hours: 5}]", '.quota_history[0].since: "2026-13" is not a month'),
        ("[{since: 2026-01-15, hours: 5}]", '.since: "2026-01-15" is not a month'),
        ("[{since: '2026-01'}]", ".quota_history[0].hours: is required"),
        ("[{since: '2026-02', hours: 5}, {since: '2026-01', hours: 9}]",
         "quota_history: the months must be in order, each once"),
    ],
)  # fmt: skip
def test_a_bad_history_is_named(
    session: Any, example: dict[str, Any], history: str, error: str
) -> None:
    example["customers"][0]["contract"]["quota_history"] = yaml.safe_load(history)
    with pytest.raises(DirectoryError) as caught:
        import_directory(session, example)
    assert any(error in e for e in caught.value.errors), caught.value.errors

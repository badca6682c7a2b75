"""Billable time, quota and extra effort (pure rules, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from escalation.billing import Emergency, Terms, billable_minutes, month_lines, quota_share

T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "increment", "minimum", "billed"),
    [
        (0, 15, 0, 0),
        (1, 15, 0, 15),  # every started quarter-hour counts
        (15, 15, 0, 15),
        (16, 15, 0, 30),
        (16, 15, 60, 60),  # the minimum
        (61, 15, 60, 75),
        (7, 1, 0, 7),
        (31, 30, 0, 60),
    ],
)
def test_billable_minutes(raw: int, increment: int, minimum: int, billed: int) -> None:
    assert (
        billable_minutes(raw, Terms(increment_minutes=increment, minimum_minutes=minimum)) == billed
    )


def test_phone_time_counts_in_started_minutes_plus_logged_work() -> None:
    (line,) = month_lines([Emergency(1, T, phone_seconds=61, work_minutes=12)], Terms())
    assert (line.raw_minutes, line.billed_minutes) == (14, 15)


def test_the_quota_is_used_in_acceptance_order_then_extra_effort() -> None:
    terms = Terms(monthly_hours=Decimal("1.5"), hourly_rate=Decimal("100.00"))
    later = Emergency(2, T + timedelta(days=1), phone_seconds=0, work_minutes=60)
    first = Emergency(1, T, phone_seconds=1800, work_minutes=30)
    one, two = month_lines([later, first], terms)
    assert (one.ticket_id, one.quota_minutes, one.extra_minutes) == (1, 60, 0)
    assert (two.ticket_id, two.quota_minutes, two.extra_minutes) == (2, 30, 30)
    assert two.amount == Decimal("100.00")
    assert two.extra_amount == Decimal("50.00")
    assert quota_share(120, terms) == Decimal("120") / Decimal("90.0")


def test_money_is_decimal_rounded_half_up_to_cents() -> None:
    terms = Terms(hourly_rate=Decimal("99.99"), surcharge_percent=Decimal("12.25"))
    (line,) = month_lines([Emergency(1, T, 0, 20, displaced=(7,))], terms)
    assert line.amount == Decimal("50.00")  # 30 min of 99.99 = 49.995
    assert line.surcharge == Decimal("6.13")  # 12.25 % of 50.00 = 6.125
    assert all(isinstance(v, Decimal) for v in (line.amount, line.extra_amount, line.surcharge))


def test_a_half_cent_from_minutes_not_divisible_by_60_rounds_up() -> None:
    terms = Terms(hourly_rate=Decimal("50.10"), increment_minutes=1)
    (line,) = month_lines([Emergency(1, T, 0, 11)], terms)
    assert line.amount == line.extra_amount == Decimal("9.19")  # 11 min of 50.10 = 9.185


def test_without_a_quota_everything_is_extra_effort() -> None:
    (line,) = month_lines([Emergency(1, T, 0, 45)], Terms(hourly_rate=Decimal("80")))
    assert (line.quota_minutes, line.extra_minutes, line.extra_amount) == (0, 45, Decimal("60.00"))
    assert quota_share(45, Terms()) is None

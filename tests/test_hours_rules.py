"""escalation/billing.py with time entries: each rounded by itself, with the emergencies against
the quota in force, and the streak of months beyond it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from escalation.billing import (
    Emergency,
    QuotaStep,
    Terms,
    Work,
    money,
    month_lines,
    over_quota_streak,
    quota_in_force,
)

DAY = datetime(2026, 12, 1, tzinfo=UTC)
TERMS = Terms(monthly_hours=Decimal("1"), hourly_rate=Decimal("90"), increment_minutes=15,
              minimum_minutes=60)  # fmt: skip


def test_an_entry_rounds_up_to_the_increment_but_has_no_call_out_minimum() -> None:
    emergency = Emergency(1, DAY + timedelta(hours=9), phone_seconds=300, work_minutes=0)
    lines = month_lines([emergency], TERMS, [Work(7, DAY, 7), Work(8, DAY, 600, billable=False)])
    support, call = lines
    assert (support.entry_id, support.ticket_id, support.billed_minutes) == (7, None, 15)
    assert (call.ticket_id, call.billed_minutes) == (1, 60)  # the emergency's minimum stays
    assert (support.quota_minutes, call.quota_minutes, call.extra_minutes) == (15, 45, 15)
    assert call.extra_amount == Decimal("22.50") and support.surcharge == Decimal("0.00")


def test_a_days_entries_use_the_quota_before_its_emergencies() -> None:
    emergency = Emergency(1, DAY + timedelta(minutes=1), phone_seconds=60, work_minutes=59)
    entry, call = month_lines([emergency], TERMS, [Work(2, DAY, 45)])
    assert (entry.quota_minutes, call.quota_minutes, call.extra_minutes) == (45, 15, 45)


def test_the_quota_in_force_is_the_latest_step_begun() -> None:
    steps = [QuotaStep(date(2026, 1, 1), Decimal("30")), QuotaStep(date(2026, 7, 1), Decimal("20"))]
    assert quota_in_force(date(2025, 12, 1), Decimal("20"), steps) == Decimal("20")
    assert quota_in_force(date(2026, 1, 1), Decimal("20"), steps) == Decimal("30")
    assert quota_in_force(date(2026, 6, 1), Decimal("20"), reversed(steps)) == Decimal("30")
    assert quota_in_force(date(2026, 7, 1), Decimal("99"), steps) == Decimal("20")
    assert quota_in_force(date(2026, 7, 1), Decimal("5"), []) == Decimal("5")


def months(*extras: int, start: date = date(2026, 1, 1)) -> list[tuple[date, int]]:
    result, month = [], start
    for extra in extras:
        result.append((month, extra))
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return result


def test_three_months_beyond_the_quota_in_a_row_make_a_streak() -> None:
    assert over_quota_streak(months(5, 5)) == []
    assert over_quota_streak(months(5, 5, 5)) == [date(2026, 1, 1), date(2026, 2, 1),
                                                  date(2026, 3, 1)]  # fmt: skip
    assert over_quota_streak(months(5, 5, 5, 5))[0] == date(2026, 1, 1)  # the same streak
    assert over_quota_streak(months(5, 5, 5, 0)) == []  # it ended
    assert over_quota_streak(months(5, 0, 5, 5)) == []
    assert over_quota_streak(months(5, 5, 5, 0, 5, 5, 5))[0] == date(2026, 5, 1)  # a new one
    gap = [(date(2026, 1, 1), 5), (date(2026, 2, 1), 5), (date(2026, 4, 1), 5)]
    assert over_quota_streak(gap) == []  # a month without a run is no month beyond the quota
    assert over_quota_streak(months(5, 5, 5, start=date(2026, 11, 1)))[-1] == date(2027, 1, 1)


entries = st.lists(
    st.tuples(st.integers(0, 40), st.integers(1, 24 * 60), st.booleans()), max_size=25
)
calls = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 7200), st.integers(0, 300)),
                 max_size=6)  # fmt: skip


@given(
    entries,
    calls,
    st.integers(0, 40),
    st.sampled_from([1, 5, 6, 10, 15, 30, 60]),
    st.integers(0, 120),
    st.decimals(Decimal("0"), Decimal("500"), places=2),
)
def test_summed_entries_round_each_by_itself_and_split_at_the_quota_in_any_order(
    raw: list[tuple[int, int, bool]],
    emergencies: list[tuple[int, int, int]],
    quota_hours: int,
    step: int,
    minimum: int,
    rate: Decimal,
) -> None:
    """However entries and emergencies fall: each entry is billed its started increments, the
    quota covers exactly min(billed, quota) of the month whatever the order, and the extra
    effort in cents is the extra minutes at the rate, within half a cent per line."""
    terms = Terms(Decimal(quota_hours), rate, step, minimum)
    work = [Work(i, DAY + timedelta(days=d), m, b) for i, (d, m, b) in enumerate(raw)]
    calls_ = [Emergency(100 + i, DAY + timedelta(days=d, hours=8), s, w)
              for i, (d, s, w) in enumerate(emergencies)]  # fmt: skip
    lines = month_lines(calls_, terms, work)
    billable = {w.entry_id: w for w in work if w.billable}
    assert {x.entry_id for x in lines if x.entry_id is not None} == set(billable)
    for x in lines:
        assert x.quota_minutes + x.extra_minutes == x.billed_minutes
        if x.entry_id is not None:
            minutes = billable[x.entry_id].minutes
            assert x.billed_minutes % step == 0
            assert minutes <= x.billed_minutes < minutes + step
    billed = sum(x.billed_minutes for x in lines)
    assert sum(x.quota_minutes for x in lines) == min(billed, quota_hours * 60)
    reordered = month_lines(list(reversed(calls_)), terms, list(reversed(work)))
    assert sum(x.extra_minutes for x in reordered) == max(billed - quota_hours * 60, 0)
    extra = sum(x.extra_amount for x in lines)
    total = money(sum(x.extra_minutes for x in lines), rate)
    assert abs(extra - total) <= Decimal("0.005") * max(len(lines), 1)

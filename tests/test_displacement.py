"""The displacement window and the §2 surcharge rule, as a table of cases (pure, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from escalation.billing import Displacement, Terms, displaced, surcharge
from escalation.displacement import Appointment, Window, at_risk

T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # acceptance
EXPECTED = timedelta(hours=2)
TRAVEL = timedelta(minutes=30)
TERMS = Terms(hourly_rate=Decimal("120.00"), surcharge_percent=Decimal("50"),
              surcharge_flat=Decimal("25.00"))  # fmt: skip
AMOUNT = Decimal("240.00")  # two hours
OURS, OTHER = 1, 2


def h(hours: float) -> datetime:
    return T + timedelta(hours=hours)


def billed_surcharge(
    customer: int, onsite: bool, start: float, end: float, outcome: str, waived: str | None = None
) -> Decimal:
    """Accept at T, the dispatcher decides `outcome` on whatever is at risk, bill the surcharge."""
    appointment = Appointment(7, h(start), h(end), onsite)
    risky = at_risk([appointment], Window.of(T, EXPECTED, None), TRAVEL)
    links = [Displacement(1, T, i, customer, outcome, h(0.5)) for i in risky]
    return surcharge(AMOUNT, TERMS, displaced(1, OURS, links), waived)


CHARGED = Decimal("145.00")  # 50 % of 240.00 plus 25.00 flat
FREE = Decimal("0.00")


@pytest.mark.parametrize(
    ("case", "customer", "onsite", "start", "end", "outcome", "waived", "expected"),
    [
        ("same customer's appointment only", OURS, True, 1, 2, "rescheduled", None, FREE),
        ("another customer's, reassigned", OTHER, True, 1, 2, "reassigned", None, FREE),
        ("another customer's, rescheduled", OTHER, True, 1, 2, "rescheduled", None, CHARGED),
        ("another customer's, cancelled", OTHER, False, 1, 2, "cancelled", None, CHARGED),
        ("another customer's, kept", OTHER, True, 1, 2, "kept", None, FREE),
        ("on site, only in the travel time", OTHER, True, 2.25, 3, "rescheduled", None, CHARGED),
        ("remote, only in the travel time", OTHER, False, 2.25, 3, "rescheduled", None, FREE),
        ("on site, after the travel time", OTHER, True, 2.5, 3, "rescheduled", None, FREE),
        ("already running at acceptance", OTHER, False, -1, 0.5, "cancelled", None, CHARGED),
        ("ended before acceptance", OTHER, False, -2, 0, "cancelled", None, FREE),
        ("another customer's, waived", OTHER, True, 1, 2, "rescheduled", "goodwill", FREE),
    ],
)
def test_surcharge_rule(
    case: str,
    customer: int,
    onsite: bool,
    start: float,
    end: float,
    outcome: str,
    waived: str | None,
    expected: Decimal,
) -> None:
    assert billed_surcharge(customer, onsite, start, end, outcome, waived) == expected, case


def test_several_emergencies_displacing_one_appointment_charge_once() -> None:
    """One decision settles an appointment two emergencies put at risk: the first pays."""
    first, second = T, T + timedelta(minutes=20)
    decided = h(1)
    links = [
        Displacement(2, second, 7, OTHER, "rescheduled", decided),
        Displacement(1, first, 7, OTHER, "rescheduled", decided),
    ]
    assert displaced(1, OURS, links) == (7,)
    assert displaced(2, 3, links) == ()


def test_a_second_displacement_after_a_reschedule_is_charged_again() -> None:
    """Moved for one emergency, then moved again for another: two decisions, two surcharges."""
    links = [
        Displacement(1, T, 7, OTHER, "rescheduled", h(1)),
        Displacement(2, h(24), 7, OTHER, "cancelled", h(25)),
    ]
    assert displaced(1, OURS, links) == (7,)
    assert displaced(2, OURS, links) == (7,)


def test_undecided_and_released_links_make_no_surcharge() -> None:
    links = [Displacement(1, T, 7, OTHER, None), Displacement(1, T, 8, OTHER, "kept", h(1))]
    assert displaced(1, OURS, links) == ()


def test_the_window_uses_the_real_duration_once_resolved() -> None:
    later = Appointment(7, h(1), h(2), onsite=False)
    assert at_risk([later], Window.of(T, EXPECTED, None), TRAVEL) == [7]
    assert at_risk([later], Window.of(T, EXPECTED, h(0.5)), TRAVEL) == []
    assert at_risk([later], Window.of(T, timedelta(minutes=30), h(3)), TRAVEL) == [7]


def test_cancelled_appointments_are_never_at_risk() -> None:
    gone = Appointment(7, h(1), h(2), onsite=False, status="cancelled")
    assert at_risk([gone], Window.of(T, EXPECTED, None), TRAVEL) == []


def test_surcharge_percent_only_and_flat_only() -> None:
    percent = Terms(surcharge_percent=Decimal("33.33"))
    flat = Terms(surcharge_flat=Decimal("49.90"))
    assert surcharge(Decimal("100.01"), percent, [7], None) == Decimal("33.33")
    assert surcharge(Decimal("100.00"), flat, [7], None) == Decimal("49.90")
    assert surcharge(Decimal("100.00"), flat, [], None) == Decimal("0.00")

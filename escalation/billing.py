"""What an emergency costs under the service contract: billable time, quota, extra effort, §2.

Every figure of a `Line` keeps the minutes and appointments behind it, so an accountant can
retrace it. Money is Decimal, rounded half up to cents only at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from escalation.displacement import DISPLACING

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Terms:
    """A contract's billing terms (Servicevertrag)."""

    monthly_hours: Decimal = Decimal("0")
    hourly_rate: Decimal = Decimal("0")
    increment_minutes: int = 15
    minimum_minutes: int = 0
    surcharge_percent: Decimal = Decimal("0")
    surcharge_flat: Decimal = Decimal("0")


@dataclass(frozen=True)
class Displacement:
    """One appointment one emergency put at risk, and what the dispatcher then decided."""

    ticket_id: int
    accepted_at: datetime
    appointment_id: int
    customer_id: int | None  # the appointment's customer
    outcome: str | None  # None while undecided; kept | reassigned | rescheduled | cancelled
    decided_at: datetime | None = None


@dataclass(frozen=True)
class Emergency:
    ticket_id: int
    accepted_at: datetime
    phone_seconds: int
    work_minutes: int
    displaced: tuple[int, ...] = ()  # other customers' appointments it moved (see `displaced`)
    waived: str | None = None  # the reason, when a project lead waived the surcharge


@dataclass(frozen=True)
class Line:
    ticket_id: int
    raw_minutes: int  # phone time (started minutes) plus logged work
    billed_minutes: int  # rounded up per increment, at least the minimum
    quota_minutes: int  # the part the monthly quota covers
    extra_minutes: int  # beyond the quota: extra effort (Mehraufwand)
    amount: Decimal  # billed hours at the hourly rate: the base of the percent surcharge
    extra_amount: Decimal  # extra hours at the hourly rate: what is billed at month end
    surcharge: Decimal
    displaced: tuple[int, ...]
    waived: str | None


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(minutes: int, hourly_rate: Decimal) -> Decimal:
    """Minutes at an hourly rate. Multiplied before dividing: minutes / 60 is inexact (11 / 60)
    and its rounded digits could tip a half cent (11 min at 50.10 is 9.185, to be 9.19)."""
    return cents(Decimal(minutes) * hourly_rate / 60)


def hours(minutes: int) -> Decimal:
    return cents(Decimal(minutes) / 60)


def billable_minutes(raw_minutes: int, terms: Terms) -> int:
    """Every started increment counts; never below the minimum."""
    step = max(terms.increment_minutes, 1)
    return max(-(-raw_minutes // step) * step, terms.minimum_minutes)


def displaced(
    ticket_id: int, customer_id: int | None, displacements: Iterable[Displacement]
) -> tuple[int, ...]:
    """The appointments that make `ticket_id`'s surcharge (§2).

    Only another customer's appointment that was rescheduled or cancelled counts. When one
    decision settled an appointment that several emergencies had put at risk, it counts once:
    for the emergency accepted first.
    """
    decisions: dict[tuple[int, datetime | None], Displacement] = {}
    for d in displacements:
        if d.outcome not in DISPLACING:
            continue
        key = (d.appointment_id, d.decided_at)
        first = decisions.get(key)
        if first is None or (d.accepted_at, d.ticket_id) < (
            first.accepted_at,
            first.ticket_id,
        ):
            decisions[key] = d
    return tuple(
        sorted(
            {
                d.appointment_id
                for d in decisions.values()
                if d.ticket_id == ticket_id and d.customer_id != customer_id
            }
        )
    )


def surcharge(
    amount: Decimal, terms: Terms, displaced: Sequence[int], waived: str | None
) -> Decimal:
    """§2: percent of the emergency's amount and/or a flat fee, only for displacing emergencies."""
    if not displaced or waived:
        return Decimal("0.00")
    return cents(amount * terms.surcharge_percent / 100 + terms.surcharge_flat)


def month_lines(emergencies: Iterable[Emergency], terms: Terms) -> list[Line]:
    """One customer's emergencies of one month, in acceptance order, against the quota."""
    quota_left = int(terms.monthly_hours * 60)
    lines = []
    for e in sorted(emergencies, key=lambda e: (e.accepted_at, e.ticket_id)):
        raw = -(-e.phone_seconds // 60) + e.work_minutes
        billed = billable_minutes(raw, terms)
        covered = min(billed, max(quota_left, 0))
        quota_left -= covered
        amount = money(billed, terms.hourly_rate)
        lines.append(
            Line(
                ticket_id=e.ticket_id,
                raw_minutes=raw,
                billed_minutes=billed,
                quota_minutes=covered,
                extra_minutes=billed - covered,
                amount=amount,
                extra_amount=money(billed - covered, terms.hourly_rate),
                surcharge=surcharge(amount, terms, e.displaced, e.waived),
                displaced=e.displaced,
                waived=e.waived,
            )
        )
    return lines


def quota_share(used_minutes: int, terms: Terms) -> Decimal | None:
    """The used part of the quota (1 = used up), None without a quota."""
    if terms.monthly_hours <= 0:
        return None
    return Decimal(used_minutes) / (terms.monthly_hours * 60)


NEAR = Decimal("0.8")  # the share of the quota that earns the customer a notice


def notice(share: Decimal | None) -> str | None:
    """`near` from 80 % of the quota, `used_up` from 100 %, None below or without a quota."""
    if share is None or share < NEAR:
        return None
    return "used_up" if share >= 1 else "near"

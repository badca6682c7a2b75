"""What an emergency costs under the service contract: billable time, quota, extra effort, §2.

Every figure of a `Line` keeps the minutes and appointments behind it, so an accountant can
retrace it. Money is Decimal, rounded half up to cents only at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
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
class Work:
    """Regular support or project work (a time entry), billable or not; `at` orders it among
    the month's emergencies (the start of its day in the provider's zone)."""

    entry_id: int
    at: datetime
    minutes: int
    billable: bool = True


@dataclass(frozen=True)
class Line:
    ticket_id: int | None  # the emergency's; None for a time entry
    raw_minutes: int  # phone time (started minutes) plus logged work
    billed_minutes: int  # rounded up per increment, at least the minimum
    quota_minutes: int  # the part the monthly quota covers
    extra_minutes: int  # beyond the quota: extra effort (Mehraufwand)
    amount: Decimal  # billed hours at the hourly rate: the base of the percent surcharge
    extra_amount: Decimal  # extra hours at the hourly rate: what is billed at month end
    surcharge: Decimal
    displaced: tuple[int, ...]
    waived: str | None
    entry_id: int | None = None  # the time entry's; None for an emergency


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
    return max(rounded_up(raw_minutes, terms), terms.minimum_minutes)


def rounded_up(raw_minutes: int, terms: Terms) -> int:
    """Every started increment counts: how a time entry is billed. The minimum is an
    emergency's (a call-out), not a ten-minute support task's."""
    step = max(terms.increment_minutes, 1)
    return -(-raw_minutes // step) * step


@dataclass(frozen=True)
class QuotaStep:
    """From `since` (the first of a month) on, the contract's quota is `hours` a month."""

    since: date
    hours: Decimal


def quota_in_force(month: date, monthly_hours: Decimal, steps: Iterable[QuotaStep]) -> Decimal:
    """The quota that bills `month`: the latest step that began by then; before the first
    step (or without any) the contract's `monthly_hours`."""
    month = month.replace(day=1)
    started = [s for s in steps if s.since.replace(day=1) <= month]
    return max(started, key=lambda s: s.since).hours if started else monthly_hours


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


def month_lines(
    emergencies: Iterable[Emergency], terms: Terms, work: Iterable[Work] = ()
) -> list[Line]:
    """One customer's month against the quota: emergencies and billable time entries in the
    order they happened (a day's entries before its emergencies), each rounded by itself.
    Entries that are not billable make no line: they use no quota and cost nothing."""
    items: list[tuple[datetime, int, int, Emergency | Work]] = [
        (e.accepted_at, 1, e.ticket_id, e) for e in emergencies
    ]
    items += [(w.at, 0, w.entry_id, w) for w in work if w.billable]
    quota_left = int(terms.monthly_hours * 60)
    lines = []
    for _, _, _, item in sorted(items, key=lambda x: x[:3]):
        if isinstance(item, Emergency):
            emergency, entry_id = item, None
            raw = -(-item.phone_seconds // 60) + item.work_minutes
            billed = billable_minutes(raw, terms)
        else:
            emergency, entry_id = None, item.entry_id
            raw = item.minutes
            billed = rounded_up(raw, terms)
        covered = min(billed, max(quota_left, 0))
        quota_left -= covered
        amount = money(billed, terms.hourly_rate)
        lines.append(
            Line(
                ticket_id=emergency.ticket_id if emergency else None,
                raw_minutes=raw,
                billed_minutes=billed,
                quota_minutes=covered,
                extra_minutes=billed - covered,
                amount=amount,
                extra_amount=money(billed - covered, terms.hourly_rate),
                surcharge=(
                    surcharge(amount, terms, emergency.displaced, emergency.waived)
                    if emergency
                    else Decimal("0.00")
                ),
                displaced=emergency.displaced if emergency else (),
                waived=emergency.waived if emergency else None,
                entry_id=entry_id,
            )
        )
    return lines


OVER_QUOTA_STREAK = 3  # months in a row beyond the quota before the project lead is told


def over_quota_streak(extra_minutes_by_month: Sequence[tuple[date, int]]) -> list[date]:
    """The months of the current streak beyond the quota, oldest first, when it has reached
    `OVER_QUOTA_STREAK` (the seed: the contract is then adjusted); else []. The input is the
    closed months in order, the latest last; a gap or a month within the quota ends a streak."""
    streak: list[date] = []
    for month, extra in extra_minutes_by_month:
        if extra <= 0:
            streak = []
            continue
        consecutive = bool(streak) and _next_month(streak[-1]) == month
        streak = [*streak, month] if consecutive else [month]
    return streak if len(streak) >= OVER_QUOTA_STREAK else []


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


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

"""The month's operations report: MTTA, MTTR, on-call hours per engineer (days, nights,
weekends, holidays), calls per customer, the voicemail and fallback rates.

`flask --app hotline report --month YYYY-MM [--csv]` and the page `/report` both show what
`build` returns; the rules (how an hour is classed, what a mean is) are in escalation/report.py.
(hotline/reports.py is something else: the customers' status e-mails.)

Definitions, in the provider's zone: a call belongs to the month it arrived in; MTTA is the
mean from arrival to an engineer's accept, over the accepted calls; MTTR the mean from arrival
to resolved, over the resolved ones; the voicemail and fallback rates are shares of the
confirmed emergencies (a caller who said "not an emergency" is not counted against them). A
call reached the fallback when its chain rang the fallback number or it went the fallback path.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from escalation import regions
from escalation import report as rules
from escalation.callflow import Kind as Note
from hotline import billing, roster, spreadsheet
from hotline.clock import zone as provider_zone
from hotline.models import Attempt, Customer, Engineer, Event, Provider, Ticket

KINDS = (rules.Kind.DAY, rules.Kind.NIGHT, rules.Kind.WEEKEND, rules.Kind.HOLIDAY)


@dataclass(frozen=True)
class Engineers:
    key: str
    name: str
    hours: rules.Hours


@dataclass(frozen=True)
class Customers:
    number: str | None  # None: callers nobody identified
    name: str
    calls: int


@dataclass(frozen=True)
class Report:
    month: date
    zone: ZoneInfo
    calls: int  # every call that arrived
    emergencies: int  # of those, confirmed emergencies
    accepted: int
    resolved: int
    mtta: timedelta | None
    mttr: timedelta | None
    voicemails: int
    fallbacks: int
    on_call: tuple[Engineers, ...]
    customers: tuple[Customers, ...]

    @property
    def voicemail_rate(self) -> float | None:
        return rules.rate(self.voicemails, self.emergencies)

    @property
    def fallback_rate(self) -> float | None:
        return rules.rate(self.fallbacks, self.emergencies)


def month(text: str) -> date:
    """'2026-12' -> the 1st of that month; ValueError for anything else."""
    if len(text) != 7 or text[4] != "-":
        raise ValueError(f"{text!r} is no month (YYYY-MM)")
    return date.fromisoformat(f"{text}-01")


def build(session: Session, first: date) -> Report:
    zone = provider_zone(session)
    start = billing.month_start(first, zone)
    end = billing.month_start(billing.next_month(first), zone)
    tickets = session.execute(
        select(Ticket.id, Ticket.customer_id, Ticket.arrived_at, Ticket.confirmed_at,
               Ticket.accepted_at, Ticket.resolved_at)
        .where(Ticket.arrived_at >= start, Ticket.arrived_at < end)
    ).all()  # fmt: skip
    ids = [t.id for t in tickets]
    voicemails = set(_tickets_with(session, ids, Event.kind == Note.VOICEMAIL_LEFT.value))
    fell = set(_tickets_with(session, ids, Event.kind == Note.FALLBACK.value))
    rang = set(
        session.scalars(
            select(Attempt.ticket_id).where(Attempt.level == "fallback",
                                            Attempt.ticket_id.in_(ids))
        )
    )  # fmt: skip
    confirmed = {t.id for t in tickets if t.confirmed_at is not None}
    return Report(
        month=first,
        zone=zone,
        calls=len(tickets),
        emergencies=len(confirmed),
        accepted=sum(t.accepted_at is not None for t in tickets),
        resolved=sum(t.resolved_at is not None for t in tickets),
        mtta=rules.mean([t.accepted_at - t.arrived_at for t in tickets if t.accepted_at]),
        mttr=rules.mean([t.resolved_at - t.arrived_at for t in tickets if t.resolved_at]),
        voicemails=len(voicemails & confirmed),
        fallbacks=len((fell | rang) & confirmed),
        on_call=_on_call(session, start, end, zone),
        customers=_customers(session, [t.customer_id for t in tickets]),
    )


def _tickets_with(session: Session, ids: list[int], *where: object) -> list[int]:
    return list(
        session.scalars(
            select(Event.ticket_id).where(Event.ticket_id.in_(ids), *where).distinct()  # type: ignore[arg-type]
        )
    )


def _on_call(
    session: Session, start: datetime, end: datetime, zone: ZoneInfo
) -> tuple[Engineers, ...]:
    provider = Provider.one(session)
    holidays = regions.Holidays(provider.holiday_region if provider else regions.DEFAULT)
    spans: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for shift in roster.shifts(session, start, end):
        spans[shift.engineer].append((max(shift.starts_at, start), min(shift.ends_at, end)))
    names = dict(session.execute(select(Engineer.key, Engineer.name)).tuples().all())
    found = [
        Engineers(key, names.get(key, key), rules.on_call(found, zone, holidays))
        for key, found in spans.items()
    ]
    return tuple(sorted(found, key=lambda e: (-e.hours.total, e.key)))


def _customers(session: Session, ids: list[int | None]) -> tuple[Customers, ...]:
    counts: dict[int | None, int] = defaultdict(int)
    for customer_id in ids:
        counts[customer_id] += 1
    known = {
        c.id: c for c in session.scalars(
            select(Customer).where(or_(Customer.id.in_([i for i in counts if i is not None])))
        )
    }  # fmt: skip
    rows = [
        Customers(known[i].number, known[i].name, n) if i in known
        else Customers(None, "nicht erkannt", n)
        for i, n in counts.items()
    ]  # fmt: skip
    return tuple(sorted(rows, key=lambda c: (-c.calls, c.number or "~")))


# --- shown ---------------------------------------------------------------------------------


def hours(value: timedelta) -> Decimal:
    """Hours with two decimals, half up (as billing rounds)."""
    return (Decimal(value.total_seconds()) / 3600).quantize(Decimal("0.01"), ROUND_HALF_UP)


def minutes(value: timedelta | None) -> Decimal | None:
    if value is None:
        return None
    return (Decimal(value.total_seconds()) / 60).quantize(Decimal("0.1"), ROUND_HALF_UP)


def percent(value: float | None) -> Decimal | None:
    if value is None:
        return None
    return (Decimal(value) * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)


HEADER = ("figure", "subject", "detail", "value")


def rows(r: Report) -> list[tuple[str, str, str, spreadsheet.Cell]]:
    """The report as one long table: each figure a row (the CSV, and the text output)."""
    out: list[tuple[str, str, str, spreadsheet.Cell]] = [
        ("calls", "", "", r.calls),
        ("emergencies", "", "confirmed", r.emergencies),
        ("accepted", "", "", r.accepted),
        ("resolved", "", "", r.resolved),
        ("mtta", "", "minutes", minutes(r.mtta)),
        ("mttr", "", "minutes", minutes(r.mttr)),
        ("voicemails", "", "", r.voicemails),
        ("voicemail_rate", "", "percent of emergencies", percent(r.voicemail_rate)),
        ("fallbacks", "", "", r.fallbacks),
        ("fallback_rate", "", "percent of emergencies", percent(r.fallback_rate)),
    ]
    for e in r.on_call:
        for k in KINDS:
            out.append(("on_call_hours", e.key, k.value, hours(e.hours.of(k))))
        out.append(("on_call_hours", e.key, "total", hours(e.hours.total)))
    for c in r.customers:
        out.append(("calls_per_customer", c.number or "", c.name, c.calls))
    return out


def csv(r: Report, semicolon: bool = False) -> bytes:
    variant = spreadsheet.GERMAN if semicolon else spreadsheet.INTERNATIONAL
    return spreadsheet.write(HEADER, rows(r), variant)

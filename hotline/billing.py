"""Billing: resolving and waiving, a month's figures, the month-end run and its CSV exports.

The rules are escalation/billing.py; here they get their inputs from the database. A ticket is
billed once (`BillingLine.ticket_id` is unique), in the first run after its resolution, and a
run, once stored, never changes: running it again returns it as it is.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from escalation import billing as rule
from escalation import wallclock
from escalation.billing import Emergency, Line, Terms
from hotline import appointments, outbound, overquota, spreadsheet, tickets
from hotline.models import (
    Appointment,
    BillingLine,
    BillingRun,
    Contract,
    Customer,
    Displacement,
    Engineer,
    Ticket,
    TimeEntry,
)


class BillingError(ValueError):
    """A billing action that is not allowed; the message says why."""


# --- tickets -------------------------------------------------------------------------------


def resolve(
    session: Session, ticket: Ticket, at: datetime, work_minutes: int, notes: str | None = None
) -> None:
    """The emergency is over: log the work, and let its real duration settle its appointments."""
    if ticket.accepted_at is None:
        raise BillingError(f"ticket {ticket.id} was never accepted")
    if at < ticket.accepted_at:
        raise BillingError(f"ticket {ticket.id} cannot be resolved before it was accepted")
    if work_minutes < 0:
        raise BillingError("work minutes cannot be negative")
    _unbilled(session, ticket)
    ticket.resolved_at, ticket.work_minutes = at, work_minutes
    if notes:
        ticket.notes = f"{ticket.notes}\n{notes}" if ticket.notes else notes
    tickets.log(session, ticket, at, "resolved", work_minutes=work_minutes)
    outbound.publish(session, ticket, "emergency.resolved", at)
    session.flush()  # on PostgreSQL, waits for a displacement check holding the ticket
    session.refresh(ticket, ["displacement_checked_at"])  # which may have ended since loading
    appointments.recheck(session, ticket, at)


def waive(session: Session, ticket: Ticket, by: Engineer, reason: str, at: datetime) -> None:
    """A project lead waives the §2 surcharge, with a reason that goes into the export."""
    if by.role != "project_lead":
        raise BillingError(f"{by.key} is no project lead: only a project lead may waive")
    if not reason.strip():
        raise BillingError("a waiver needs a reason")
    _unbilled(session, ticket)
    ticket.surcharge_waived_reason, ticket.surcharge_waived_by_id = reason.strip(), by.id
    tickets.log(session, ticket, at, "surcharge waived", by=by.key)


SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Surcharge:
    """A ticket's §2 surcharge as it stands, with the appointments behind it (the ticket page).

    `state`: "none" (nothing it displaced counts), "open" (appointments at risk still undecided:
    it may come), "due", "waived" or "billed"; `amount` once it is known (the ticket resolved
    with a customer, or billed).
    """

    state: str
    amount: Decimal | None
    links: list[Displacement]  # every appointment this emergency put at risk
    counted: tuple[int, ...]  # the appointments that make the surcharge
    waived_reason: str | None
    waived_by: Engineer | None
    billed_in: date | None  # the closed month it was billed in


def surcharge(session: Session, ticket: Ticket, now: datetime) -> Surcharge:
    """What the emergency's surcharge is now: the billed line's, else the rule's on the
    decisions made so far (escalation.billing.displaced, .surcharge)."""
    links = list(
        session.scalars(
            select(Displacement)
            .where(Displacement.ticket_id == ticket.id)
            .join(Appointment, Displacement.appointment_id == Appointment.id)
            .order_by(Appointment.starts_at, Appointment.id)
        )
    )
    waived_by = (
        session.get(Engineer, ticket.surcharge_waived_by_id)
        if ticket.surcharge_waived_by_id
        else None
    )
    line = session.scalar(select(BillingLine).where(BillingLine.ticket_id == ticket.id))
    if line is not None:
        counted = tuple(d["id"] for d in line.displaced)
        state = "waived" if line.surcharge_waived_reason else "billed" if counted else "none"
        return Surcharge(state, line.surcharge, links, counted, line.surcharge_waived_reason,
                         waived_by, line.run.month)  # fmt: skip
    counted = (
        rule.displaced(ticket.id, ticket.customer_id, displacements(session, ticket))
        if ticket.accepted_at
        else ()
    )
    undecided = any(x.outcome is None and x.released_at is None for x in links)
    if ticket.surcharge_waived_reason:
        state = "waived"
    elif counted:
        state = "due"
    else:
        state = "open" if undecided else "none"
    amount = None
    if state == "due" and ticket.resolved_at and ticket.customer:
        month = month_of(ticket.resolved_at, appointments.planning(session).zone)
        until = max(now, ticket.resolved_at) + SECOND
        for x in month_lines(session, ticket.customer, month, until):
            if x.ticket_id == ticket.id:
                amount = x.surcharge
    return Surcharge(state, amount, links, counted, ticket.surcharge_waived_reason, waived_by,
                     None)  # fmt: skip


def _unbilled(session: Session, ticket: Ticket) -> None:
    line = session.scalar(select(BillingLine).where(BillingLine.ticket_id == ticket.id))
    if line is not None:
        raise BillingError(
            f"ticket {ticket.id} is billed in the closed month {line.run.month:%Y-%m}"
        )


def phone_seconds(ticket: Ticket) -> int:
    """Bridged time as Twilio reported it (else the call's span from acceptance), plus the
    call-backs through the hotline (hotline/callback.py)."""
    back = ticket.callback_seconds or 0
    if ticket.bridged_seconds is not None:
        return ticket.bridged_seconds + back
    if ticket.accepted_at and ticket.ended_at and ticket.accepted_at < ticket.ended_at:
        return int((ticket.ended_at - ticket.accepted_at).total_seconds()) + back
    return back


def terms(contract: Contract | None, month: date | None = None) -> Terms:
    """A contract's terms; with `month`, the quota in force that month (its quota history)."""
    if contract is None:
        return Terms()
    monthly_hours = contract.monthly_hours
    if month is not None:
        monthly_hours = rule.quota_in_force(month, monthly_hours, quota_steps(contract))
    return Terms(
        monthly_hours=monthly_hours,
        hourly_rate=contract.hourly_rate,
        increment_minutes=contract.billing_increment_minutes,
        minimum_minutes=contract.minimum_minutes,
        surcharge_percent=contract.surcharge_percent,
        surcharge_flat=contract.surcharge_flat,
    )


def quota_steps(contract: Contract) -> list[rule.QuotaStep]:
    """The stored quota history (`[{"since": "2026-01", "hours": "30"}]`) as the rule reads it."""
    return [
        rule.QuotaStep(date.fromisoformat(f"{step['since']}-01"), Decimal(step["hours"]))
        for step in contract.quota_history or []
    ]


# --- months --------------------------------------------------------------------------------


def month_start(month: date, zone: ZoneInfo) -> datetime:
    """The instant the month begins: 00:00 of its 1st in the provider's zone."""
    return wallclock.on(month.replace(day=1), time(), zone)


def next_month(month: date) -> date:
    return (month.replace(day=1) + timedelta(days=32)).replace(day=1)


def month_of(at: datetime, zone: ZoneInfo) -> date:
    return at.astimezone(zone).date().replace(day=1)


@dataclass
class Month:
    """One customer's month: the figures of the billing run and the status e-mail."""

    customer: Customer
    terms: Terms
    lines: list[tuple[Ticket | TimeEntry, Line]]


def months(
    session: Session, month: date, resolved: list[Ticket], entries: list[TimeEntry]
) -> list[Month]:
    """Lines for resolved tickets and time entries, grouped per customer, each customer
    against the quota in force in `month`."""
    zone = appointments.planning(session).zone
    by_customer: dict[int, tuple[list[Ticket], list[TimeEntry]]] = defaultdict(lambda: ([], []))
    for ticket in resolved:
        if ticket.customer_id is not None:
            by_customer[ticket.customer_id][0].append(ticket)
    for entry in entries:
        by_customer[entry.customer_id][1].append(entry)
    result = []
    for customer_id, (group, work) in sorted(by_customer.items()):
        customer = session.get_one(Customer, customer_id)
        contract_terms = terms(customer.contract, month)
        emergencies = [_emergency(session, t) for t in group]
        lines = rule.month_lines(emergencies, contract_terms, [_work(e, zone) for e in work])
        tickets_by_id = {t.id: t for t in group}
        entries_by_id = {e.id: e for e in work}
        result.append(
            Month(
                customer,
                contract_terms,
                [
                    (
                        tickets_by_id[x.ticket_id]
                        if x.ticket_id is not None
                        else entries_by_id[x.entry_id or 0],
                        x,
                    )
                    for x in lines
                ],
            )
        )
    return result


def month_lines(session: Session, customer: Customer, month: date, now: datetime) -> list[Line]:
    """A customer's lines of `month`: the closed run's, else those resolved and entered so far."""
    return [line for _, line in dated_lines(session, customer, month, now)]


def dated_lines(
    session: Session, customer: Customer, month: date, now: datetime
) -> list[tuple[date, Line]]:
    """`month_lines`, each with its day in the provider's zone (an emergency's: the day it
    was accepted), for what a status e-mail counts since the last JourFixe."""
    zone = appointments.planning(session).zone
    run = session.scalar(select(BillingRun).where(BillingRun.month == month))
    if run is not None:
        return [
            (x.accepted_at.astimezone(zone).date(), as_line(x))
            for x in run.lines
            if x.customer_id == customer.id
        ]
    since = month_start(month, zone)
    mine = [t for t in unbilled(session, since, now) if t.customer_id == customer.id]
    work = [e for e in unbilled_entries(session, next_month(month)) if e.day >= month]
    work = [e for e in work if e.customer_id == customer.id]
    return [
        (_day(item, zone), line)
        for m in months(session, month, mine, work)
        for item, line in m.lines
    ]


def _day(item: Ticket | TimeEntry, zone: ZoneInfo) -> date:
    if isinstance(item, TimeEntry):
        return item.day
    assert item.accepted_at is not None
    return item.accepted_at.astimezone(zone).date()


def as_line(x: BillingLine) -> Line:
    """A stored line as the rule made it."""
    return Line(
        x.ticket_id, x.raw_minutes, x.billed_minutes, x.quota_minutes, x.extra_minutes, x.amount,
        x.extra_amount, x.surcharge, tuple(d["id"] for d in x.displaced),
        x.surcharge_waived_reason, x.time_entry_id,
    )  # fmt: skip


def _work(entry: TimeEntry, zone: ZoneInfo) -> rule.Work:
    return rule.Work(entry.id, day_start(entry.day, zone), entry.minutes, entry.billable)


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The instant a day begins in the provider's zone: where a time entry stands in its month."""
    return wallclock.on(day, time(), zone)


def _emergency(session: Session, ticket: Ticket) -> Emergency:
    assert ticket.accepted_at is not None
    return Emergency(
        ticket_id=ticket.id,
        accepted_at=ticket.accepted_at,
        phone_seconds=phone_seconds(ticket),
        work_minutes=ticket.work_minutes or 0,
        displaced=rule.displaced(ticket.id, ticket.customer_id, displacements(session, ticket)),
        waived=ticket.surcharge_waived_reason,
    )


def displacements(session: Session, ticket: Ticket) -> list[rule.Displacement]:
    """Every link of every appointment this ticket put at risk, other emergencies' included:
    one decision on a shared appointment counts once (escalation.billing.displaced)."""
    mine = select(Displacement.appointment_id).where(Displacement.ticket_id == ticket.id)
    rows = session.execute(
        select(Displacement, Ticket.accepted_at, Appointment.customer_id)
        .join(Ticket, Displacement.ticket_id == Ticket.id)
        .join(Appointment, Displacement.appointment_id == Appointment.id)
        .where(Displacement.appointment_id.in_(mine))
    ).all()
    return [
        rule.Displacement(
            d.ticket_id, accepted_at, d.appointment_id, customer_id, d.outcome, d.decided_at
        )
        for d, accepted_at, customer_id in rows
    ]


def unbilled(session: Session, since: datetime | None, before: datetime) -> list[Ticket]:
    """Resolved emergencies of customers that no run has billed yet."""
    query = select(Ticket).where(
        Ticket.customer_id.is_not(None),
        Ticket.accepted_at.is_not(None),
        Ticket.resolved_at < before,
        ~select(BillingLine.id).where(BillingLine.ticket_id == Ticket.id).exists(),
    )
    if since is not None:
        query = query.where(Ticket.resolved_at >= since)
    return list(session.scalars(query.order_by(Ticket.accepted_at, Ticket.id)))


def unbilled_entries(session: Session, before: date) -> list[TimeEntry]:
    """Time entries of days before `before` that no run has billed yet, billable or not (a
    run's figures leave the others out, but they are the month's too)."""
    query = select(TimeEntry).where(
        TimeEntry.day < before,
        ~select(BillingLine.id).where(BillingLine.time_entry_id == TimeEntry.id).exists(),
    )
    return list(session.scalars(query.order_by(TimeEntry.day, TimeEntry.id)))


def last_closed(session: Session) -> date | None:
    """The latest closed month: it and every month before it take no more time entries
    (hotline/hours.py)."""
    return session.scalar(select(func.max(BillingRun.month)))


# --- a month per customer (the billing page) ------------------------------------------------


@dataclass(frozen=True)
class CustomerMonth:
    """One customer's month as the billing page shows it: the lines against the quota."""

    customer: Customer
    monthly_hours: Decimal  # the quota: the closed run's, else the contract's today
    lines: list[Line]

    @property
    def used_minutes(self) -> int:
        return sum(x.billed_minutes for x in self.lines)

    @property
    def extra_minutes(self) -> int:
        return sum(x.extra_minutes for x in self.lines)

    @property
    def extra_amount(self) -> Decimal:
        return sum((x.extra_amount for x in self.lines), Decimal("0.00"))

    @property
    def surcharge(self) -> Decimal:
        return sum((x.surcharge for x in self.lines), Decimal("0.00"))

    @property
    def share(self) -> Decimal | None:
        return rule.quota_share(self.used_minutes, Terms(monthly_hours=self.monthly_hours))


@dataclass(frozen=True)
class Overview:
    """A month of every customer with a contract or something billed: closed (`run`) or so far."""

    month: date
    run: BillingRun | None
    ended: bool  # the month is over
    first_open: date | None  # months close in order: the one to close next (None: any)
    customers: list[CustomerMonth]

    @property
    def closable(self) -> bool:
        """The month-end run may close this month now."""
        return self.run is None and self.ended and self.first_open in (None, self.month)


def overview(session: Session, month: date, now: datetime) -> Overview:
    """The month's figures per customer: a closed month as its run stored them, an ended one
    as the run would bill it now, the running one as far as it is resolved and entered (as
    the status e-mail counts it)."""
    month = month.replace(day=1)
    zone = appointments.planning(session).zone
    end = month_start(next_month(month), zone)
    ended = now >= end
    run = session.scalar(select(BillingRun).where(BillingRun.month == month))
    found: dict[int, CustomerMonth] = {}
    if run is not None:
        grouped: dict[int, list[BillingLine]] = defaultdict(list)
        for x in sorted(run.lines, key=lambda x: (x.accepted_at, x.id)):
            grouped[x.customer_id].append(x)
        for stored in grouped.values():
            found[stored[0].customer_id] = CustomerMonth(
                stored[0].customer, stored[0].monthly_hours, [as_line(x) for x in stored]
            )
    else:  # an ended month: what the run would bill now; the running one: what is so far
        resolved = unbilled(session, None if ended else month_start(month, zone), min(now, end))
        entries = unbilled_entries(session, next_month(month))
        entries = entries if ended else [e for e in entries if e.day >= month]
        for figures in months(session, month, resolved, entries):
            found[figures.customer.id] = CustomerMonth(
                figures.customer, figures.terms.monthly_hours, [x for _, x in figures.lines]
            )
    for customer in session.scalars(select(Customer).join(Customer.contract)):
        if customer.id not in found and customer.contract is not None:
            quota = terms(customer.contract, month).monthly_hours
            found[customer.id] = CustomerMonth(customer, quota, [])
    ordered = sorted(found.values(), key=lambda c: c.customer.number)
    closed = last_closed(session)
    return Overview(month, run, ended, next_month(closed) if closed else None, ordered)


# --- the month-end run ---------------------------------------------------------------------


def run_month_end(session: Session, now: datetime) -> BillingRun:
    """The scheduler's job: bill the month that just ended (in the provider's zone), and first
    any month before it that no run closed since the last one (the worker was down)."""
    zone = appointments.planning(session).zone
    this_month = month_of(now, zone)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    closed = last_closed(session)
    month = last_month if closed is None or closed >= last_month else next_month(closed)
    while month < last_month:
        close(session, month, now)
        month = next_month(month)
    return close(session, last_month, now)


def close(session: Session, month: date, now: datetime, *, again: bool = True) -> BillingRun:
    """Bill `month` and close it; a month already closed is returned unchanged. Months close
    in order, each once: after the first run, only the month after the last closed one. The
    run bills what no run billed yet (emergencies resolved, time entered before its end; the
    first run only its own month's time), and tells a project lead of a customer beyond the
    quota three months in a row. Commits."""
    month = month.replace(day=1)
    found = session.scalar(select(BillingRun).where(BillingRun.month == month))
    if found is not None:
        return found
    closed = last_closed(session)
    if closed is not None and month < closed:
        raise BillingError(
            f"{month:%Y-%m} cannot be closed: months are closed in order and {closed:%Y-%m} "
            "already is (what was not billed in time is billed in the next open month)"
        )
    if closed is not None and month > next_month(closed):
        raise BillingError(
            f"{month:%Y-%m} cannot be closed before {next_month(closed):%Y-%m}: months are "
            f"closed in order (billing-run --month {next_month(closed):%Y-%m} first)"
        )
    zone = appointments.planning(session).zone
    end = month_start(next_month(month), zone)
    if now < end:
        raise BillingError(f"{month:%Y-%m} has not ended yet")
    run = BillingRun(month=month, closed_at=now)
    entries = unbilled_entries(session, next_month(month))
    if closed is None:  # the first run: time before it was billed before the hotline billed
        entries = [e for e in entries if e.day >= month]
    for figures in months(session, month, unbilled(session, None, end), entries):
        for item, line in figures.lines:
            run.lines.append(_stored(session, figures, item, line, zone))
    session.add(run)
    try:
        session.flush()
        overquota.tell(session, run)
        session.commit()
    except IntegrityError:
        # Another process committed first: this month's run (returned as it is), or another
        # month's that billed some of these tickets (this month closes again without them).
        session.rollback()
        if not again:
            raise
        return close(session, month, now, again=False)
    return run


def _stored(
    session: Session, figures: Month, item: Ticket | TimeEntry, line: Line, zone: ZoneInfo
) -> BillingLine:
    common = dict(
        customer_id=figures.customer.id,
        raw_minutes=line.raw_minutes,
        billed_minutes=line.billed_minutes,
        quota_minutes=line.quota_minutes,
        extra_minutes=line.extra_minutes,
        monthly_hours=figures.terms.monthly_hours,
        hourly_rate=figures.terms.hourly_rate,
        amount=line.amount,
        extra_amount=line.extra_amount,
        surcharge=line.surcharge,
    )
    if isinstance(item, TimeEntry):
        return BillingLine(
            time_entry_id=item.id,
            accepted_at=day_start(item.day, zone),
            phone_seconds=0,
            work_minutes=item.minutes,
            displaced=[],
            **common,
        )
    assert item.accepted_at is not None
    return BillingLine(
        ticket_id=item.id,
        accepted_at=item.accepted_at,
        phone_seconds=phone_seconds(item),
        work_minutes=item.work_minutes or 0,
        displaced=[_named(session, i, item, zone) for i in line.displaced],
        surcharge_waived_reason=line.waived,
        **common,
    )


def _named(
    session: Session, appointment_id: int, ticket: Ticket, zone: ZoneInfo
) -> dict[str, object]:
    """A displaced appointment as the export names it."""
    link = session.scalars(
        select(Displacement).where(
            Displacement.appointment_id == appointment_id, Displacement.ticket_id == ticket.id
        )
    ).one()
    a = link.appointment
    return {
        "id": a.id,
        "customer": a.customer.number if a.customer else None,
        "title": a.title,
        "starts_at": (a.original_starts_at or a.starts_at).astimezone(zone).isoformat(),
        "outcome": link.outcome,
    }


# --- the export ----------------------------------------------------------------------------

LINE_COLUMNS = [
    "month", "customer", "customer_name", "ticket", "accepted", "phone_minutes", "work_minutes",
    "raw_minutes", "billed_minutes", "billed_hours", "quota_hours", "extra_hours",
    "monthly_hours", "hourly_rate", "amount", "extra_amount", "surcharge", "displaced", "waived",
    "kind", "date", "engineer", "reference", "topic",
]  # fmt: skip
TOTAL_COLUMNS = [
    "month", "customer", "customer_name", "tickets", "billed_minutes", "billed_hours",
    "quota_hours", "extra_hours", "monthly_hours", "hourly_rate", "amount", "extra_amount",
    "surcharge", "entries",
]  # fmt: skip


def export_csv(
    session: Session, month: date, semicolon: bool = False, totals: bool = False
) -> bytes:
    """A closed month as a CSV file (see `export`)."""
    run = session.scalar(select(BillingRun).where(BillingRun.month == month.replace(day=1)))
    if run is None:
        raise BillingError(f"{month:%Y-%m} is not closed yet: run the billing first")
    return export(run, appointments.planning(session).zone, semicolon, totals)


def export(run: BillingRun, zone: ZoneInfo, semicolon: bool = False, totals: bool = False) -> bytes:
    """A run as CSV for spreadsheets (hotline/spreadsheet.py): one row per emergency, or with
    `totals` one row per customer with the month's sums. Never both in one file: a SUM over a
    column of either counts every emergency once. `semicolon`: `;` and decimal commas."""
    variant = spreadsheet.GERMAN if semicolon else spreadsheet.INTERNATIONAL
    lines = sorted(
        run.lines,
        key=lambda x: (x.customer.number, x.accepted_at, x.ticket_id or 0, x.time_entry_id or 0),
    )
    month = f"{run.month:%Y-%m}"
    if totals:
        by_customer: dict[str, list[BillingLine]] = defaultdict(list)
        for x in lines:
            by_customer[x.customer.number].append(x)
        rows = [_total(month, group) for group in by_customer.values()]
        return spreadsheet.write(TOTAL_COLUMNS, rows, variant)
    return spreadsheet.write(LINE_COLUMNS, (_line(month, x, zone) for x in lines), variant)


def _line(month: str, x: BillingLine, zone: ZoneInfo) -> list[spreadsheet.Cell]:
    """An emergency's row, or a time entry's: then ticket and accepted stay empty, and kind,
    engineer, reference and topic say what the work was."""
    displaced = ", ".join(
        f"#{d['id']} {d['customer']} {d['starts_at'][:16]} {d['title']} ({d['outcome']})"
        for d in x.displaced
    )
    entry = x.time_entry
    local = x.accepted_at.astimezone(zone)
    return [
        month, x.customer.number, x.customer.name, x.ticket_id if entry is None else "",
        local.strftime("%Y-%m-%d %H:%M") if entry is None else "", -(-x.phone_seconds // 60),
        x.work_minutes, x.raw_minutes, x.billed_minutes, rule.hours(x.billed_minutes),
        rule.hours(x.quota_minutes), rule.hours(x.extra_minutes), x.monthly_hours, x.hourly_rate,
        x.amount, x.extra_amount, x.surcharge, displaced, x.surcharge_waived_reason or "",
        "emergency" if entry is None else "support",
        (entry.day if entry else local.date()).isoformat(),
        entry.engineer.key if entry else "", (entry.reference or "") if entry else "",
        entry.topic if entry else "",
    ]  # fmt: skip


def _total(month: str, lines: list[BillingLine]) -> list[spreadsheet.Cell]:
    """One customer's month; `tickets` counts emergencies, `entries` time entries."""
    first = lines[0]

    def money(values: Iterable[Decimal]) -> Decimal:
        return sum(values, Decimal("0.00"))

    return [
        month, first.customer.number, first.customer.name,
        sum(1 for x in lines if x.ticket_id is not None),
        sum(x.billed_minutes for x in lines), rule.hours(sum(x.billed_minutes for x in lines)),
        rule.hours(sum(x.quota_minutes for x in lines)),
        rule.hours(sum(x.extra_minutes for x in lines)), first.monthly_hours, first.hourly_rate,
        money(x.amount for x in lines), money(x.extra_amount for x in lines),
        money(x.surcharge for x in lines), sum(1 for x in lines if x.time_entry_id is not None),
    ]  # fmt: skip

"""Appointments: import, list, the displacement check, and the dispatcher's decisions.

The rules live in escalation/ (displacement, slots); here they meet the database and the outbox.
Every service works in the caller's transaction and leaves committing to it, except
`check_displacements`, the worker's job, which commits what it did.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from escalation import displacement as rule
from escalation import regions, wallclock
from escalation.displacement import AT_RISK, CANCELLED, PLANNED, Window
from escalation.slots import Interval, WorkingHours, free_slots, overlaps
from hotline import links, texts, tickets
from hotline.models import (
    Absence,
    Appointment,
    Customer,
    Displacement,
    Engineer,
    Provider,
    Ticket,
)

LANGUAGES = ("de", "en")


class AppointmentError(ValueError):
    """A decision that cannot be made (wrong state, a clash); the message says why."""


@dataclass(frozen=True)
class Planning:
    """The provider's planning settings (`Provider.settings`, documented in docs/billing.md)."""

    zone: ZoneInfo
    hours: WorkingHours
    emergency: timedelta  # expected emergency duration unless the contract says otherwise
    travel: timedelta  # to an on-site appointment after an emergency
    step: timedelta  # suggested slots start on these boundaries
    region: str  # the provider's holiday region (escalation/regions.py)
    dispatcher: str | None  # who is told about appointments at risk

    def holidays(self, region: str | None = None) -> regions.Holidays:
        """The public holidays of `region` (a team's own), else of the provider's region."""
        return regions.Holidays(region or self.region)


def language(customer: Customer) -> str:
    """The language a customer is written to; German unless we have their own."""
    return customer.language if customer.language in LANGUAGES else "de"


def provider(session: Session) -> Provider:
    return Provider.one(session) or Provider(name="", settings={})


def planning(session: Session) -> Planning:
    p = provider(session)
    s: dict[str, Any] = p.settings or {}
    return Planning(
        zone=wallclock.zone(p.timezone),
        hours=WorkingHours.from_settings(s.get("working_hours")),
        emergency=timedelta(minutes=int(s.get("emergency_minutes", 120))),
        travel=timedelta(minutes=int(s.get("travel_minutes", 30))),
        step=timedelta(minutes=int(s.get("slot_minutes", 15))),
        region=p.holiday_region or regions.DEFAULT,
        dispatcher=s.get("dispatcher_email") or p.support_email,
    )


# --- import --------------------------------------------------------------------------------


@dataclass
class Imported:
    created: int = 0
    updated: int = 0
    skipped: list[str] = field(default_factory=list)  # why each skipped entry was skipped


def upsert(
    session: Session,
    key: str,
    engineer: Engineer,
    customer: Customer | None,
    start: datetime,
    end: datetime,
    title: str,
    onsite: bool,
) -> bool:
    """Create or update by `key`; True when created. A decided appointment keeps its decision."""
    if end <= start:
        raise AppointmentError(f"{key} ends before it starts")
    found = session.scalar(select(Appointment).where(Appointment.key == key))
    if found is None:
        session.add(
            Appointment(
                key=key, engineer=engineer, customer=customer, starts_at=start, ends_at=end,
                title=title, onsite=onsite, status=PLANNED,
            )
        )  # fmt: skip
        return True
    if found.status == PLANNED:
        found.engineer, found.starts_at, found.ends_at = engineer, start, end
    found.customer, found.title, found.onsite = customer, title, onsite
    return False


CSV_COLUMNS = ("key", "engineer", "start", "end")  # required; customer, title, onsite optional
ONSITE = {"1", "true", "yes", "ja", "x"}


@dataclass(frozen=True)
class Row:
    """An appointment as a CSV file gives it: times read as instants, references as written."""

    key: str
    engineer: str  # an engineer key
    customer: str  # a customer number, "" for none
    start: datetime
    end: datetime
    title: str
    onsite: bool


def import_csv(session: Session, text: str, zone: ZoneInfo | None = None) -> Imported:
    """Rows `key;engineer;customer;start;end;title;onsite` (comma works too), with a header.

    Times without an offset are wall-clock times in the provider's zone, as in the directory.
    A bad file is refused as a whole; a bad row is skipped and named.
    """
    result = Imported()
    for number, row in read_csv(text, zone or planning(session).zone):
        try:
            if isinstance(row, Exception):
                raise row
            created = upsert(
                session, row.key, _engineer(session, row.engineer),
                _customer(session, row.customer), row.start, row.end, row.title, row.onsite,
            )  # fmt: skip
        except (AppointmentError, ValueError) as exc:
            result.skipped.append(f"line {number}: {exc}")
            continue
        result.created += created
        result.updated += not created
    return result


def read_csv(text: str, zone: ZoneInfo) -> Iterator[tuple[int, Row | ValueError]]:
    """The rows of an appointments CSV file with their line numbers, each read or the reason
    it cannot be; a file without the header's columns raises AppointmentError."""
    header = text.splitlines()[0] if text.strip() else ""
    try:
        dialect = csv.Sniffer().sniff(header, delimiters=";,")
    except csv.Error as exc:
        raise AppointmentError(
            f"no header line naming the columns {';'.join(CSV_COLUMNS)}"
        ) from exc
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise AppointmentError(f"the header lacks the column(s) {', '.join(missing)}")
    for number, raw in enumerate(reader, start=2):
        row = {k: v.strip() for k, v in raw.items() if isinstance(v, str)}
        blank = [c for c in CSV_COLUMNS if not row.get(c)]
        if blank:
            yield number, AppointmentError(f"no {', '.join(blank)}")
            continue
        try:
            start, end = wallclock.parse(row["start"], zone), wallclock.parse(row["end"], zone)
        except ValueError as exc:
            yield number, exc
            continue
        except OverflowError:
            yield number, ValueError("date value out of range")
            continue
        yield number, Row(
            row["key"], row["engineer"], row.get("customer") or "", start, end,
            row.get("title") or "", (row.get("onsite") or "").lower() in ONSITE,
        )  # fmt: skip


def import_ics(
    session: Session, engineer_key: str, data: bytes, zone: ZoneInfo | None = None
) -> Imported:
    """An engineer's calendar export: each timed event naming a customer number becomes an
    appointment, keyed by its UID. On site when it has a location that is not remote."""
    from icalendar import Calendar

    zone = zone or planning(session).zone
    engineer = _engineer(session, engineer_key)
    numbers = {c.number: c for c in session.scalars(select(Customer))}
    try:
        events = Calendar.from_ical(data).walk("VEVENT")
    except ValueError as exc:
        raise AppointmentError(f"not an iCalendar file: {exc}") from exc
    result = Imported()
    for event in events:
        name = str(event.get("UID", "")) or str(event.get("SUMMARY", ""))
        try:
            created = _import_event(session, engineer, event, numbers, zone)
        except AppointmentError as exc:
            result.skipped.append(f"{name}: {exc}")
            continue
        result.created += created
        result.updated += not created
    return result


def _import_event(
    session: Session, engineer: Engineer, event: Any, customers: dict[str, Customer], zone: ZoneInfo
) -> bool:
    start = event.get("DTSTART")
    if start is None or not isinstance(start.dt, datetime):
        raise AppointmentError("no start time (all-day event)")
    if event.get("RRULE"):
        raise AppointmentError("recurring events are not expanded")
    text = " ".join(str(event.get(k, "")) for k in ("SUMMARY", "DESCRIPTION", "LOCATION"))
    customer = _customer_in(text, customers)
    if customer is None:
        raise AppointmentError("no known customer number")
    begins, ends = event_times(event, zone)
    location = str(event.get("LOCATION", "")).strip().lower()
    onsite = bool(location) and not location.startswith(("remote", "online", "http", "teams"))
    key = f"ics:{event.get('UID', '')}"
    return upsert(
        session, key, engineer, customer, begins, ends, str(event.get("SUMMARY", "")), onsite
    )


def event_times(event: Any, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """A timed iCalendar event's start and end as instants: a floating time is wall-clock time
    in the provider's zone, one with a TZID wall-clock time of that zone, by the one rule."""
    start, end = event.get("DTSTART"), event.get("DTEND")
    if start is None or not isinstance(start.dt, datetime):
        raise AppointmentError("no start time (all-day event)")
    try:
        begins = wallclock.instant(start.dt, zone)
        if end is not None and isinstance(end.dt, datetime):
            return begins, wallclock.instant(end.dt, zone)
        if end is None and "DURATION" in event:
            return begins, begins + event.decoded("DURATION")
    except OverflowError:
        raise AppointmentError("date value out of range") from None
    raise AppointmentError("no end time")


def _customer_in(text: str, customers: dict[str, Customer]) -> Customer | None:
    for word in re.findall(r"[A-Za-z0-9-]+", text):
        if word in customers:
            return customers[word]
    return None


def _engineer(session: Session, key: str) -> Engineer:
    engineer = session.scalar(select(Engineer).where(Engineer.key == key.strip()))
    if engineer is None:
        raise AppointmentError(f"no engineer {key!r}")
    return engineer


def _customer(session: Session, number: str) -> Customer | None:
    if not number.strip():
        return None
    customer = session.scalar(select(Customer).where(Customer.number == number.strip()))
    if customer is None:
        raise AppointmentError(f"no customer {number!r}")
    return customer


# --- listing -------------------------------------------------------------------------------


def listing(
    session: Session,
    since: datetime | None = None,
    engineer: Engineer | None = None,
    status: str | None = None,
) -> list[Appointment]:
    """At risk first (they need a decision), then by start."""
    query = select(Appointment)
    if since is not None:
        query = query.where(Appointment.ends_at > since)
    if engineer is not None:
        query = query.where(Appointment.engineer_id == engineer.id)
    if status is not None:
        query = query.where(Appointment.status == status)
    found = session.scalars(query).all()
    return sorted(found, key=lambda a: (a.status != AT_RISK, a.starts_at, a.id))


def as_dict(appointment: Appointment, zone: ZoneInfo) -> dict[str, Any]:
    a = appointment
    return {
        "id": a.id,
        "key": a.key,
        "engineer": a.engineer.key,
        "customer": a.customer.number if a.customer else None,
        "customer_name": a.customer.name if a.customer else None,
        "start": a.starts_at.astimezone(zone).isoformat(),
        "end": a.ends_at.astimezone(zone).isoformat(),
        "title": a.title,
        "onsite": a.onsite,
        "status": a.status,
        "original_start": a.original_starts_at.astimezone(zone).isoformat()
        if a.original_starts_at
        else None,
    }


@dataclass(frozen=True)
class Waiting:
    """An appointment at risk and how long its decision has waited."""

    appointment: Appointment
    since: datetime  # when the first emergency still waiting on it put it at risk
    tickets: tuple[Ticket, ...]  # the emergencies that put it at risk


def queue(session: Session) -> list[Waiting]:
    """The appointments waiting for the dispatcher, the decision that has waited longest first
    (then by start): the page's queue, so nothing sits at the bottom for days."""
    rows = session.execute(
        select(Displacement, Appointment)
        .join(Appointment, Appointment.id == Displacement.appointment_id)
        .where(
            Appointment.status == AT_RISK,
            Displacement.outcome.is_(None),
            Displacement.released_at.is_(None),
        )
        .order_by(Displacement.created_at, Displacement.id)
    ).tuples()
    found: dict[int, Waiting] = {}
    for displacement, appointment in rows:
        known = found.get(appointment.id)
        since = known.since if known else displacement.created_at
        tickets = (*known.tickets, displacement.ticket) if known else (displacement.ticket,)
        found[appointment.id] = Waiting(appointment, since, tickets)
    return sorted(
        found.values(), key=lambda w: (w.since, w.appointment.starts_at, w.appointment.id)
    )


# --- displacement --------------------------------------------------------------------------


def expected(session: Session, customer: Customer | None) -> timedelta:
    """How long an emergency of `customer` is expected to take: its contract's
    `emergency_minutes`, else the provider's. The one duration both the displacement check and
    the chain's `fewest-displaced` order use."""
    contract = customer.contract if customer else None
    if contract is not None and contract.emergency_minutes:
        return timedelta(minutes=contract.emergency_minutes)
    return planning(session).emergency


def check_displacements(session: Session, now: datetime) -> int:
    """The worker's job: put the appointments of newly accepted emergencies at risk.

    Each ticket is claimed by a conditional UPDATE, so two workers never check it twice.
    Returns how many tickets were checked; commits.
    """
    ids = session.scalars(
        select(Ticket.id).where(
            Ticket.accepted_at.is_not(None), Ticket.displacement_checked_at.is_(None)
        )
    ).all()
    checked = 0
    for ticket_id in ids:
        claimed = session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.displacement_checked_at.is_(None))
            .values(displacement_checked_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            continue
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        session.refresh(ticket)
        added, _ = displace(session, ticket, now)
        if added:
            _tell_dispatcher(session, ticket, added, [], f"displaced:{ticket.id}")
        session.commit()
        checked += 1
    return checked


def recheck(session: Session, ticket: Ticket, now: datetime) -> None:
    """After resolution: the real duration decides; appointments that turned out fine return."""
    if ticket.displacement_checked_at is None:
        return  # the worker's first check will use the real duration
    added, released = displace(session, ticket, now)
    if added or released:
        key = f"displaced:{ticket.id}:resolved:{now.isoformat()}"  # a corrected resolution too
        _tell_dispatcher(session, ticket, added, released, key)


def displace(
    session: Session, ticket: Ticket, now: datetime
) -> tuple[list[Appointment], list[Appointment]]:
    """Bring the ticket's displacements in line with its window: (newly at risk, released)."""
    if ticket.accepted_at is None or ticket.accepted_by_id is None:
        return [], []
    settings = planning(session)
    window = Window.of(ticket.accepted_at, expected(session, ticket.customer), ticket.resolved_at)
    candidates = session.scalars(
        select(Appointment).where(
            Appointment.engineer_id == ticket.accepted_by_id,
            Appointment.status != CANCELLED,
            Appointment.starts_at < window.end + settings.travel,
            Appointment.ends_at > window.start,
        )
    ).all()
    hit = set(rule.at_risk(map(_as_rule, candidates), window, settings.travel))
    known = {
        d.appointment_id: d
        for d in session.scalars(select(Displacement).where(Displacement.ticket_id == ticket.id))
    }
    added: list[Appointment] = []
    for appointment in candidates:
        if appointment.id not in hit:
            continue
        displacement = known.get(appointment.id)
        if displacement is None:
            session.add(Displacement(appointment=appointment, ticket=ticket, created_at=now))
        elif displacement.released_at is not None and displacement.outcome is None:
            displacement.released_at = None
        else:
            continue
        appointment.status = AT_RISK
        added.append(appointment)
        _event(session, ticket, now, "appointment at risk", appointment)
    released: list[Appointment] = []
    for displacement in known.values():
        if displacement.appointment_id in hit or displacement.outcome or displacement.released_at:
            continue
        displacement.released_at = now
        session.flush()
        if not _undecided(session, displacement.appointment_id):
            displacement.appointment.status = PLANNED
        released.append(displacement.appointment)
        _event(session, ticket, now, "appointment released", displacement.appointment)
    return added, released


def _as_rule(a: Appointment) -> rule.Appointment:
    return rule.Appointment(a.id, a.starts_at, a.ends_at, a.onsite, a.status)


def _undecided(session: Session, appointment_id: int) -> list[Displacement]:
    """The displacements still waiting for a decision on this appointment."""
    return list(
        session.scalars(
            select(Displacement).where(
                Displacement.appointment_id == appointment_id,
                Displacement.outcome.is_(None),
                Displacement.released_at.is_(None),
            )
        )
    )


def _event(session: Session, ticket: Ticket, at: datetime, kind: str, a: Appointment) -> None:
    tickets.log(
        session, ticket, at, kind, appointment=a.id, key=a.key, start=a.starts_at.isoformat()
    )


def _tell_dispatcher(
    session: Session,
    ticket: Ticket,
    added: Sequence[Appointment],
    released: Sequence[Appointment],
    key: str,
) -> None:
    from hotline import notify

    settings = planning(session)
    if not settings.dispatcher:
        return
    mail = texts.email(
        "displaced", ticket=ticket, added=added, released=released, zone=settings.zone,
        page=links.public("web.appointments"),
    )  # fmt: skip
    notify.enqueue_email(
        session, settings.dispatcher, mail.subject, mail.text, key, ticket_id=ticket.id
    )


# --- decisions -----------------------------------------------------------------------------


def keep(session: Session, appointment: Appointment, now: datetime) -> None:
    """The engineer will make it after all."""
    if appointment.status != AT_RISK:
        raise AppointmentError(f"appointment {appointment.id} is {appointment.status}, not at risk")
    _decide(session, appointment, rule.KEPT, now)


def reassign(session: Session, appointment: Appointment, engineer: Engineer, now: datetime) -> None:
    """Same time, another engineer; the customer keeps the appointment."""
    _live(appointment)
    if engineer.id == appointment.engineer_id:
        raise AppointmentError(f"appointment {appointment.id} is already {engineer.key}'s")
    _free(session, engineer, (appointment.starts_at, appointment.ends_at), appointment, now)
    appointment.engineer = engineer
    _decide(session, appointment, rule.REASSIGNED, now)


def reschedule(
    session: Session,
    appointment: Appointment,
    start: datetime,
    now: datetime,
    engineer: Engineer | None = None,
) -> None:
    """A new time (and perhaps another engineer), same length; the customer is told."""
    _live(appointment)
    engineer = engineer or appointment.engineer
    slot = (start, start + (appointment.ends_at - appointment.starts_at))
    _free(session, engineer, slot, appointment, now)
    if appointment.original_starts_at is None:
        appointment.original_starts_at = appointment.starts_at
        appointment.original_ends_at = appointment.ends_at
    appointment.engineer = engineer
    appointment.starts_at, appointment.ends_at = slot
    _decide(session, appointment, rule.RESCHEDULED, now)
    tell_customer(session, appointment, rule.RESCHEDULED, now)


def cancel(session: Session, appointment: Appointment, now: datetime) -> None:
    _live(appointment)
    _decide(session, appointment, rule.CANCELLED, now)
    tell_customer(session, appointment, rule.CANCELLED, now)


def _live(appointment: Appointment) -> None:
    if appointment.status == CANCELLED:
        raise AppointmentError(f"appointment {appointment.id} is cancelled")


def _decide(session: Session, appointment: Appointment, outcome: str, now: datetime) -> None:
    """The decision closes every displacement waiting on it: it is the §2 evidence."""
    for displacement in _undecided(session, appointment.id):
        displacement.outcome, displacement.decided_at = outcome, now
    appointment.status = outcome


def _free(
    session: Session, engineer: Engineer, slot: Interval, appointment: Appointment, now: datetime
) -> None:
    clash = [b for b in busy(session, engineer, now, appointment) if overlaps(b, slot)]
    if clash:
        zone = planning(session).zone
        start, end = (wallclock.local(at, zone) for at in clash[0])
        raise AppointmentError(
            f"{engineer.key} is busy then ({start:%a %d.%m.%Y %H:%M} - {end:%a %d.%m.%Y %H:%M})"
        )


def busy(
    session: Session, engineer: Engineer, now: datetime, leave_out: Appointment | None = None
) -> list[Interval]:
    """An engineer's booked time from now: live appointments, open emergencies, absences.

    For an on-site appointment (`leave_out`, the one being moved) an open emergency also
    blocks the travel time after it.
    """
    appointments = session.scalars(
        select(Appointment).where(
            Appointment.engineer_id == engineer.id,
            Appointment.status != CANCELLED,
            Appointment.ends_at > now,
            Appointment.id != (leave_out.id if leave_out else -1),
        )
    )
    intervals = [(a.starts_at, a.ends_at) for a in appointments]
    for ticket in session.scalars(
        select(Ticket).where(Ticket.accepted_by_id == engineer.id, Ticket.resolved_at.is_(None))
    ):
        assert ticket.accepted_at is not None
        window = Window.of(ticket.accepted_at, expected(session, ticket.customer), None)
        travel = planning(session).travel if leave_out and leave_out.onsite else timedelta()
        intervals.append((window.start, max(window.end, now) + travel))
    absences = session.scalars(
        select(Absence).where(Absence.engineer_id == engineer.id, Absence.ends_at > now)
    )
    intervals += [(a.starts_at, a.ends_at) for a in absences]
    return intervals


# --- suggestions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    engineer: Engineer
    starts_at: datetime
    ends_at: datetime


def suggestions(
    session: Session, appointment: Appointment, now: datetime, per_engineer: int = 3
) -> list[Suggestion]:
    """The earliest free slots of the same engineer, then of the customer's team's other
    consultants, inside working hours and never on a public holiday (of the customer's team's
    holiday region, else the provider's)."""
    settings = planning(session)
    team = appointment.customer.team if appointment.customer else None
    days_off = settings.holidays(team.holiday_region if team else None)
    duration = appointment.ends_at - appointment.starts_at
    found: list[Suggestion] = []
    for engineer in _candidates(session, appointment):
        slots = free_slots(
            busy(session, engineer, now, appointment), duration, now, settings.zone,
            settings.hours, days_off, step=settings.step,
        )  # fmt: skip
        for _, (start, end) in zip(range(per_engineer), slots, strict=False):
            found.append(Suggestion(engineer, start, end))
    return found


def _candidates(session: Session, appointment: Appointment) -> list[Engineer]:
    team_id = appointment.customer.team_id if appointment.customer else None
    others: Iterable[Engineer] = ()
    if team_id is not None:
        others = session.scalars(
            select(Engineer)
            .where(
                Engineer.team_id == team_id,
                Engineer.role == "consultant",
                Engineer.active.is_(True),
                Engineer.id != appointment.engineer_id,
            )
            .order_by(Engineer.key)
        )
    return [appointment.engineer, *others]


def free_to_take(session: Session, appointment: Appointment, now: datetime) -> list[Engineer]:
    """The customer's team's other consultants free at the appointment's time: whom it can be
    reassigned to without a clash (`reassign` checks again)."""
    slot = (appointment.starts_at, appointment.ends_at)
    return [
        engineer
        for engineer in _candidates(session, appointment)[1:]
        if not any(overlaps(b, slot) for b in busy(session, engineer, now, appointment))
    ]


# --- the customer --------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """What a customer is told of a decision, composed but not sent: the page shows it before
    the dispatcher confirms, and `tell_customer` sends exactly this."""

    email_to: str | None
    email: texts.Email | None
    sms_to: str | None
    sms: str | None


def notice(
    session: Session,
    appointment: Appointment,
    outcome: str,
    start: datetime | None = None,
    engineer: Engineer | None = None,
) -> Notice:
    """The customer's notice of `outcome`, the appointment (as it stands, or moved to `start`
    with `engineer`, same length) in the customer's language; nothing for no customer."""
    customer = appointment.customer
    if customer is None:
        return Notice(None, None, None, None)
    zone = planning(session).zone
    start = start or appointment.starts_at
    lang = language(customer)
    context = {
        "a": appointment,
        "engineer": engineer or appointment.engineer,
        "customer": customer,
        "outcome": outcome,
        "start": start.astimezone(zone),
        "end": (start + (appointment.ends_at - appointment.starts_at)).astimezone(zone),
        "was": (appointment.original_starts_at or appointment.starts_at).astimezone(zone),
        "provider": provider(session).name,
    }
    mail = texts.email(f"appointment.{lang}", **context) if customer.email else None
    sms = texts.sms(f"appointment.{lang}", **context) if customer.sms_number else None
    return Notice(customer.email, mail, customer.sms_number, sms)


def tell_customer(session: Session, appointment: Appointment, outcome: str, now: datetime) -> None:
    """E-mail (and SMS where set) to the appointment's customer, in their language.

    One notice per decision: the key names its time and result, so moving an appointment back
    to a time it had before still tells the customer, and only a repeat enqueues nothing.
    """
    from hotline import notify

    told = notice(session, appointment, outcome)
    moved_to = appointment.starts_at.isoformat()
    key = f"appointment:{appointment.id}:{outcome}:{now.isoformat()}:{moved_to}"
    if told.email_to and told.email:
        notify.enqueue_email(session, told.email_to, told.email.subject, told.email.text,
                             f"{key}:email")  # fmt: skip
    if told.sms_to and told.sms:
        notify.enqueue_sms(session, told.sms_to, told.sms, f"{key}:sms")

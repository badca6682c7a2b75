"""Appointments from the provider's planning tool: CSV and iCalendar, found again by their
external id so a re-import updates instead of doubling."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from escalation import wallclock
from escalation.displacement import PLANNED
from hotline.appointments.plan import AppointmentError, planning
from hotline.models import (
    Appointment,
    Customer,
    Engineer,
)


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

"""A ticket system's time export (CSV) as time entries: `flask --app hotline import-hours FILE`.

What spreadsheets and ticket systems write: German or English headers, `;` or `,` between
fields, decimal commas, dates as `03.12.2026` or `2026-12-03`, UTF-8 (with or without BOM) or
Windows-1252. The whole file or nothing: every error is collected and named with its line and
field. A row is found again by ticket, day and engineer, so a second import of the same file
changes nothing; rows of one file with the same ticket, day and engineer are one entry (their
minutes added up), the way the web page keeps them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import hours
from hotline.hours import HoursError, Work
from hotline.models import Customer, Engineer, TimeEntry

# Each field: the header names it goes by (lower case; the first is the English one).
HEADERS: dict[str, tuple[str, ...]] = {
    "date": ("date", "datum", "tag"),
    "engineer": ("engineer", "techniker", "mitarbeiter", "bearbeiter", "agent"),
    "customer": ("customer", "kunde", "kundennummer", "kunden-nr", "kunden-nr.", "kundennr"),
    "minutes": ("minutes", "minuten", "dauer (min)", "zeit (min)"),
    "hours": ("hours", "stunden", "dauer (h)", "zeit (h)"),
    "topic": ("topic", "thema", "betreff", "tätigkeit", "beschreibung", "subject"),
    "reference": ("ticket", "reference", "ticketnummer", "ticket-nr", "ticket-nr.", "referenz"),
    "billable": ("billable", "abrechenbar", "verrechenbar"),
}
REQUIRED = ("date", "engineer", "customer", "topic", "reference")
YES = {"", "1", "x", "ja", "j", "yes", "y", "true", "wahr"}
NO = {"0", "nein", "n", "no", "false", "falsch", "-"}


class TimesheetError(ValueError):
    """The file as a whole cannot be imported; `errors` names each line and field."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class Row:
    line: int
    work: Work
    lines: list[int] = field(default_factory=list)  # every line that went into it
    found: TimeEntry | None = None  # the entry an earlier import made of it

    @property
    def unchanged(self) -> bool:
        f, w = self.found, self.work
        return f is not None and (f.customer_id, f.minutes, f.topic, f.billable) == (
            w.customer.id, w.minutes, w.topic, w.billable
        )  # fmt: skip


@dataclass(frozen=True)
class Result:
    added: int
    updated: int
    unchanged: int


def text_of(data: bytes) -> str:
    """UTF-8 (a BOM is dropped), else Windows-1252 as German Excel writes it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


@dataclass(frozen=True)
class Sheet:
    rows: list[Row]
    names: dict[str, str]  # field -> the file's header for it

    def name(self, key: str) -> str:
        return self.names.get(key) or self.names.get("hours" if key == "minutes" else key, key)


def read(session: Session, data: bytes, now: datetime) -> Sheet:
    """The file's rows as entries, each checked as the web page checks one (unless it is
    already stored as it is), or TimesheetError with every problem found."""
    text = text_of(data)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") and ";" in first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise TimesheetError(["the file is empty"]) from None
    columns, errors = _columns(header)
    if errors:
        raise TimesheetError(errors)
    names = {k: header[i].strip() for k, i in columns.items()}
    people = _people(session)
    customers = {c.number: c for c in session.scalars(select(Customer))}
    rows: dict[tuple[str, date, int], Row] = {}
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        cell = {k: (values[i].strip() if i < len(values) else "") for k, i in columns.items()}
        problems: list[str] = []

        def field_(key: str, parse: Callable[[str], object], problems: list[str] = problems,
                   cell: dict[str, str] = cell, line: int = line) -> object:  # fmt: skip
            try:
                return parse(cell.get(key, ""))
            except ValueError as exc:
                problems.append(f"line {line}, {names[key]}: {exc}")
                return None

        day = field_("date", parse_date)
        engineer = field_("engineer", lambda v: _lookup(people, v, "engineer"))
        customer = field_("customer", lambda v: _lookup(customers, v, "customer number"))
        topic = field_("topic", lambda v: v or _missing("what was done"))
        reference = field_("reference", lambda v: v or _missing("the ticket's number"))
        minutes = (
            field_("minutes", parse_minutes) if "minutes" in cell else field_("hours", parse_hours)
        )
        billable = field_("billable", parse_yes) if "billable" in cell else True
        if problems:
            errors += problems
            continue
        assert isinstance(day, date) and isinstance(engineer, Engineer)
        assert isinstance(customer, Customer) and isinstance(minutes, int)
        work = Work(customer, engineer, day, minutes, str(topic), str(reference), bool(billable))
        key = (work.reference or "", day, engineer.id)
        if key in rows:
            rows[key] = _merged(rows[key], work, line, names, errors)
        else:
            rows[key] = Row(line, work, [line])
    sheet = Sheet(list(rows.values()), names)
    for row in sheet.rows:
        row.found = hours.find(session, row.work.reference or "", row.work.day, row.work.engineer)
        if row.unchanged:
            continue
        try:
            hours.check(session, row.work, now)
        except HoursError as exc:
            errors.append(f"line {row.line}, {sheet.name(exc.field)}: {exc.english}")
    if errors:
        raise TimesheetError(sorted(errors, key=_line_number))
    return sheet


def load(session: Session, data: bytes, by: str, now: datetime) -> Result:
    """Import the file: all its rows, or none (TimesheetError). The caller commits."""
    sheet = read(session, data, now)
    added = updated = unchanged = 0
    for row in sheet.rows:
        w, found = row.work, row.found
        if row.unchanged:
            unchanged += 1
        elif found is None:
            hours.add(session, w, by, now, source="import")
            added += 1
        else:
            found.customer, found.minutes, found.topic = w.customer, w.minutes, w.topic
            found.billable = w.billable
            updated += 1
    return Result(added, updated, unchanged)


def _line_number(error: str) -> int:
    return int(error.split(",")[0].split(":")[0].removeprefix("line "))


def _columns(header: list[str]) -> tuple[dict[str, int], list[str]]:
    found: dict[str, int] = {}
    for i, name in enumerate(header):
        wanted = name.strip().lstrip("\ufeff").lower()
        for key, names in HEADERS.items():
            if wanted in names and key not in found:
                found[key] = i
    missing = [HEADERS[k][0] for k in REQUIRED if k not in found]
    if "minutes" not in found and "hours" not in found:
        missing.append("minutes or hours")
    if not missing:
        return found, []
    known = "; ".join(f"{k}: {', '.join(v)}" for k, v in HEADERS.items())
    return found, [f"line 1: no column for {', '.join(missing)} (headers known: {known})"]


def _people(session: Session) -> dict[str, Engineer]:
    """Engineers by key, e-mail and name (lower case): what a ticket system calls its agents."""
    people: dict[str, Engineer] = {}
    for e in session.scalars(select(Engineer).order_by(Engineer.id)):
        for name in (e.name, e.email, e.key):
            if name:
                people[name.strip().lower()] = e
    return people


T = TypeVar("T")


def _lookup(table: dict[str, T], value: str, what: str) -> T:
    if not value:
        _missing(what)
    found = table.get(value) or table.get(value.lower())
    if found is None:
        raise ValueError(f'no {what} "{value[:60]}"')
    return found


def _missing(what: str) -> str:
    raise ValueError(f"empty, expected {what}")


def _merged(first: Row, work: Work, line: int, names: dict[str, str], errors: list[str]) -> Row:
    """Two rows of one ticket, day and engineer: one entry with both times."""
    old = first.work
    if old.customer.id != work.customer.id:
        errors.append(
            f"line {line}, {names['customer']}: ticket {work.reference} is for "
            f"{old.customer.number} in line {first.line}"
        )
        return first
    topics = old.topic if work.topic in old.topic.split("; ") else f"{old.topic}; {work.topic}"
    merged = Work(old.customer, old.engineer, old.day, old.minutes + work.minutes, topics,
                  old.reference, old.billable and work.billable)  # fmt: skip
    return Row(first.line, merged, [*first.lines, line])


DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})")
ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def parse_date(value: str) -> date:
    """`03.12.2026`, `3.12.26` or `2026-12-03`; a time after it (`03.12.2026 14:30`) is ignored."""
    text = value.split(" ")[0].split("T")[0]
    try:
        if m := DATE.fullmatch(text):
            year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
            return date(year, int(m[2]), int(m[1]))
        if m := ISO.fullmatch(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:  # 31.02.2026: shaped like a date, but none
        pass
    raise ValueError(f'"{value[:40]}" is no date (dd.mm.yyyy or yyyy-mm-dd)')


def number(value: str) -> Decimal:
    """`1,5` or `1.5` (a decimal comma or point; `1.234,5` with a thousands point)."""
    text = value.replace(" ", "").replace("\u00a0", "")
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        result = Decimal(text)
    except InvalidOperation:
        raise ValueError(f'"{value[:40]}" is no number') from None
    if not result.is_finite():
        raise ValueError(f'"{value[:40]}" is no number')
    return result


def parse_minutes(value: str) -> int:
    minutes = number(value)
    if minutes != minutes.to_integral_value():
        raise ValueError(f'"{value}" is not a whole number of minutes')
    return _positive(int(minutes), value)


def parse_hours(value: str) -> int:
    """Decimal hours to whole minutes, half up (`0,33` is 20 minutes)."""
    minutes = (number(value) * 60).quantize(Decimal(1), ROUND_HALF_UP)
    return _positive(int(minutes), value)


def _positive(minutes: int, value: str) -> int:
    if not 0 < minutes <= hours.LONGEST:
        raise ValueError(f'"{value}" is not between 1 minute and 24 hours')
    return minutes


def parse_yes(value: str) -> bool:
    if value.lower() in YES:
        return True
    if value.lower() in NO:
        return False
    raise ValueError(f'"{value[:20]}" is neither yes (ja, 1, x) nor no (nein, 0)')

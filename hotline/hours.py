"""Time entries: regular support and project work per customer, beyond emergencies.

Entered on the web (/hours) or imported from a ticket system (hotline/timesheet.py); the
month-end run and the status e-mail count them with the emergencies (hotline/billing.py).
Time of a closed month is never entered, changed or removed: the run that billed it stays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import appointments, billing
from hotline.models import Customer, Engineer, TimeEntry

LONGEST = 24 * 60  # minutes of one entry: one engineer's day at most
TOPIC_LENGTH = TimeEntry.topic.type.length
REFERENCE_LENGTH = TimeEntry.reference.type.length


class HoursError(ValueError):
    """A time entry that cannot be taken: the message says why in German (the page's), and
    `english` for the command line, both naming the `field` at fault."""

    def __init__(self, field: str, german: str, english: str) -> None:
        super().__init__(german)
        self.field, self.english = field, english


@dataclass(frozen=True)
class Work:
    """One entry as given, before it is stored."""

    customer: Customer
    engineer: Engineer
    day: date
    minutes: int
    topic: str
    reference: str | None = None
    billable: bool = True


def check(session: Session, work: Work, now: datetime) -> None:
    """Raise HoursError unless `work` can be entered at `now`."""
    if not 0 < work.minutes <= LONGEST:
        raise HoursError(
            "minutes",
            f"Minuten: {work.minutes} liegt nicht zwischen 1 und {LONGEST}",
            f"{work.minutes} is not between 1 and {LONGEST}",
        )
    if not work.topic.strip():
        raise HoursError("topic", "Thema: bitte angeben, woran gearbeitet wurde",
                         "empty, expected what was done")  # fmt: skip
    if len(work.topic) > TOPIC_LENGTH:
        raise HoursError("topic", f"Thema: höchstens {TOPIC_LENGTH} Zeichen",
                         f"longer than {TOPIC_LENGTH} characters")  # fmt: skip
    if work.reference is not None and len(work.reference) > REFERENCE_LENGTH:
        raise HoursError("reference", f"Ticket: höchstens {REFERENCE_LENGTH} Zeichen",
                         f"longer than {REFERENCE_LENGTH} characters")  # fmt: skip
    today = now.astimezone(appointments.planning(session).zone).date()
    if work.day > today:
        raise HoursError("date", f"Datum: {work.day:%d.%m.%Y} liegt in der Zukunft",
                         f"{work.day:%d.%m.%Y} lies in the future")  # fmt: skip
    closed = billing.last_closed(session)
    if closed is not None and work.day.replace(day=1) <= closed:
        raise HoursError(
            "date",
            f"Datum: {work.day:%d.%m.%Y} liegt in einem abgerechneten Monat (abgerechnet bis "
            f"{closed:%m/%Y}); die Zeit eines abgerechneten Monats bleibt, wie sie ist",
            f"{work.day:%d.%m.%Y} lies in a closed month (billed through {closed:%Y-%m})",
        )


def add(session: Session, work: Work, by: str, now: datetime, source: str = "web") -> TimeEntry:
    """Store a checked entry; one with the same ticket, day and engineer is refused (the
    import adds to that one instead)."""
    check(session, work, now)
    reference = (work.reference or "").strip() or None
    if reference is not None and find(session, reference, work.day, work.engineer) is not None:
        raise HoursError(
            "reference",
            f"Ticket {reference}: für {work.engineer.name} am {work.day:%d.%m.%Y} gibt es schon "
            "einen Eintrag",
            f"{reference} of {work.engineer.key} on {work.day:%d.%m.%Y} is entered already",
        )
    entry = TimeEntry(
        customer=work.customer, engineer=work.engineer, day=work.day, minutes=work.minutes,
        topic=work.topic.strip(), reference=reference, billable=work.billable, source=source,
        created_at=now, created_by=by,
    )  # fmt: skip
    session.add(entry)
    session.flush()
    return entry


def remove(session: Session, entry: TimeEntry) -> None:
    """Take back an entry of an open month."""
    closed = billing.last_closed(session)
    if closed is not None and entry.day.replace(day=1) <= closed:
        raise HoursError(
            "date",
            f"Der Eintrag vom {entry.day:%d.%m.%Y} liegt in einem abgerechneten Monat und bleibt",
            f"{entry.day:%d.%m.%Y} lies in a closed month",
        )
    session.delete(entry)


def find(session: Session, reference: str, day: date, engineer: Engineer) -> TimeEntry | None:
    """The entry of a ticket, day and engineer: what an import finds again."""
    return session.scalar(
        select(TimeEntry).where(
            TimeEntry.reference == reference,
            TimeEntry.day == day,
            TimeEntry.engineer_id == engineer.id,
        )
    )


def of_month(session: Session, month: date, engineer: Engineer | None = None) -> list[TimeEntry]:
    """A month's entries (everyone's, or one engineer's), by day."""
    query = select(TimeEntry).where(
        TimeEntry.day >= month, TimeEntry.day < billing.next_month(month)
    )
    if engineer is not None:
        query = query.where(TimeEntry.engineer_id == engineer.id)
    return list(session.scalars(query.order_by(TimeEntry.day, TimeEntry.id)))

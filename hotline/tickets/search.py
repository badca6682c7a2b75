"""Finding tickets: the list behind `/tickets`, filtered and searched, newest first.

Who sees which ticket is decided in escalation/access.py (`sees_ticket`); here it becomes part
of the query, so a page of results never holds a ticket the reader may not open and the count
is right: an engineer gets the tickets whose frozen chain held them.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, bindparam, false, func, or_, select, text, true
from sqlalchemy.orm import Session, selectinload

from escalation import callflow, wallclock
from escalation.access import Permission, Role, may
from escalation.callflow import State
from hotline import phones
from hotline.models import Customer, Engineer, Ticket

PAGE = 50
# The states a person filters by: the call's states, and two about the work after the call.
OPEN, RESOLVED = "open", "resolved"
STATES = [OPEN, RESOLVED, *(s.value for s in State)]


@dataclass(frozen=True)
class Filters:
    state: str | None = None  # one of STATES
    customer: str | None = None  # a customer number; "-" for tickets without a customer
    engineer: str | None = None  # an engineer key: who accepted the call or took the call-back
    since: date | None = None  # arrived on or after this day (the provider's zone)
    until: date | None = None  # arrived on or before this day
    text: str = ""  # a ticket number, part of a customer's name or number, a caller's number
    page: int = 1


@dataclass(frozen=True)
class Found:
    tickets: list[Ticket]
    total: int
    page: int
    pages: int


def search(
    session: Session, role: Role | str | None, engineer: str | None, filters: Filters,
    zone: ZoneInfo,
) -> Found:  # fmt: skip
    """The tickets `role` (an engineer: `engineer`) may see that match `filters`, one page."""
    query = select(Ticket).outerjoin(Customer, Ticket.customer_id == Customer.id)
    query = query.where(visible(session, role, engineer))
    query = _filtered(query, filters, zone)
    if filters.text.strip():
        query = query.where(_matching(filters.text.strip(), may(role, Permission.CALLER_DATA)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE))
    page = min(max(filters.page, 1), pages)
    rows = session.scalars(
        query.options(
            selectinload(Ticket.customer),
            selectinload(Ticket.accepted_by),
        )
        .order_by(Ticket.arrived_at.desc(), Ticket.id.desc())
        .limit(PAGE)
        .offset((page - 1) * PAGE)
    ).all()
    return Found(list(rows), total, page, pages)


def visible(session: Session, role: Role | str | None, engineer: str | None) -> ColumnElement[bool]:
    """`sees_ticket` as SQL: everything for the office, the chain's engineers for the rest."""
    if may(role, Permission.ALL_TICKETS):
        return true()
    if role != Role.ENGINEER or not engineer:
        return false()
    return held_by(session, engineer)


def held_by(session: Session, engineer: str) -> ColumnElement[bool]:
    """The ticket's frozen chain (`Ticket.chain["entries"]`) holds `engineer`."""
    key = bindparam("chain_engineer", engineer)
    if session.get_bind().dialect.name == "postgresql":
        sql = ("EXISTS (SELECT 1 FROM json_array_elements(tickets.chain -> 'entries') AS entry "
               "WHERE entry ->> 'engineer' = :chain_engineer)")  # fmt: skip
    else:
        sql = ("EXISTS (SELECT 1 FROM json_each(tickets.chain, '$.entries') AS entry "
               "WHERE json_extract(entry.value, '$.engineer') = :chain_engineer)")  # fmt: skip
    return text(sql).bindparams(key)  # type: ignore[return-value]


def _filtered(query: Select[tuple[Ticket]], f: Filters, zone: ZoneInfo) -> Select[tuple[Ticket]]:
    if f.state == OPEN:
        query = query.where(
            Ticket.resolved_at.is_(None),
            or_(
                Ticket.state.in_(callflow.LIVE),
                Ticket.state == State.CONNECTED,
                and_(Ticket.state == State.CALLBACK_PENDING, Ticket.acknowledged_at.is_(None)),
            ),
        )
    elif f.state == RESOLVED:
        query = query.where(Ticket.resolved_at.is_not(None))
    elif f.state in STATES:
        query = query.where(Ticket.state == f.state)
    if f.customer == "-":
        query = query.where(Ticket.customer_id.is_(None))
    elif f.customer:
        query = query.where(Customer.number == f.customer)
    if f.engineer:
        who = select(Engineer.id).where(Engineer.key == f.engineer).scalar_subquery()
        query = query.where(or_(Ticket.accepted_by_id == who, Ticket.acknowledged_by_id == who))
    if f.since:
        query = query.where(Ticket.arrived_at >= _midnight(f.since, zone))
    if f.until:
        query = query.where(Ticket.arrived_at < _midnight(f.until + timedelta(days=1), zone))
    return query


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return wallclock.on(day, time(), zone)


def _matching(words: str, caller_data: bool) -> ColumnElement[bool]:
    """A ticket number (#12 or 12), part of a customer's name, a customer number, and for those
    who may see caller data a caller's number in any format."""
    found: list[ColumnElement[bool]] = []
    plain = words.removeprefix("#").strip()
    if plain.isascii() and plain.isdigit() and len(plain) <= 9:
        found.append(Ticket.id == int(plain))
        found.append(Customer.number == plain)
    pattern = "%" + words.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    found.append(func.lower(Customer.name).like(pattern + "%", escape="\\"))
    if caller_data:
        with contextlib.suppress(ValueError):  # no phone number: the other fields only
            found.append(Ticket.from_number == phones.normalize(words))
        digits = "".join(c for c in words if c.isascii() and c.isdigit())
        if len(digits) >= 4:
            found.append(Ticket.from_number.like(f"%{digits}%"))
    return or_(*found)

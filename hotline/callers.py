"""Who is calling: the customer behind a caller ID, or why we cannot tell (call-flow.md step 2).

An exact number beats a number block; among blocks the longest prefix wins. A number or prefix
that belongs to several customers is ambiguous: the caller is asked for the customer number
rather than greeted with a guess. Lookups go through the index on `phones.value` (the caller's
prefixes with `IN`), never a scan, so 50,000 phone rows cost the same as five.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from hotline.models import Customer, Phone, Provider
from hotline.phones import caller_id

SHORTEST_BLOCK = 4  # "+49" plus one digit: no block is shorter than a country and an area digit


@dataclass(frozen=True)
class Identification:
    customer: Customer | None
    method: str | None  # "number" | "block" when identified
    reason: str | None  # None when identified, else "withheld" | "unknown" | "ambiguous"


def identify(session: Session, from_raw: str | None) -> Identification:
    """The customer for a raw `From`: an exact number first, then the longest number block.

    One indexed query reads both the exact matches and every block that is a prefix of the
    number, with their customers: this runs at the start of every call.
    """
    number = caller_id(from_raw)
    if number is None:
        return Identification(None, None, "withheld")
    prefixes = [number[:end] for end in range(SHORTEST_BLOCK, len(number) + 1)]
    rows = session.execute(
        select(Phone.kind, Phone.value, Customer)
        .join(Customer, Customer.id == Phone.customer_id)
        .where(
            or_(
                and_(Phone.kind == "number", Phone.value == number),
                and_(Phone.kind == "block", Phone.value.in_(prefixes)),
            )
        )
    ).all()
    exact = {c.id: c for kind, _, c in rows if kind == "number"}
    if exact:
        return _one(exact, "number")
    if not rows:
        return Identification(None, None, "unknown")
    longest = max(len(value) for _, value, _ in rows)
    return _one({c.id: c for _, value, c in rows if len(value) == longest}, "block")


def _one(customers: dict[int, Customer], method: str) -> Identification:
    if len(customers) > 1:
        return Identification(None, None, "ambiguous")
    return Identification(next(iter(customers.values())), method, None)


def by_customer_number(session: Session, digits: str) -> Customer | None:
    """The customer whose number was typed on the keypad (surrounding `#`/`*`/spaces ignored)."""
    typed = digits.strip().strip("#*").strip()
    if not typed:
        return None
    return session.scalars(select(Customer).where(Customer.number == typed)).one_or_none()


def blocked(session: Session, from_raw: str | None) -> bool:
    """True when the caller ID starts with one of the provider's `blocked_numbers`."""
    number = caller_id(from_raw)
    if number is None:
        return False
    listed = session.scalar(select(Provider.blocked_numbers).order_by(Provider.id).limit(1))
    return any(number.startswith(prefix) for prefix in listed or ())

"""Who is calling: the customer behind a caller ID, or why we cannot tell (call-flow.md step 2).

An exact number beats a number block; among blocks the longest prefix wins. A number or prefix
that belongs to several customers is ambiguous: the caller is asked for the customer number
rather than greeted with a guess. Lookups go through the index on `phones.value` (the caller's
prefixes with `IN`), never a scan, so 50,000 phone rows cost the same as five.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.models import Customer, Phone
from hotline.phones import caller_id

SHORTEST_BLOCK = 4  # "+49" plus one digit: no block is shorter than a country and an area digit


@dataclass(frozen=True)
class Identification:
    customer: Customer | None
    method: str | None  # "number" | "block" when identified
    reason: str | None  # None when identified, else "withheld" | "unknown" | "ambiguous"


def _one(session: Session, customer_ids: set[int], method: str) -> Identification:
    if len(customer_ids) > 1:
        return Identification(None, None, "ambiguous")
    return Identification(session.get(Customer, customer_ids.pop()), method, None)


def identify(session: Session, from_raw: str | None) -> Identification:
    """The customer for a raw `From`, by exact number first, then the longest number block."""
    number = caller_id(from_raw)
    if number is None:
        return Identification(None, None, "withheld")
    exact = set(
        session.scalars(
            select(Phone.customer_id).where(Phone.value == number, Phone.kind == "number")
        )
    )
    if exact:
        return _one(session, exact, "number")
    prefixes = [number[:end] for end in range(SHORTEST_BLOCK, len(number) + 1)]
    blocks = session.execute(
        select(Phone.value, Phone.customer_id).where(
            Phone.value.in_(prefixes), Phone.kind == "block"
        )
    ).all()
    if not blocks:
        return Identification(None, None, "unknown")
    longest = max(len(value) for value, _ in blocks)
    return _one(session, {cid for value, cid in blocks if len(value) == longest}, "block")


def by_customer_number(session: Session, digits: str) -> Customer | None:
    """The customer whose number was typed on the keypad (surrounding `#`/`*`/spaces ignored)."""
    typed = digits.strip().strip("#*").strip()
    if not typed:
        return None
    return session.scalars(select(Customer).where(Customer.number == typed)).one_or_none()

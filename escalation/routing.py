"""Which customer a caller ID reaches, and what a directory's numbers do to each other.

The rule is hotline/callers.py's (call-flow.md step 2): an exact number wins; else the longest
number block that the number starts with; a number or block listed for several customers is
ambiguous (the caller is asked for the customer number). `reaches` is that rule on lists, so the
directory import and `check` can say, before a call does, where a listing changes routing:

- errors: a customer's number or block takes the calls of a person the hotline knows (an
  engineer's mobile, the provider's own numbers): that person calling in would be taken for the
  customer;
- warnings, to be confirmed: the same number or block for two customers (ambiguous), a block
  inside another customer's block, a number inside another customer's block (both take callers
  away from the wider block), and a block so short that it takes a whole area's callers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException

SHORTEST_BLOCK = 4  # as hotline/callers.py: no prefix shorter than "+49" and a digit is looked up
OWN_DIGITS = 3  # a block names at least this many digits after the area code
ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Listed:
    """A customer's number or block, and how a message names it."""

    customer: str  # the customer number
    kind: str  # "number" | "block"
    value: str  # E.164, or an E.164 prefix for a block
    where: str  # e.g. "customers[3] (10042).phones[1].block"


@dataclass(frozen=True)
class Known:
    """A number that is not a customer's: an engineer's mobile, the provider's own numbers."""

    value: str
    where: str  # e.g. "engineers[1] (jonas).mobile"
    central: bool = False  # the hotline's own number: nobody else may have it


@dataclass(frozen=True)
class Finding:
    level: str  # ERROR | WARNING
    where: str
    text: str


def reaches(number: str, listed: Sequence[Listed]) -> tuple[str | None, frozenset[str]]:
    """(how, customers) for a caller's E.164 number: ("number", ...) for an exact match, else
    ("block", ...) for the longest block; more than one customer is ambiguous."""
    exact = {x.customer for x in listed if x.kind == "number" and x.value == number}
    if exact:
        return "number", frozenset(exact)
    blocks = [
        x
        for x in listed
        if x.kind == "block" and len(x.value) >= SHORTEST_BLOCK and number.startswith(x.value)
    ]
    if not blocks:
        return None, frozenset()
    longest = max(len(x.value) for x in blocks)
    return "block", frozenset(x.customer for x in blocks if len(x.value) == longest)


@lru_cache(maxsize=65536)
def area_code_digits(block: str) -> int | None:
    """How many digits after the country code are the block's area code (or mobile network
    code); None when no valid number starts with the block (phonenumbers would read "+490301..."
    as +49301...: the number must still start with the block once formatted)."""
    for padding in range(13):
        try:
            number = phonenumbers.parse(block + "0" * padding, None)
        except NumberParseException:
            continue
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if phonenumbers.is_valid_number(number) and e164.startswith(block):
            length = phonenumbers.length_of_national_destination_code(number)
            if length:
                return length
    return None


def _own_digits(block: str) -> int | None:
    try:
        country = len(str(phonenumbers.parse(block + "0" * 6, None).country_code))
    except NumberParseException:
        return None
    area = area_code_digits(block)
    return None if area is None else len(block) - 1 - country - area


def findings(listed: Sequence[Listed], known: Sequence[Known]) -> list[Finding]:
    """Every place where a listing changes where calls go: the people first, then the
    listings in their order."""
    numbers: dict[str, list[Listed]] = defaultdict(list)
    blocks: dict[str, list[Listed]] = defaultdict(list)
    for x in listed:
        (numbers if x.kind == "number" else blocks)[x.value].append(x)

    def covering(value: str, strictly: bool) -> list[Listed]:
        """The blocks that `value` starts with, longest first."""
        ends = range(len(value) - (1 if strictly else 0), SHORTEST_BLOCK - 1, -1)
        return [b for end in ends for b in blocks.get(value[:end], ())]

    found: list[Finding] = []
    for hotline in (k for k in known if k.central):
        found.extend(
            Finding(
                ERROR,
                other.where,
                f"is the central number {hotline.value}: the hotline "
                "would ring itself (a call loop), never a human",
            )  # fmt: skip
            for other in known
            if other is not hotline and other.value == hotline.value
        )
    for person in known:
        how, _ = reaches(person.value, _near(person.value, numbers, blocks))
        if how == "number":
            deciding = numbers[person.value]
        elif how == "block":
            blocks_of = covering(person.value, strictly=False)
            deciding = [b for b in blocks_of if len(b.value) == len(blocks_of[0].value)]
        else:
            continue
        found.extend(
            Finding(
                ERROR,
                x.where,
                f"takes the calls of {person.where} ({person.value}): calling in, they would "
                f"be taken for customer {x.customer}",
            )
            for x in deciding
        )
    position = {id(x): i for i, x in enumerate(listed)}
    for x in listed:
        at = x.where
        same = (numbers if x.kind == "number" else blocks)[x.value]
        earlier = [
            o for o in same if o.customer != x.customer and position[id(o)] < position[id(x)]
        ]
        if earlier:
            found.append(
                Finding(
                    WARNING,
                    at,
                    f"{x.value} is also listed for {', '.join(o.where for o in earlier)}: "
                    "its callers are asked for their customer number",
                )
            )
        wider = covering(x.value, strictly=x.kind == "block")
        ambiguous = any(o.customer != x.customer for o in same)  # said above
        if wider and wider[0].customer != x.customer and not ambiguous:
            b = wider[0]
            rule = (
                "an exact number beats a block" if x.kind == "number" else "the longest block wins"
            )
            found.append(
                Finding(
                    WARNING,
                    at,
                    f"{x.value} lies in the block {b.value} of {b.where}: its callers reach "
                    f"customer {x.customer}, not {b.customer} ({rule})",
                )
            )
        digits = _own_digits(x.value) if x.kind == "block" else None
        if digits is not None and digits < OWN_DIGITS:
            found.append(
                Finding(
                    WARNING,
                    at,
                    f"{x.value} is an area code and {digits} more digit(s): every caller whose "
                    f"number starts with it is taken for customer {x.customer} (a company's "
                    "block is its number without the extension)",
                )
            )
    return found


def _near(
    value: str, numbers: dict[str, list[Listed]], blocks: dict[str, list[Listed]]
) -> list[Listed]:
    """The listings `reaches` can find for `value`: its exact number and its prefixes."""
    near = list(numbers.get(value, ()))
    for end in range(SHORTEST_BLOCK, len(value) + 1):
        near.extend(blocks.get(value[:end], ()))
    return near

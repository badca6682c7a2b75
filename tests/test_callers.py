"""Caller identification: exact numbers, number blocks, withheld, unknown, ambiguous."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import event, insert

from hotline.callers import by_customer_number, identify
from hotline.models import Customer, Phone


def customer(session: Any, number: str, *phones: tuple[str, str]) -> Customer:
    c = Customer(number=number, name=f"Kunde {number}")
    c.phones = [Phone(kind=kind, value=value) for kind, value in phones]
    session.add(c)
    session.flush()
    return c


@pytest.fixture
def directory(session: Any) -> dict[str, Customer]:
    found = {
        "mueller": customer(session, "10042", ("number", "+49301234567")),
        "hafen": customer(session, "10050", ("block", "+49405551")),
        "hafen_it": customer(session, "10051", ("block", "+494055512")),
        "shared_a": customer(session, "10060", ("number", "+49897654321")),
        "shared_b": customer(session, "10061", ("number", "+49897654321")),
        "blocks_a": customer(session, "10070", ("block", "+4922133")),
        "blocks_b": customer(session, "10071", ("block", "+4922133")),
    }
    session.commit()
    return found


def test_exact_number(session: Any, directory: dict[str, Customer]) -> None:
    found = identify(session, "+49301234567")
    assert (found.customer, found.method, found.reason) == (directory["mueller"], "number", None)


def test_block_contains_extension(session: Any, directory: dict[str, Customer]) -> None:
    found = identify(session, "+494055519876")
    assert (found.customer, found.method, found.reason) == (directory["hafen"], "block", None)


def test_longest_block_wins(session: Any, directory: dict[str, Customer]) -> None:
    assert identify(session, "+494055512345").customer == directory["hafen_it"]


def test_exact_number_beats_block(session: Any, directory: dict[str, Customer]) -> None:
    customer(session, "10052", ("number", "+494055519999"))
    session.commit()
    found = identify(session, "+494055519999")
    assert (found.customer.number, found.method) == ("10052", "number")


@pytest.mark.parametrize("raw", ["+49897654321", "+492213312345"])
def test_shared_number_or_block_is_ambiguous(
    session: Any, directory: dict[str, Customer], raw: str
) -> None:
    found = identify(session, raw)
    assert (found.customer, found.method, found.reason) == (None, None, "ambiguous")


@pytest.mark.parametrize("raw", [None, "", "anonymous", "+266696687", "client:Anonymous", "030 1"])
def test_withheld(session: Any, directory: dict[str, Customer], raw: str | None) -> None:
    assert identify(session, raw).reason == "withheld"


def test_unknown(session: Any, directory: dict[str, Customer]) -> None:
    found = identify(session, "+4917612345678")
    assert (found.customer, found.reason) == (None, "unknown")


def test_block_is_not_matched_from_the_middle(session: Any, directory: dict[str, Customer]) -> None:
    # "+49405551" must not match a number that merely contains those digits later
    assert identify(session, "+49304055512").reason == "unknown"


def test_by_customer_number(session: Any, directory: dict[str, Customer]) -> None:
    assert by_customer_number(session, "10042") == directory["mueller"]
    assert by_customer_number(session, "10042#") == directory["mueller"]
    assert by_customer_number(session, "99999") is None
    assert by_customer_number(session, "") is None


def test_fast_with_50000_phones(app: Any, session: Any) -> None:
    """Three indexed queries at most, whatever the size of the phone table."""
    session.execute(
        insert(Customer), [{"number": str(20000 + i), "name": f"K{i}"} for i in range(10000)]
    )
    ids = [c.id for c in session.query(Customer).order_by(Customer.id)]
    rows = [
        {
            "customer_id": ids[i % len(ids)],
            "kind": "block" if i % 5 == 0 else "number",
            "value": f"+49302{i:07d}" if i % 5 else f"+49402{i:05d}",
        }
        for i in range(50000)
    ]
    session.execute(insert(Phone), rows)
    session.commit()
    statements: list[str] = []
    engine = session.get_bind()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        started = time.perf_counter()
        for _ in range(20):
            block_hit = identify(session, "+494020000512")
        elapsed = (time.perf_counter() - started) / 20
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert block_hit.method == "block" and block_hit.customer is not None
    assert identify(session, "+493020000007").method == "number"
    assert len(statements) <= 20 * 3
    assert elapsed < 0.25, f"identify took {elapsed * 1000:.1f} ms"


@pytest.mark.parametrize(
    ("raw", "number", "method"),
    [
        ("030 1234567", "10042", "number"),
        ("+49 (0)30 1234567", "10042", "number"),
        ("sip:+49301234567@pbx.example.de", "10042", "number"),
        ("040 5551-9876", "10050", "block"),
        ("0049 40 555 12 345", "10051", "block"),
    ],
)
def test_a_national_or_sip_caller_id_is_matched_like_its_e164(
    session: Any, directory: dict[str, Customer], raw: str, number: str, method: str
) -> None:
    found = identify(session, raw)
    assert (found.customer.number, found.method) == (number, method)


@pytest.mark.parametrize("raw", ["030 12345678", "030 123456", "0304055512", "0171 5550102"])
def test_a_readable_number_still_needs_an_exact_match_or_a_block(
    session: Any, directory: dict[str, Customer], raw: str
) -> None:
    # one digit more or less than a customer's number, or its block's digits later in the
    # number, is somebody else: parsing a format never widens the match
    assert identify(session, raw).reason == "unknown"

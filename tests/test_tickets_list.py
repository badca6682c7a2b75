"""The list of tickets: filters, search, and the engineer's list holding only the tickets whose
chain held them (in the query: the count and the pages are theirs too)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from builders import small_provider
from conftest import Clock
from flask import Flask
from staff import Text, client_as, make_accounts, ticket

from hotline import db


@pytest.fixture
def listed(app: Flask, clock: Clock) -> dict[str, int]:
    """Five tickets: two held jonas in their chain, one only lena, one none (never confirmed)."""
    now = clock()
    with app.app_context():
        session = db.session()
        small_provider(session)
        make_accounts(session, now)
        made = {
            "mueller": ticket(session, now - timedelta(days=3)),
            "resolved": ticket(session, now - timedelta(days=1), resolved_at=now),
            "lena": ticket(
                session,
                now - timedelta(hours=5),
                customer="20077",
                chain_of=("lena",),
                accepted_by="lena",
                caller="+442071234567",
            ),  # fmt: skip
            "voicemail": ticket(
                session,
                now - timedelta(hours=1),
                state="callback_pending",
                accepted_by=None,
                customer=None,
                caller="+491709998877",
            ),  # fmt: skip
            "unconfirmed": ticket(
                session,
                now - timedelta(minutes=5),
                state="abandoned",
                accepted_by=None,
                chain_of=(),
            ),  # fmt: skip
        }
        return {k: t.id for k, t in made.items()}


def shown(app: Flask, role: str, query: str = "") -> list[int]:
    answer = client_as(app, role).get(f"/tickets{query}")
    assert answer.status_code == 200
    cells = Text(answer.get_data(as_text=True)).of("tickets").split()
    return [int(c[1:]) for c in cells if c.startswith("#") and c[1:].isdigit()]


def test_the_office_sees_every_ticket_newest_first(app: Flask, listed: dict[str, int]) -> None:
    everyone = [listed[k] for k in ("unconfirmed", "voicemail", "lena", "resolved", "mueller")]
    assert shown(app, "dispatcher") == everyone
    assert shown(app, "project_lead") == everyone


def test_an_engineer_sees_the_tickets_whose_chain_held_them(
    app: Flask, listed: dict[str, int]
) -> None:
    assert shown(app, "engineer") == [listed["voicemail"], listed["resolved"], listed["mueller"]]
    assert shown(app, "other_engineer") == [listed["lena"]]
    assert shown(app, "engineer", f"?q={listed['lena']}") == []  # not even by its number
    page = client_as(app, "engineer").get("/tickets").get_data(as_text=True)
    assert "3 gefunden" in Text(page).of()


def test_the_list_asks_for_a_login(app: Flask, listed: dict[str, int]) -> None:
    answer = app.test_client().get("/tickets")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?state=open", ["voicemail", "lena", "mueller"]),
        ("?state=resolved", ["resolved"]),
        ("?state=callback_pending", ["voicemail"]),
        ("?customer=20077", ["lena"]),
        ("?customer=-", ["voicemail"]),
        ("?engineer=lena", ["lena"]),
        ("?since=2026-11-30&until=2026-11-30", ["lena", "resolved"]),  # days in Berlin
        ("?q=acme", ["lena"]),
        ("?q=M%C3%BCller", ["unconfirmed", "resolved", "mueller"]),
        ("?q=0170+9998877", ["voicemail"]),  # a caller's number in any format
        ("?q=9998877", ["voicemail"]),
        ("?state=nonsense&since=yesterday&page=x", None),  # unreadable filters are left out
    ],
)
def test_filters_and_search(
    app: Flask, listed: dict[str, int], query: str, expected: list[str] | None
) -> None:
    found = shown(app, "dispatcher", query)
    if expected is None:
        assert len(found) == len(listed)
    else:
        assert found == [listed[k] for k in expected]


def test_the_search_by_ticket_number(app: Flask, listed: dict[str, int]) -> None:
    assert shown(app, "dispatcher", f"?q=%23{listed['lena']}") == [listed["lena"]]


def test_an_admin_sees_no_caller_numbers_and_no_tickets(app: Flask, listed: dict[str, int]) -> None:
    page = client_as(app, "admin").get("/tickets?q=9998877").get_data(as_text=True)
    assert "+491709998877" not in page and shown(app, "admin") == []

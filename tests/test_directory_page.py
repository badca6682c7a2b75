"""`/directory`: every account reads customers, teams and engineers; only an admin sees PINs;
nobody logged in is sent to the login."""

from __future__ import annotations

import html

import pytest
from conftest import Clock
from flask import Flask
from office import ROLES, client_as, seed


@pytest.fixture
def demo(app: Flask, clock: Clock) -> Flask:
    seed(app, clock())
    return app


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_role_reads_the_directory(demo: Flask, role: str) -> None:
    page = client_as(demo, role).get("/directory")
    assert page.status_code == 200
    text = html.unescape(page.get_data(as_text=True))
    assert "Müller & Söhne Maschinenbau GmbH" in text and "10042" in text  # a customer
    assert "030 1234567" in text and "Empfang" in text  # its number, as people write it
    assert "Team Grün" in text  # a team
    assert "Jonas Weber" in text  # an engineer
    assert 'lang="de"' in text and "Verzeichnis" in text


def test_the_pin_is_shown_to_the_admin_only(demo: Flask) -> None:
    from hotline import db
    from hotline.models import Customer

    with demo.app_context():
        pinned = db.session().query(Customer).filter(Customer.pin.is_not(None)).first()
        assert pinned is not None, "the demo has a customer with a PIN"
        pin, number = pinned.pin, pinned.number
    for role, shown in (("admin", True), ("dispatcher", False), ("engineer", False)):
        text = client_as(demo, role).get(f"/directory?q={number}").get_data(as_text=True)
        assert (f"<dd>{pin}</dd>" in text) is shown, role
        assert ("gesetzt" in text) is not shown, role


def test_nobody_logged_in_is_sent_to_the_login(demo: Flask) -> None:
    answer = client_as(demo, None).get("/directory")
    assert answer.status_code == 302 and "/login?next=/directory" in answer.headers["Location"]


def test_the_search_finds_by_number_and_name_and_is_escaped(demo: Flask) -> None:
    client = client_as(demo, "dispatcher")
    text = client.get("/directory?q=körner").get_data(as_text=True)
    assert "10043" in text and "10042" not in text
    text = client.get("/directory?q=%25").get_data(as_text=True)  # % is a character, no wildcard
    assert "Keine Kunden gefunden" in text
    text = client.get('/directory?q="><script>x</script>').get_data(as_text=True)
    assert "<script>x" not in text

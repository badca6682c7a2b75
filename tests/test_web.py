"""The ticket page behind signed links: one link opens one ticket for one reader."""

from __future__ import annotations

import re

import pytest
from builders import MOBILES, small_provider
from flask import Flask
from sqlalchemy import select

from hotline import db
from hotline.models import Message, Ticket


@pytest.fixture
def voicemail_ticket(app: Flask) -> Ticket:
    with app.app_context():
        small_provider(db.session())
    result = app.test_cli_runner().invoke(
        args=["simulate-call", "--live", "--from", "+49301234567", "--others", "no-answer"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        return db.session().scalars(select(Ticket)).one()


def sms_link(app: Flask, number: str) -> str:
    with app.app_context():
        bodies = db.session().scalars(select(Message.body).where(Message.to == number)).all()
    [url] = re.findall(r"https://hotline\.example\.de(/tickets/\S+)", bodies[0])
    return url


def test_the_sms_link_opens_the_ticket_and_the_engineer_takes_it(
    app: Flask, voicemail_ticket: Ticket
) -> None:
    client = app.test_client()
    url = sms_link(app, MOBILES["mia"])
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Müller &amp; Söhne &lt;Maschinenbau&gt;" in html  # escaped, never raw
    assert "Ich übernehme" in html
    token = url.split("k=")[1]
    taken = client.post(f"/tickets/{voicemail_ticket.id}/take", data={"k": token})
    assert taken.status_code == 302
    with app.app_context():
        ticket = db.session().get(Ticket, voicemail_ticket.id)
        assert ticket.acknowledged_at is not None
        assert ticket.acknowledged_by_id is not None
    assert "Ich übernehme" not in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize("query", ["", "?k=", "?k=garbage", "?k=WzEsImFubmEiXQ.forged"])
def test_without_a_valid_token_there_is_nothing(
    app: Flask, voicemail_ticket: Ticket, query: str
) -> None:
    client = app.test_client()
    assert client.get(f"/tickets/{voicemail_ticket.id}{query}").status_code == 404
    assert client.post(f"/tickets/{voicemail_ticket.id}/take{query}").status_code == 404


def test_a_link_opens_only_its_own_ticket(app: Flask, voicemail_ticket: Ticket) -> None:
    url = sms_link(app, MOBILES["mia"])
    token = url.split("k=")[1]
    assert app.test_client().get(f"/tickets/{voicemail_ticket.id + 1}?k={token}").status_code == 404


def test_voicemail_is_reannounced_until_someone_takes_it(
    app: Flask, voicemail_ticket: Ticket, clock
) -> None:  # noqa: ANN001
    from hotline import tickets

    def count() -> int:
        with app.app_context():
            return len(db.session().scalars(select(Message)).all())

    before = count()
    with app.app_context():
        assert tickets.reannounce(db.session(), clock()) == 0  # too early
        clock.advance(minutes=20)  # the simulated call took a few
        assert tickets.reannounce(db.session(), clock()) == 4
        assert tickets.reannounce(db.session(), clock()) == 0  # the same round is not repeated
    assert count() == before + 4
    token = sms_link(app, MOBILES["mia"]).split("k=")[1]
    app.test_client().post(f"/tickets/{voicemail_ticket.id}/take", data={"k": token})
    with app.app_context():
        clock.advance(minutes=30)
        assert tickets.reannounce(db.session(), clock()) == 0

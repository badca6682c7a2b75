"""The ticket page behind signed links: one link opens one ticket for one reader."""

from __future__ import annotations

import re

import pytest
from builders import MOBILES, small_provider
from conftest import Clock
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

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


def acknowledge(client: FlaskClient, url: str) -> TestResponse:
    """Press "Ich übernehme den Rückruf" on the page at `url` (a link with its token)."""
    page = client.get(url).get_data(as_text=True)
    [csrf] = re.findall(r'name="csrf_token" value="([^"]+)"', page)[-1:]
    ticket_id = url.split("/tickets/")[1].split("?")[0]
    return client.post(f"/tickets/{ticket_id}/acknowledge",
                       data={"k": url.split("k=")[1], "csrf_token": csrf})  # fmt: skip


def sms_link(app: Flask, number: str) -> str:
    with app.app_context():
        bodies = db.session().scalars(select(Message.body).where(Message.to == number)).all()
    [url] = re.findall(r"https://hotline\.example\.de(/tickets/\S+)", bodies[0])
    return url


def test_the_sms_link_opens_the_ticket_and_the_engineer_acknowledges_it(
    app: Flask, voicemail_ticket: Ticket
) -> None:
    client = app.test_client()
    url = sms_link(app, MOBILES["mia"])
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Müller &amp; Söhne &lt;Maschinenbau&gt;" in html  # escaped, never raw
    assert "Ich übernehme" in html
    taken = acknowledge(client, url)
    assert taken.status_code == 302
    with app.app_context():
        ticket = db.session().get(Ticket, voicemail_ticket.id)
        assert ticket.acknowledged_at is not None
        assert ticket.acknowledged_by_id is not None
    assert "Ich übernehme" not in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize("query", ["?k=", "?k=garbage", "?k=WzEsImFubmEiXQ.forged"])
def test_a_tampered_link_gets_a_page_that_says_what_to_do(
    app: Flask, voicemail_ticket: Ticket, query: str
) -> None:
    client = app.test_client()
    page = client.get(f"/tickets/{voicemail_ticket.id}{query}")
    assert page.status_code == 404 and "Link ungültig" in page.get_data(as_text=True)
    assert "aus der SMS" in page.get_data(as_text=True)
    assert client.post(f"/tickets/{voicemail_ticket.id}/acknowledge{query}").status_code in (
        400,
        404,
    )
    with app.app_context():
        assert db.session().get(Ticket, voicemail_ticket.id).acknowledged_at is None


def test_without_a_link_the_ticket_asks_for_a_login(app: Flask, voicemail_ticket: Ticket) -> None:
    page = app.test_client().get(f"/tickets/{voicemail_ticket.id}")
    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_a_link_expires_after_the_configured_days(
    app: Flask, voicemail_ticket: Ticket, clock: Clock
) -> None:
    url = sms_link(app, MOBILES["mia"])
    clock.advance(days=app.config["HOTLINE_LINK_DAYS"], minutes=30)
    page = app.test_client().get(url)
    assert page.status_code == 410
    assert "Link abgelaufen" in page.get_data(as_text=True)


def test_a_link_opens_only_its_own_ticket(app: Flask, voicemail_ticket: Ticket) -> None:
    url = sms_link(app, MOBILES["mia"])
    token = url.split("k=")[1]
    other = app.test_client().get(f"/tickets/{voicemail_ticket.id + 1}?k={token}")
    assert other.status_code == 404


def test_voicemail_is_reannounced_until_someone_acknowledges_it(
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
    assert acknowledge(app.test_client(), sms_link(app, MOBILES["mia"])).status_code == 302
    with app.app_context():
        clock.advance(minutes=30)
        assert tickets.reannounce(db.session(), clock()) == 0


class Media:
    """Stands in for `requests` towards Twilio's media URLs: records, never reaches the network."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.calls: list[tuple[str, object]] = []

    def get(self, url: str, auth: object = None, timeout: float | None = None) -> object:
        self.calls.append((url, auth))
        return type("Answer", (), {"status_code": self.status, "content": b"ID3-mp3-bytes"})()


def test_the_voicemail_plays_from_the_ticket_page_with_the_account_credentials(
    app: Flask, voicemail_ticket: Ticket
) -> None:
    app.config["TWILIO_MEDIA_SESSION"] = media = Media()
    url = sms_link(app, MOBILES["mia"])
    page = app.test_client().get(url).get_data(as_text=True)
    [src] = re.findall(r'<audio[^>]* src="([^"]+)"', page)
    answer = app.test_client().get(src.replace("&amp;", "&"))
    assert answer.status_code == 200
    assert answer.mimetype == "audio/mpeg" and answer.data == b"ID3-mp3-bytes"
    assert "no-store" in answer.headers["Cache-Control"]
    [(fetched, auth)] = media.calls
    assert fetched == f"{voicemail_ticket.voicemail_url}.mp3"
    assert auth == (app.config["TWILIO_ACCOUNT_SID"], app.config["TWILIO_AUTH_TOKEN"])


def test_the_voicemail_needs_the_link_and_reports_twilio_failures(
    app: Flask, voicemail_ticket: Ticket
) -> None:
    app.config["TWILIO_MEDIA_SESSION"] = media = Media(status=404)
    client = app.test_client()
    assert client.get(f"/tickets/{voicemail_ticket.id}/voicemail").status_code == 302  # login
    token = sms_link(app, MOBILES["mia"]).split("k=")[1]
    assert client.get(f"/tickets/{voicemail_ticket.id}/voicemail?k={token}").status_code == 502
    assert len(media.calls) == 1


def test_every_timeline_event_has_a_german_word(app: Flask, voicemail_ticket: Ticket) -> None:
    from hotline.web import WORDS

    with app.app_context():
        kinds = {e.kind for e in db.session().get(Ticket, voicemail_ticket.id).events}
    assert kinds <= set(WORDS), kinds - set(WORDS)
    html = app.test_client().get(sms_link(app, MOBILES["mia"])).get_data(as_text=True)
    assert "Notfall bestätigt" in html and "Nachricht hinterlassen" in html


def test_the_page_has_a_german_word_for_every_state_outcome_and_event() -> None:
    """The page shows what it has no word for as stored, in English: a word missing (or spelt
    as Twilio spells it, "canceled") leaves a line the engineer cannot read."""
    from escalation.callflow import Kind, Outcome, State
    from hotline.web import WORDS

    missing = [v.value for enum in (State, Outcome, Kind) for v in enum if v.value not in WORDS]
    assert missing == []

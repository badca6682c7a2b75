"""Response headers: what a browser may do with our pages, and how large a request may be.

Ticket links carry their token in the query, so no page may leak it (Referrer-Policy), be kept
(Cache-Control), be framed, or run anything but our own files (Content-Security-Policy).
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from builders import MOBILES, call_sid, small_provider, xml
from conftest import TwilioClient
from flask import Flask
from sqlalchemy import select
from test_web import acknowledge, sms_link, voicemail_ticket  # noqa: F401 - the fixture

from hotline import db
from hotline.models import Engineer, Team, Ticket

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def policy(response: Any) -> dict[str, list[str]]:
    """The Content-Security-Policy header as directive -> sources (CSP3 §2.2 parsing)."""
    header = response.headers.get("Content-Security-Policy", "")
    parsed: dict[str, list[str]] = {}
    for part in header.split(";"):
        tokens = part.split()
        if tokens:
            parsed.setdefault(tokens[0].lower(), tokens[1:])
    return parsed


def assert_page_headers(response: Any) -> None:
    for name, value in PAGE_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.headers.get(name))
    csp = policy(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]  # form-action does not fall back to default-src
    for directive in ("script-src", "style-src", "default-src"):
        assert "'unsafe-inline'" not in csp.get(directive, [])


class Inline(HTMLParser):
    """Everything in a page that a CSP without 'unsafe-inline' blocks, and its own files."""

    def __init__(self) -> None:
        super().__init__()
        self.blocked: list[str] = []
        self.files: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        self.blocked += [f"{tag}[{k}]" for k in named if k == "style" or k.startswith("on")]
        if tag == "style":
            self.blocked.append("<style>")
        if tag == "script" and not named.get("src"):
            self.blocked.append("inline <script>")
        if any(str(named.get(k, "")).startswith("javascript:") for k in ("href", "src", "action")):
            self.blocked.append(f"{tag} javascript: URL")
        if tag == "link" and named.get("rel") == "stylesheet":
            self.files.append(str(named["href"]))
        if tag == "script" and named.get("src"):
            self.files.append(str(named["src"]))


def test_the_ticket_page_has_its_headers_and_nothing_inline(
    app: Flask,
    voicemail_ticket: Ticket,  # noqa: F811 - the fixture
) -> None:
    client = app.test_client()
    page = client.get(sms_link(app, MOBILES["mia"]))
    assert page.status_code == 200
    assert_page_headers(page)
    found = Inline()
    found.feed(page.get_data(as_text=True))
    assert found.blocked == []
    assert found.files, "the page's style sheet"
    for url in found.files:
        assert url.startswith("/")  # our own origin: 'self'
        static = client.get(url)
        assert static.status_code == 200 and static.mimetype == "text/css"
        assert b".callback_pending" in static.data
        assert static.headers["X-Content-Type-Options"] == "nosniff"


def test_the_acknowledge_redirect_and_a_refused_link_have_them_too(
    app: Flask,
    voicemail_ticket: Ticket,  # noqa: F811 - the fixture
) -> None:
    client = app.test_client()
    refused = client.get(f"/tickets/{voicemail_ticket.id}?k=garbage")
    assert refused.status_code == 404
    assert_page_headers(refused)
    taken = acknowledge(client, sms_link(app, MOBILES["mia"]))
    assert taken.status_code == 302
    assert_page_headers(taken)


def test_calendar_feeds_are_not_kept_nor_framed_and_stay_readable(app: Flask, session: Any) -> None:
    small_provider(session)
    session.commit()
    team = session.scalars(select(Team)).first()
    engineer = session.scalars(select(Engineer)).first()
    client = app.test_client()
    for path in (
        f"/calendar/team/{team.calendar_token}.ics",
        f"/calendar/engineer/{engineer.calendar_token}.ics",
        "/calendar/team/nope.ics",
    ):
        feed = client.get(path)
        for name, value in PAGE_HEADERS.items():
            assert feed.headers.get(name) == value, (path, name)
        assert "frame-ancestors 'none'" in feed.headers["Content-Security-Policy"]
    assert feed.status_code == 404
    ok = client.get(f"/calendar/team/{team.calendar_token}.ics")
    assert ok.status_code == 200 and ok.mimetype == "text/calendar"
    assert ok.data.startswith(b"BEGIN:VCALENDAR")


def test_voice_webhooks_still_answer_twiml(app: Flask, twilio: TwilioClient) -> None:
    with app.app_context():
        small_provider(db.session())
    form = {"CallSid": call_sid(), "From": "+49301234567", "To": "+49309876540"}
    answer = twilio.post("/voice/incoming", form)
    assert answer.status_code == 200 and answer.mimetype in ("text/xml", "application/xml")
    assert xml(answer).tag == "Response"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/voice/incoming", "/tickets/1/acknowledge"])
def test_a_body_over_the_limit_is_refused_with_413(
    app: Flask, twilio: TwilioClient, path: str
) -> None:
    big = {"CallSid": call_sid(), "k": "x", "Padding": "x" * (1024 * 1024 + 1)}
    answer = twilio.post(path, big)
    assert answer.status_code == 413
    small = app.test_client().post(path, data={"k": "x" * 1000})
    assert small.status_code in (400, 403, 404)  # read, and refused for what it says
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024

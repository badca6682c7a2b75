"""The words of every SMS and e-mail: kept as they were (tests/texts.json), and safe whatever
names people gave us: an SMS stays one readable line, an e-mail subject one line, no value adds
a line to a text, markup stays text in plain texts and is escaped in HTML."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from email_reader import HEADERS, strict
from jinja2 import UndefinedError
from texts_scenario import compose_everything

from hotline import notify, texts

GOLDEN = Path(__file__).with_name("texts.json")
SENT_AT = datetime(2026, 12, 1, 2, 5, tzinfo=UTC)
# Markup, template syntax, a header injection, control characters of every kind, line and
# paragraph separators, a right-to-left override. (No NUL: PostgreSQL refuses it in text.)
HOSTILE = (
    "Evil <b>&amp;</b> {{ 7*7 }}\n\nBcc: victim@example.org\r\nX-Y:\x07\x1b[31m\tz\x7f\x85"
    "\u2028q\u2029\u202er"
)
SHOWN = "Evil <b>&amp;</b> {{ 7*7 }} Bcc: victim@example.org X-Y: [31m z q r"  # as an SMS says it
NAMES = ("customer", "engineer", "provider", "title", "caller")


def golden() -> list[Any]:
    return json.loads(GOLDEN.read_text())


def tokens_out(found: Any) -> Any:
    """Link tokens are signed and carry their expiry, invitations are random: compared by
    shape, not by value."""
    text = re.sub(r"k=[A-Za-z0-9_.\-]+", "k=TOKEN", json.dumps(found))
    return json.loads(re.sub(r"/invite/[A-Za-z0-9_\-]+", "/invite/TOKEN", text))


def breaks(text: str) -> list[str]:
    """The characters that break a line or control a terminal or the text's direction."""
    return [c for c in text if unicodedata.category(c) in notify.BREAKS or ord(c) in texts.BIDI]


def test_every_text_keeps_its_wording(session: Any) -> None:
    assert tokens_out(compose_everything(session)) == tokens_out(golden())


def test_these_tests_render_every_template(session: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """So the tests here cover every template there is, the imported ones too."""
    rendered: set[str] = set()
    load = texts.ENV.get_template

    def recording(name: Any, *args: Any, **kwargs: Any) -> Any:
        template = load(name, *args, **kwargs)
        rendered.add(str(name))
        return template

    monkeypatch.setattr(texts.ENV, "get_template", recording)
    compose_everything(session)
    assert rendered == set(texts.ENV.list_templates())


def test_hostile_names_cannot_break_a_text(session: Any) -> None:
    normal = golden()
    hostile = compose_everything(session, dict.fromkeys(NAMES, HOSTILE))
    outbox = [m[:2] for m in hostile[:-2]]  # the last two are the status e-mails
    assert outbox == [m[:2] for m in normal[:-2]]  # the same messages to the same people
    pairs = list(zip(hostile, normal, strict=True))
    sms = [(m[3], was[3]) for m, was in pairs if m[0] == "sms"]
    emails = [(m, was[3]) for m, was in pairs if m[0] == "email"]
    assert len(sms) > 10 and len(emails) > 8

    for body, _ in sms:
        assert breaks(body) == [], body
        assert body == " ".join(body.split()), body  # one line, no runs of spaces
        assert "Evil" not in body or SHOWN in body, body  # the whole name, shown as typed
    assert sum(SHOWN in body for body, _ in sms) >= 10

    for (_, to, subject, text, html), was in emails:
        assert breaks(subject) == [], subject
        assert len(text.splitlines()) == len(was.splitlines()), text  # no value adds a line
        assert [c for c in breaks(text) if c != "\n"] == [], text
        sent = notify.compose("hotline@example.de", to, subject, text, html, SENT_AT)
        email = strict(notify.wire(sent))
        assert set(email.keys()) <= HEADERS | {"Content-Transfer-Encoding"}  # no Bcc, no X-Y
        assert email["Subject"] == subject
    assert sum(SHOWN in m[2] for m, _ in emails) >= 3  # subjects that name someone

    articles = [(m, was) for m, was in pairs if m[0] == "zammad"]
    assert len(articles) == 16
    for (_, _, subject, text, title), (_, _, _, was, _) in articles:
        assert breaks(subject) == [] and breaks(title) == [], (subject, title)
        assert len(text.splitlines()) == len(was.splitlines()), text  # no value adds a line
        assert [c for c in breaks(text) if c != "\n"] == [], text
    assert sum(SHOWN in title for (_, _, _, _, title), _ in articles) >= 8  # the customer's name
    named = sum("Evil <b>&amp;</b> {{ 7*7 }}" in text for (_, _, _, text, _), _ in articles)
    assert named >= 7  # every first article names the customer, as typed

    (subject, text, html), (_, _, other) = hostile[-2:]  # Müller's status, with the names; Acme's
    assert breaks(subject) == [] and SHOWN in subject
    assert "<b>" not in html + other and "&lt;b&gt;&amp;amp;&lt;/b&gt;" in html  # escaped once
    assert "<b>&amp;</b> {{ 7*7 }}" in text  # a plain text shows the name as typed
    assert [c for c in breaks(html + other) if c != "\n"] == []


def test_a_template_missing_a_value_fails_instead_of_sending_a_gap() -> None:
    with pytest.raises(UndefinedError, match="link"):
        texts.sms("accepted", ticket=SimpleNamespace(id=1, customer=None, from_number=None))

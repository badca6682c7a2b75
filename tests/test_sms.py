"""Two-way SMS: replying 1 or OK to the voicemail SMS takes the call-back; the others hear who."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from builders import CENTRAL, MOBILES, small_provider
from conftest import TwilioClient
from flask import Flask
from sqlalchemy import select
from test_voice import Call, messages, ticket_of, walk_to_first_dial, xml

from escalation import replies
from hotline import db
from hotline.models import Engineer, Ticket


@pytest.fixture
def provider(app: Flask) -> None:
    with app.app_context():
        small_provider(db.session())


def voicemail(twilio: TwilioClient) -> Call:
    call = Call(twilio)
    root = walk_to_first_dial(call)
    while root.find("Dial") is not None:
        root = xml(call.post(root.find("Dial").get("action"), DialCallStatus="no-answer"))
    xml(call.post(root.find("Record").get("action"), RecordingUrl="https://api.twilio.com/R1",
                  RecordingDuration="20"))  # fmt: skip
    return call


def reply(twilio: TwilioClient, sender: str, body: str) -> str:
    form = {"MessageSid": "SM" + sender[-8:] + body[:4], "From": sender, "To": CENTRAL,
            "Body": body}  # fmt: skip
    answer = twilio.post("/sms/incoming", form)
    assert answer.status_code == 200
    return " ".join(m.text or "" for m in ET.fromstring(answer.get_data(as_text=True)).iter())


REPLIES = [("1", True), (" OK. ", True), ("ja!", True), ("2", False), ("okay?", False),
           ("", False)]  # fmt: skip


@pytest.mark.parametrize(("body", "takes"), REPLIES)
def test_what_a_reply_means(body: str, takes: bool) -> None:
    assert replies.takes(body) is takes


def test_ok_takes_the_call_back_and_the_others_hear_who(
    app: Flask, twilio: TwilioClient, provider: None
) -> None:
    call = voicemail(twilio)
    assert "Antwort 1 oder OK" in messages(app)[0].body
    answer = reply(twilio, MOBILES["mia"], "OK")
    assert "Danke, Mia" in answer
    ticket = ticket_of(app, call)
    with app.app_context():
        mia = db.session().scalar(select(Engineer.id).where(Engineer.key == "mia"))
    assert ticket.acknowledged_by_id == mia
    told = [m for m in messages(app) if m.dedupe_key.startswith("taken:")]
    assert {m.to for m in told} == {MOBILES["jonas"], MOBILES["lena"], MOBILES["anna"]}
    assert all("übernimmt Mia" in m.body for m in told)
    assert "bereits Mia" in reply(twilio, MOBILES["jonas"], "1")  # a second taker


def test_unknown_senders_and_replies_get_a_short_word(
    app: Flask, twilio: TwilioClient, provider: None
) -> None:
    voicemail(twilio)
    assert "keinem Techniker" in reply(twilio, "+4915199999999", "1")
    assert "Antworten Sie mit 1 oder OK" in reply(twilio, MOBILES["mia"], "was ist los?")
    with app.app_context():
        assert db.session().scalars(select(Ticket.acknowledged_at)).one() is None


def test_nothing_to_take_says_so(app: Flask, twilio: TwilioClient, provider: None) -> None:
    assert "kein Rückruf" in reply(twilio, MOBILES["mia"], "1")


def test_an_unsigned_reply_is_refused(app: Flask, twilio: TwilioClient, provider: None) -> None:
    form = {"From": MOBILES["mia"], "Body": "1"}
    assert twilio.post("/sms/incoming", form, signed=False).status_code == 403

"""The voice re-page of a voicemail and the call-back bridge, through the real webhooks, signed
as Twilio signs them, with the REST API recorded (tests/twilio_recorder.py), on both backends.

A voicemail left at night is called around the chain again by voice until someone takes it; it
stops the moment someone does (by the call, by SMS, on the ticket page); no number rings twice
for one ticket at once; the call-back dials the customer with the central number as caller ID
and its talk time is phone time.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from builders import CENTRAL, FALLBACK, MOBILES, MUELLER_PHONE, call_sid, small_provider
from conftest import PUBLIC_URL, Clock, TwilioClient
from flask import Flask
from sqlalchemy import select
from twilio_recorder import Recorded, RecordingHttpClient

from hotline import billing, db, dialer, repage
from hotline.models import Engineer, Leg, Message, Ticket

RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE1"


@pytest.fixture
def recorder(app: Flask) -> RecordingHttpClient:
    app.config["TWILIO_HTTP_CLIENT"] = client = RecordingHttpClient()
    app.config["HOTLINE_DIALER_THREAD"] = False  # the test sends, as the worker would
    app.config["HOTLINE_REPAGE_ROUNDS"] = 1
    return client


@pytest.fixture
def provider(app: Flask, recorder: RecordingHttpClient) -> None:
    with app.app_context():
        small_provider(db.session())


def xml(response: Any) -> ET.Element:
    """A TwiML answer, read with a strict XML parser (a malformed document raises)."""
    assert response.status_code == 200, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "text/xml"
    return ET.fromstring(response.get_data(as_text=True))


def said(root: ET.Element) -> str:
    return " ".join(s.text or "" for s in root.iter("Say"))


def path(url: str) -> str:
    assert url.startswith(PUBLIC_URL), url
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Phones:
    """Twilio's side: the caller who leaves a voicemail, and the calls the REST API placed."""

    def __init__(self, app: Flask, twilio: TwilioClient, recorder: RecordingHttpClient,
                 clock: Clock) -> None:  # fmt: skip
        self.app, self.twilio, self.recorder, self.clock = app, twilio, recorder, clock
        self.placed: list[Recorded] = []  # every Calls.json create, in order
        self.sids: dict[int, str] = {}

    def voicemail(self) -> int:
        """A customer calls at 03:00, nobody answers, they leave a message and hang up."""
        sid = call_sid()
        form = {"CallSid": sid, "From": MUELLER_PHONE, "To": CENTRAL, "CallStatus": "in-progress",
                "Direction": "inbound", "AccountSid": "AC" + "0" * 32}  # fmt: skip
        root = xml(self.twilio.post("/voice/incoming", form))
        root = xml(
            self.twilio.post(path(root.find("Gather").get("action")), {**form, "Digits": "1"})
        )
        while root.find("Dial") is not None:
            self.clock.advance(seconds=25)
            root = xml(self.twilio.post(path(root.find("Dial").get("action")),
                                        {**form, "DialCallStatus": "no-answer"}))  # fmt: skip
        record = root.find("Record")
        message = {"RecordingUrl": RECORDING, "RecordingDuration": "25"}
        self.twilio.post(path(record.get("action")), {**form, **message})
        self.clock.advance(seconds=30)
        self.twilio.post("/voice/status", {**form, "CallStatus": "completed", "CallDuration": "200",
                                           "SequenceNumber": "9"})  # fmt: skip
        with self.app.app_context():
            ticket = db.session().scalar(select(Ticket).where(Ticket.call_sid == sid))
            assert ticket is not None and ticket.state == "callback_pending"
            return ticket.id

    def check(self) -> int:
        """The worker: the re-page check, then the dialer sends what it queued."""
        with self.app.app_context(), db.new_session() as session:
            placed = repage.due(session, self.clock())
        self.send()
        return placed

    def send(self) -> None:
        """What is queued goes out (a leg queued by a failed one's end, on the next round)."""
        with self.app.app_context(), db.new_session() as session:
            for _ in range(5):
                if not dialer.send(session, self.clock()):
                    break
        for request in self.recorder.requests:
            if request.url.endswith("/Calls.json") and request not in self.placed:
                self.placed.append(request)

    def leg(self, request: Recorded) -> Leg:
        leg_id = int(parse_qs(urlsplit(request.data["Url"]).query)["leg"][0])
        with self.app.app_context():
            found = db.session().get(Leg, leg_id)
            assert found is not None and found.call_sid is not None
            self.sids[leg_id] = found.call_sid
            return found

    def answer(self, request: Recorded, url: str | None = None, **form: str) -> ET.Element:
        """The engineer's phone: a request of the placed call (its TwiML, a key, ...)."""
        leg = self.leg(request)
        data = {"CallSid": leg.call_sid or "", "From": CENTRAL, "To": request.data["To"],
                "Direction": "outbound-api", "CallStatus": "in-progress", **form}  # fmt: skip
        return xml(self.twilio.post(path(url or request.data["Url"]), data))

    def press(self, request: Recorded, root: ET.Element, digits: str) -> ET.Element:
        return self.answer(request, root.find("Gather").get("action"), Digits=digits)

    def ended(self, request: Recorded, status: str = "completed", seconds: int = 30) -> None:
        """The placed call's status callback: it is over."""
        leg = self.leg(request)
        data = {"CallSid": leg.call_sid or "", "CallStatus": status,
                "CallDuration": str(seconds)}  # fmt: skip
        answer = self.twilio.post(path(request.data["StatusCallback"]), data)
        assert answer.status_code in (200, 204)
        self.send()

    def live(self, ticket_id: int) -> list[str]:
        with self.app.app_context():
            legs = db.session().scalars(select(Leg).where(Leg.ticket_id == ticket_id)).all()
            return [leg.to_number for leg in legs if leg.ended_at is None and not leg.stop]

    def ticket(self, ticket_id: int) -> Ticket:
        with self.app.app_context():
            found = db.session().get(Ticket, ticket_id)
            assert found is not None
            found.legs, found.events  # noqa: B018 - load before the session closes
            return found


@pytest.fixture
def phones(app: Flask, twilio: TwilioClient, recorder: RecordingHttpClient, clock: Clock,
           provider: None) -> Phones:  # fmt: skip
    return Phones(app, twilio, recorder, clock)


def test_a_voicemail_is_re_paged_until_someone_takes_it_and_calls_back_from_the_central_number(
    app: Flask, phones: Phones, clock: Clock, recorder: RecordingHttpClient
) -> None:
    ticket_id = phones.voicemail()
    clock.advance(minutes=9)
    assert phones.check() == 0  # not yet: 10 minutes
    clock.advance(minutes=1)
    assert phones.check() == 1
    [jonas] = phones.placed
    assert (jonas.data["To"], jonas.data["From"]) == (MOBILES["jonas"], CENTRAL)
    assert path(jonas.data["Url"]).startswith("/voice/repage?")
    assert path(jonas.data["StatusCallback"]).startswith("/voice/leg?")
    # jonas's mailbox picks up: it hears the menu and presses nothing (the menu hangs up)
    menu = phones.answer(jonas)
    assert [child.tag for child in menu] == ["Gather", "Hangup"]
    words = said(menu)
    assert "Müller & Söhne <Maschinenbau>" in words and "0 3 0, 1 2 3, 4 5 6 7" in words
    assert "vor 10 Minuten" in words
    assert phones.check() == 0  # his call is still on: nobody else rings
    phones.ended(jonas)  # the next phone rings at once: mia (blau secondary)
    [_, mia] = phones.placed
    assert mia.data["To"] == MOBILES["mia"]
    menu = phones.answer(mia)
    heard = phones.press(mia, menu, "1")  # hear it
    assert [child.tag for child in heard] == ["Play", "Redirect"]
    assert heard.find("Play").text == RECORDING
    menu = phones.answer(mia, heard.find("Redirect").text)  # the menu again
    assert menu.find("Gather") is not None
    back = phones.press(mia, menu, "2")  # she takes the call-back
    assert path(back.find("Redirect").text).startswith("/voice/callback?")
    offer = phones.answer(mia, back.find("Redirect").text)
    assert "1 verbindet" in said(offer)
    dial = phones.press(mia, offer, "1")
    assert dial.find("Dial").get("callerId") == CENTRAL  # the customer sees the hotline
    assert dial.find("Dial/Number").text == MUELLER_PHONE
    clock.advance(minutes=4)
    done = phones.answer(mia, dial.find("Dial").get("action"), DialCallStatus="completed",
                         DialCallDuration="240", DialCallSid=call_sid())  # fmt: skip
    assert "beendet" in said(done)
    phones.ended(mia, seconds=300)
    clock.advance(minutes=30)
    assert phones.check() == 0  # taken: nobody is called again
    ticket = phones.ticket(ticket_id)
    with app.app_context():
        mia_id = db.session().scalar(select(Engineer.id).where(Engineer.key == "mia"))
    assert ticket.acknowledged_by_id == mia_id and ticket.accepted_by_id == mia_id
    assert ticket.callback_seconds == 240
    assert billing.phone_seconds(ticket) == 240
    kinds = [e.kind for e in ticket.events]
    assert kinds.count("re-paged") == 2 and "acknowledged" in kinds and "called back" in kinds
    assert [(leg.purpose, leg.to_number, leg.talk_seconds) for leg in ticket.legs] == [
        ("repage", MOBILES["jonas"], None), ("repage", MOBILES["mia"], 240),
    ]  # fmt: skip
    with app.app_context():  # the others hear who took it (SMS to mobiles)
        taken = db.session().scalars(select(Message.to).where(Message.dedupe_key.like("taken:%")))
        assert set(taken) == {MOBILES[k] for k in ("jonas", "lena", "anna")}
    # no REST call ever went out from an engineer's own number
    assert {r.data["From"] for r in phones.placed} == {CENTRAL}


def test_an_sms_reply_stops_the_phone_that_rings(
    app: Flask, phones: Phones, clock: Clock, recorder: RecordingHttpClient, twilio: TwilioClient
) -> None:
    ticket_id = phones.voicemail()
    clock.advance(minutes=10)
    phones.check()
    [jonas] = phones.placed
    sid = phones.leg(jonas).call_sid
    answer = twilio.post("/sms/incoming", {"From": MOBILES["lena"], "Body": "OK",
                                           "MessageSid": "SM" + "1" * 32})  # fmt: skip
    assert "Danke, Lena" in answer.get_data(as_text=True)
    phones.send()  # the dialer hangs up jonas's phone
    stop = [r for r in recorder.requests if r.url.endswith(f"/Calls/{sid}.json")]
    assert [r.data for r in stop] == [{"Status": "canceled"}]
    phones.ended(jonas, "canceled", 0)
    clock.advance(minutes=30)
    assert phones.check() == 0 and len(phones.placed) == 1
    assert phones.live(ticket_id) == []


def test_taken_on_the_ticket_page_stops_it_too(
    app: Flask, phones: Phones, clock: Clock, recorder: RecordingHttpClient
) -> None:
    from staff import client_as, make_accounts

    ticket_id = phones.voicemail()
    with app.app_context():
        make_accounts(db.session(), clock())
    clock.advance(minutes=10)
    phones.check()
    page = client_as(app, "project_lead")
    app.config["WTF_CSRF_ENABLED"] = False
    assert page.post(f"/tickets/{ticket_id}/acknowledge").status_code == 302
    phones.send()
    [jonas] = phones.placed
    assert any(
        r.url.endswith(f"/Calls/{phones.leg(jonas).call_sid}.json") for r in recorder.requests
    )
    assert phones.check() == 0


def test_pass_on_and_a_refused_rest_call_ring_the_next_and_the_lead_comes_last(
    app: Flask, phones: Phones, clock: Clock, recorder: RecordingHttpClient
) -> None:
    ticket_id = phones.voicemail()
    clock.advance(minutes=10)
    recorder.fail(500)  # the REST API refuses jonas's call: mia is next, at once
    phones.check()
    assert [r.data["To"] for r in phones.placed] == [MOBILES["jonas"], MOBILES["mia"]]
    mia = phones.placed[1]
    passed = phones.press(mia, phones.answer(mia), "3")
    assert "nächste Person" in said(passed) and passed.find("Hangup") is not None
    phones.ended(mia)
    for _ in range(10):  # nobody answers: each call ends, the next phone rings at once
        if not phones.live(ticket_id):
            break
        phones.ended(phones.placed[-1], "no-answer", 0)
    order = [r.data["To"] for r in phones.placed]
    # round 1 (the chain, not the fallback number), then the project lead once more
    assert order == [MOBILES[k] for k in ("jonas", "mia", "lena", "anna")]
    assert FALLBACK not in order
    clock.advance(minutes=10)  # the round is over: the project lead, the minutes after it
    assert phones.check() == 1 and phones.placed[-1].data["To"] == MOBILES["anna"]
    phones.ended(phones.placed[-1], "no-answer", 0)
    clock.advance(hours=2)
    assert phones.check() == 0
    kinds = [e.kind for e in phones.ticket(ticket_id).events]
    assert kinds.count("re-page ended") == 1 and kinds.count("passed on") == 1
    assert phones.check() == 0 and kinds == [e.kind for e in phones.ticket(ticket_id).events]


def test_no_number_rings_twice_for_one_ticket_at_once(
    app: Flask, phones: Phones, clock: Clock, recorder: RecordingHttpClient
) -> None:
    """Two workers checking at once, a check right after a call ended, a call-back asked for
    while the re-page rings that very phone: never a second call to a number still ringing."""
    ticket_id = phones.voicemail()
    clock.advance(minutes=10)
    assert phones.check() + phones.check() == 1
    phones.ended(phones.placed[0], "no-answer", 0)
    assert phones.check() == 0
    assert len(phones.live(ticket_id)) == 1
    from hotline import callback

    with app.app_context():
        session = db.session()
        ticket = session.get(Ticket, ticket_id)
        mia = session.scalar(select(Engineer).where(Engineer.key == "mia"))
        assert ticket is not None and mia is not None
        with pytest.raises(callback.Refused, match="klingelt schon"):
            callback.start(session, ticket, mia, clock())
        session.rollback()
    live = phones.live(ticket_id)
    assert len(live) == len(set(live)) == 1


def test_the_call_back_button_calls_the_engineer_then_the_customer_from_the_central_number(
    app: Flask, phones: Phones, clock: Clock, recorder: RecordingHttpClient
) -> None:
    from staff import client_as, make_accounts

    ticket_id = phones.voicemail()
    with app.app_context():
        make_accounts(db.session(), clock())
    app.config["WTF_CSRF_ENABLED"] = False
    page = client_as(app, "engineer")  # jonas, on the chain
    text = page.get(f"/tickets/{ticket_id}").get_data(as_text=True)
    assert "Zurückrufen" in text
    answer = page.post(f"/tickets/{ticket_id}/callback")
    assert answer.status_code == 302
    assert "Ihr Telefon klingelt gleich" in page.get(answer.location).get_data(as_text=True)
    phones.send()
    [call] = phones.placed
    assert (call.data["To"], call.data["From"]) == (MOBILES["jonas"], CENTRAL)
    assert path(call.data["Url"]).startswith("/voice/callback?")
    offer = phones.answer(call)
    dial = phones.press(call, offer, "1")
    assert dial.find("Dial").get("callerId") == CENTRAL
    assert dial.find("Dial/Number").text == MUELLER_PHONE
    phones.answer(call, dial.find("Dial").get("action"), DialCallStatus="completed",
                  DialCallDuration="95")  # fmt: skip
    phones.ended(call, seconds=110)
    ticket = phones.ticket(ticket_id)
    assert ticket.callback_seconds == 95 and ticket.acknowledged_by_id is not None
    with app.app_context():
        busy = db.session().scalar(select(Engineer.busy_ticket_id).where(Engineer.key == "jonas"))
    assert busy is None  # free again
    clock.advance(minutes=30)
    assert phones.check() == 0  # jonas took it by calling back: no re-page
    # a second call-back is fine; an account of no engineer may not
    assert page.post(f"/tickets/{ticket_id}/callback").status_code == 302
    assert client_as(app, "dispatcher").post(f"/tickets/{ticket_id}/callback").status_code == 403


def test_without_a_twilio_account_nothing_is_re_paged_and_the_page_says_why(
    app: Flask, phones: Phones, clock: Clock
) -> None:
    ticket_id = phones.voicemail()
    app.config["TWILIO_ACCOUNT_SID"] = None
    clock.advance(minutes=30)
    assert phones.check() == 0
    with app.app_context():
        session = db.session()
        ticket, jonas = session.get(Ticket, ticket_id), session.scalar(
            select(Engineer).where(Engineer.key == "jonas"))  # fmt: skip
        from hotline import callback

        with pytest.raises(callback.Refused, match="Twilio"):
            callback.start(session, ticket, jonas, clock())  # type: ignore[arg-type]


def test_a_failing_webhook_answers_a_short_word_never_a_stack_trace(
    app: Flask, phones: Phones, twilio: TwilioClient, clock: Clock
) -> None:
    ticket_id = phones.voicemail()
    for endpoint in ("repage", "repage-key", "callback", "callback-key", "callback-done"):
        answer = twilio.post(f"/voice/{endpoint}?ticket={ticket_id}&leg=999&call=CAx",
                             {"CallSid": "CA" + "9" * 32, "Digits": "1"})  # fmt: skip
        root = xml(answer)
        assert "technische Störung" in said(root) and root.find("Hangup") is not None
        assert twilio.post(f"/voice/{endpoint}?ticket={ticket_id}&leg=1", {}, signed=False
                           ).status_code == 403  # fmt: skip

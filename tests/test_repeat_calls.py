"""Calls that repeat, through the signed webhooks: the same number calling again while its
emergency is open joins that ticket; nobody is rung twice for it (escalation/repeat.py)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from builders import MOBILES, small_provider, verbs, xml
from conftest import Clock, TwilioClient
from flask import Flask
from sqlalchemy import func, select
from test_voice import Call, messages, path, walk_to_first_dial
from test_voice_concurrency import together
from test_web import Media, sms_link

from hotline import db
from hotline.models import RepeatCall, Ticket

RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC{}/Recordings/RE{:032x}"


@pytest.fixture
def provider(app: Flask) -> None:
    with app.app_context():
        small_provider(db.session())


def everything(app: Flask) -> tuple[list[Ticket], list[RepeatCall]]:
    with app.app_context():
        session = db.session()
        tickets = list(session.scalars(select(Ticket).order_by(Ticket.id)))
        for ticket in tickets:
            ticket.attempts, ticket.events, ticket.repeat_calls  # noqa: B018 - load them now
        return tickets, list(session.scalars(select(RepeatCall).order_by(RepeatCall.id)))


def kinds(ticket: Ticket) -> list[str]:
    return [e.kind for e in ticket.events]


def said(root: Any) -> str:
    return " ".join(say.text for say in root.iter("Say"))


def accepted_and_dropped(call: Call, clock: Clock) -> None:
    """Jonas takes the call; two minutes later the caller's line drops."""
    _, whisper, action = call.engineer(walk_to_first_dial(call))
    call.child(call.child(whisper).find("Gather").get("action"), Digits="1")
    clock.advance(minutes=2)
    call.post(action, DialCallStatus="completed", DialBridged="true", DialCallDuration="120")
    call.post("/voice/status", CallStatus="completed", CallDuration="140")


def voicemail_left(call: Call) -> None:
    root = walk_to_first_dial(call)
    while verbs(root) == ["Say", "Dial"]:
        _, _, action = call.engineer(root)
        root = xml(call.post(action, DialCallStatus="no-answer"))
    record = root.find("Record").get("action")
    call.post(record, RecordingUrl=RECORDING.format("0" * 32, 1), RecordingDuration="31")
    call.post("/voice/status", CallStatus="completed", CallDuration="200")


def test_a_dropped_call_reconnects_to_the_engineer_who_took_it_then_walks_the_chain(
    app: Flask, twilio: TwilioClient, provider: None, clock: Clock
) -> None:
    first = Call(twilio)
    accepted_and_dropped(first, clock)
    clock.advance(seconds=40)
    again = Call(twilio)
    root = again.incoming()
    assert said(root) == "Ich verbinde Sie wieder mit Ihrem Techniker."
    number, whisper, action = again.engineer(root)
    assert number == MOBILES["jonas"]  # the same person first, without a question
    root = xml(again.post(action, DialCallStatus="no-answer"))
    assert again.engineer(root)[0] == MOBILES["mia"]  # then the chain as usual, jonas skipped
    assert said(root).startswith("Wir versuchen den nächsten Techniker.")
    _, whisper, action = again.engineer(root)
    again.child(again.child(whisper).find("Gather").get("action"), Digits="1")
    again.post(action, DialCallStatus="completed", DialBridged="true", DialCallDuration="300")
    [ticket], [repeat] = everything(app)
    assert ticket.call_sid == again.sid and ticket.state == "connected"
    assert (repeat.joins, repeat.earlier_call_sid, repeat.first_attempt) == ("walk", first.sid, 2)
    assert [(a.seq, a.outcome) for a in ticket.attempts] == [
        (1, "accepted"), (2, "no-answer"), (3, "accepted"),
    ]  # fmt: skip
    assert ticket.bridged_seconds == 120 + 300  # both calls' talk time is billed
    assert kinds(ticket).count("called again") == 1 and "arrived" in kinds(ticket)
    called = next(e for e in ticket.events if e.kind == "called again")
    assert called.detail["call_sid"] == again.sid and called.detail["joins"] == "walk"
    again.post("/voice/status", CallStatus="completed", CallDuration="400")
    [ticket], _ = everything(app)
    assert ticket.state == "connected" and ticket.ended_at is not None


def test_a_caller_who_hung_up_while_it_rang_is_rung_through_again_on_the_same_ticket(
    app: Flask, twilio: TwilioClient, provider: None, clock: Clock
) -> None:
    first = Call(twilio)
    walk_to_first_dial(first)
    clock.advance(seconds=50)
    first.post("/voice/status", CallStatus="completed", CallDuration="50")
    again = Call(twilio)
    root = again.incoming()
    assert said(root) == "Ich verbinde." and again.engineer(root)[0] == MOBILES["jonas"]
    [ticket], [repeat] = everything(app)
    assert (ticket.state, ticket.call_sid, repeat.joins) == ("ringing", again.sid, "walk")


def test_a_waiting_voicemail_is_announced_again_and_another_message_is_kept(
    app: Flask, twilio: TwilioClient, provider: None, clock: Clock
) -> None:
    first = Call(twilio)
    voicemail_left(first)
    told = len(messages(app))
    clock.advance(minutes=3)
    again = Call(twilio)
    root = again.incoming()
    assert verbs(root) == ["Say", "Record", "Say", "Hangup"]
    assert said(root).startswith(
        "Ihre Nachricht liegt vor; wir erinnern den Techniker. "
        "Nach dem Ton können Sie noch eine Nachricht hinterlassen."
    )
    record = root.find("Record").get("action")
    assert path(record).startswith("/voice/again?ticket=")
    reannounced = messages(app)[told:]
    assert sorted(m.to for m in reannounced) == sorted(
        {MOBILES["jonas"], MOBILES["mia"], MOBILES["lena"], MOBILES["anna"]}
    )
    assert all(m.body.startswith("ERNEUT ANGERUFEN: Notfall-Voicemail") for m in reannounced)
    url = RECORDING.format("0" * 32, 2)
    done = xml(again.post(record, RecordingUrl=url, RecordingDuration="14"))
    assert said(done).startswith("Vielen Dank.")
    again.post(record, RecordingUrl=url, RecordingDuration="14", RecordingSid="RE2")  # a repeat
    again.post("/voice/status", CallStatus="completed", CallDuration="30")
    [ticket], [repeat] = everything(app)
    assert ticket.call_sid == first.sid and ticket.state == "callback_pending"
    assert ticket.voicemail_url == RECORDING.format("0" * 32, 1)  # the first message stays
    assert (repeat.joins, repeat.recording_url, repeat.recording_seconds) == (
        "message waiting", url, 14,
    )  # fmt: skip
    assert kinds(ticket).count("message left on a repeat call") == 1
    assert len(messages(app)) == told + len(reannounced)  # nothing told twice
    # the ticket page (the SMS link) plays both: the voicemail and the message of the repeat call
    app.config["TWILIO_MEDIA_SESSION"] = media = Media()
    client = app.test_client()
    page = client.get(sms_link(app, MOBILES["mia"])).get_data(as_text=True)
    assert "Weitere Nachricht beim erneuten Anruf" in page
    sources = [src.replace("&amp;", "&") for src in re.findall(r'<audio[^>]* src="([^"]+)"', page)]
    assert len(sources) == 2 and "again=" in sources[1]
    assert all(client.get(src).status_code == 200 for src in sources)
    assert [fetched for fetched, _ in media.calls] == [
        RECORDING.format("0" * 32, 1) + ".mp3", url + ".mp3",
    ]  # fmt: skip
    other = sources[1].replace(f"again={repeat.id}", f"again={repeat.id + 1}")
    assert client.get(other).status_code == 404  # another ticket's call: nothing to play


def test_a_second_phone_while_engineers_ring_rings_nobody_else(
    app: Flask, twilio: TwilioClient, provider: None
) -> None:
    first = Call(twilio)
    walk_to_first_dial(first)
    again = Call(twilio)
    root = again.incoming()
    assert "Dial" not in verbs(root)
    assert said(root).startswith("Ihr Notfall ist bei uns und wird bearbeitet.")
    record = root.find("Record").get("action")
    done = xml(again.post(record, RecordingUrl="", RecordingDuration="0"))
    assert said(done).startswith("Wir haben keine Nachricht erhalten.")
    [ticket], [repeat] = everything(app)
    assert ticket.call_sid == first.sid and len(ticket.attempts) == 1
    assert (repeat.joins, repeat.recording_url) == ("in hand", None)
    # another request of the repeat call that is no exact repeat hears the same, joins nothing
    assert said(xml(again.post("/voice/incoming", Caller="x"))) == said(root)
    assert len(everything(app)[1]) == 1


def test_a_message_for_a_ticket_the_call_did_not_join_is_refused_with_the_fallback(
    app: Flask, twilio: TwilioClient, provider: None
) -> None:
    first = Call(twilio)
    walk_to_first_dial(first)
    stranger = Call(twilio, "+4915199999999")
    url = f"/voice/again?ticket={everything(app)[0][0].id}"
    root = xml(
        stranger.post(url, RecordingUrl=RECORDING.format("0" * 32, 3), RecordingDuration="9")
    )
    assert said(root).startswith("Vielen Dank")  # kept (spooled), never a dead line
    assert everything(app)[1] == []


def test_withheld_resolved_and_old_tickets_are_not_joined(
    app: Flask, twilio: TwilioClient, provider: None, clock: Clock
) -> None:
    for _ in range(2):  # a withheld number: every call is its own
        Call(twilio, "anonymous").incoming()
    first = Call(twilio)
    accepted_and_dropped(first, clock)
    clock.advance(hours=12, seconds=1)
    Call(twilio).incoming()  # the next morning: a new emergency
    tickets, repeats = everything(app)
    assert len(tickets) == 4 and repeats == []
    with app.app_context():
        session = db.session()
        session.get(Ticket, tickets[-1].id).resolved_at = clock.at
        session.commit()
    Call(twilio).incoming()
    assert len(everything(app)[0]) == 5


def test_two_calls_from_one_number_at_once_open_one_ticket(app: Flask, provider: None) -> None:
    for round_ in range(4):
        number = f"+49301234568{round_}"  # Müller's, one number per round

        def incoming(number: str = number) -> bytes:
            call = Call(TwilioClient(app.test_client()), number)
            return call.post("/voice/incoming").get_data()

        answers = together(incoming, incoming)
        assert sorted(b"<Record" in a for a in answers) == [False, True]  # one asked, one joined
        with app.app_context():
            session = db.session()
            opened = session.scalar(select(func.count()).where(Ticket.from_number == number))
            joined = session.scalar(select(func.count()).select_from(RepeatCall))
        assert (opened, joined) == (1, round_ + 1)


def test_the_same_call_sid_twice_joins_once(app: Flask, twilio: TwilioClient, provider: None,
                                            clock: Clock) -> None:  # fmt: skip
    first = Call(twilio)
    voicemail_left(first)
    again = Call(twilio)
    told = len(messages(app))
    answers = together(again.incoming, again.incoming)
    assert answers[0] is not None and answers[1] is not None
    _, repeats = everything(app)
    assert len(repeats) == 1
    assert len(messages(app)) - told == 4  # the chain told once
    assert clock.at - timedelta(days=1) < repeats[0].arrived_at

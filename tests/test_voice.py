"""The emergency call through the real webhooks, signed as Twilio signs them, on both backends."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from builders import (
    CENTRAL,
    FALLBACK,
    MOBILES,
    MUELLER_PHONE,
    call_sid,
    extension,
    small_provider,
    verbs,
    xml,
)
from conftest import PUBLIC_URL, Clock, TwilioClient
from flask import Flask
from sqlalchemy import delete, func, select, update

from hotline import db
from hotline.models import (
    Attempt,
    Customer,
    Engineer,
    Message,
    Provider,
    Rotation,
    RotationMember,
    Team,
    Ticket,
)
from hotline.voice.prompts import seconds_to_say


@pytest.fixture
def provider(app: Flask) -> dict[str, Any]:
    with app.app_context():
        return {k: v for k, v in small_provider(db.session()).items() if k != "engineers"}


class Call:
    """One caller leg, driven step by step through the webhooks' own action URLs."""

    def __init__(self, twilio: TwilioClient, from_: str = MUELLER_PHONE) -> None:
        self.twilio = twilio
        self.sid = call_sid()
        self.from_ = from_
        self.children: dict[str, str] = {}

    def form(self, **extra: str) -> dict[str, str]:
        return {
            "CallSid": self.sid,
            "From": self.from_,
            "To": CENTRAL,
            "CallStatus": "in-progress",
            "Direction": "inbound",
            "AccountSid": "AC" + "0" * 32,
            **extra,
        }

    def post(self, url: str, **extra: str) -> Any:
        return self.twilio.post(path(url), self.form(**extra))

    def incoming(self) -> Any:
        return xml(self.post("/voice/incoming"))

    def answer(self, root: Any, digits: str = "") -> Any:
        """Answer the `<Gather>` of `root` (empty: silence)."""
        gather = root.find("Gather")
        return xml(self.post(gather.get("action"), Digits=digits))

    def engineer(self, dial: Any) -> tuple[str, str, str]:
        """(number, whisper URL, dial action URL) of a `<Dial>` document."""
        d = dial.find("Dial")
        number = d.find("Number")
        return number.text, number.get("url"), d.get("action")

    def child(self, url: str, **extra: str) -> Any:
        """A request on the engineer's leg."""
        child = self.children.setdefault(url.split("attempt=")[-1], call_sid())
        form = {
            "CallSid": child,
            "ParentCallSid": self.sid,
            "From": CENTRAL,
            "To": "x",
            "Direction": "outbound-dial",
            "CallStatus": "in-progress",
            **extra,
        }
        return xml(self.twilio.post(path(url), form))


def path(url: str) -> str:
    """The path and query of an absolute action URL (every URL we hand Twilio is absolute)."""
    if url.startswith("/"):
        return url
    assert url.startswith(PUBLIC_URL), url
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def ticket_of(app: Flask, call: Call) -> Ticket:
    with app.app_context():
        session = db.session()
        ticket = session.scalar(select(Ticket).where(Ticket.call_sid == call.sid))
        assert ticket is not None
        ticket.attempts, ticket.events  # noqa: B018 - load before the session closes
        return ticket


def messages(app: Flask) -> list[Message]:
    with app.app_context():
        return list(db.session().scalars(select(Message).order_by(Message.id)))


def walk_to_first_dial(call: Call) -> Any:
    root = call.incoming()
    return call.answer(root, "1")


# --- arrive, identify, confirm -------------------------------------------------------------


def test_known_caller_is_greeted_by_name_and_asked_to_confirm(
    app: Flask, twilio: TwilioClient, provider: Any
) -> None:
    call = Call(twilio)
    root = call.incoming()
    assert verbs(root) == ["Gather", "Redirect"]
    gather = root.find("Gather")
    assert gather.get("numDigits") == "1"
    assert gather.get("actionOnEmptyResult") == "true"
    assert path(gather.get("action")).startswith("/voice/confirm?ticket=")
    said = " ".join(s.text for s in gather.findall("Say"))
    assert "Müller & Söhne <Maschinenbau>" in said  # escaped by the library, parsed back intact
    assert "Aufschlag" not in said  # no contract clause before the first ring
    assert seconds_to_say(said) <= 8
    assert gather.find("Say").get("language") == "de-DE"
    ticket = ticket_of(app, call)
    assert (ticket.identified_by, ticket.state, ticket.from_number) == (
        "number",
        "confirming",
        MUELLER_PHONE,
    )


def test_a_repeated_incoming_request_creates_no_second_ticket(
    app: Flask, twilio: TwilioClient, provider: Any
) -> None:
    call = Call(twilio)
    first = call.post("/voice/incoming").get_data()
    again = call.post("/voice/incoming").get_data()
    assert first == again
    with app.app_context():
        assert db.session().scalar(select(func.count(Ticket.id))) == 1


def test_a_number_block_identifies_the_customer(
    app: Flask, twilio: TwilioClient, provider: Any
) -> None:
    call = Call(twilio, from_="+4930123456812")
    call.incoming()
    ticket = ticket_of(app, call)
    assert ticket.identified_by == "block"
    assert ticket.customer_id == provider["mueller"].id


@pytest.mark.parametrize("withheld", ["anonymous", "+266696687", "", "client:Anonymous"])
def test_withheld_caller_types_the_customer_number(
    app: Flask, twilio: TwilioClient, provider: Any, withheld: str
) -> None:
    call = Call(twilio, from_=withheld)
    root = call.incoming()
    gather = root.find("Gather")
    assert gather.get("finishOnKey") == "#"
    assert path(gather.get("action")).startswith("/voice/identify?")
    root = call.answer(root, "10042")
    assert "Müller & Söhne" in " ".join(s.text for s in root.iter("Say"))
    assert path(root.find("Gather").get("action")).startswith("/voice/confirm?")
    ticket = ticket_of(app, call)
    assert (ticket.identified_by, ticket.from_number) == ("keypad", None)


def test_unknown_number_twice_goes_on_unidentified_to_the_pool(
    app: Flask, twilio: TwilioClient, provider: Any
) -> None:
    call = Call(twilio, from_="+4989111111")
    root = call.answer(call.incoming(), "999")
    assert "kennen wir nicht" in " ".join(s.text for s in root.iter("Say"))
    root = call.answer(root, "998")
    assert path(root.find("Gather").get("action")).startswith("/voice/confirm?")
    dial = call.answer(root, "1")
    number, _, _ = call.engineer(dial)
    ticket = ticket_of(app, call)
    assert ticket.customer_id is None
    first = ticket.frozen_chain().entries[0]
    assert first.level == "pool"
    assert number == first.number


def test_unidentified_callers_can_be_referred_to_the_office(app: Flask, provider: Any) -> None:
    app.config["HOTLINE_UNIDENTIFIED"] = "refer"
    call = Call(TwilioClient(app.test_client()), from_="anonymous")
    root = call.answer(call.answer(call.incoming(), "1"), "2")
    assert verbs(root) == ["Say", "Hangup"]
    assert "Büro" in root.find("Say").text
    assert ticket_of(app, call).state == "referred"


def test_keypad_customer_with_pin(app: Flask, twilio: TwilioClient, provider: Any) -> None:
    call = Call(twilio, from_="anonymous")
    root = call.answer(call.incoming(), "20077")
    assert path(root.find("Gather").get("action")).startswith("/voice/pin?")
    root = call.answer(root, "0000")
    assert "PIN" in " ".join(s.text for s in root.iter("Say"))
    root = call.answer(root, "4711")
    gather = root.find("Gather")
    assert path(gather.get("action")).startswith("/voice/confirm?")
    assert gather.find("Say").get("language") == "en-GB"  # Acme hears English
    assert ticket_of(app, call).identified_by == "pin"


def test_wrong_pin_twice_leaves_the_caller_unidentified(
    app: Flask, twilio: TwilioClient, provider: Any
) -> None:
    call = Call(twilio, from_="anonymous")
    root = call.answer(call.answer(call.answer(call.incoming(), "20077"), "1"), "2")
    assert path(root.find("Gather").get("action")).startswith("/voice/confirm?")
    ticket = ticket_of(app, call)
    assert ticket.customer_id is None and ticket.state == "confirming"


def test_press_2_explains_the_normal_way_and_takes_a_message(
    app: Flask, twilio: TwilioClient, provider: Any
) -> None:
    call = Call(twilio)
    root = call.answer(call.incoming(), "2")
    assert verbs(root) == ["Say", "Record", "Say", "Hangup"]
    assert "support@example.de" in root.find("Say").text
    record = root.find("Record")
    assert path(record.get("action")).startswith("/voice/message?")
    done = xml(
        call.post(
            record.get("action"), RecordingUrl="https://api.twilio.com/R1", RecordingDuration="12"
        )
    )
    assert verbs(done) == ["Say", "Hangup"]
    assert ticket_of(app, call).state == "not_emergency"
    [mail] = messages(app)
    assert (mail.channel, mail.to) == ("email", "support@example.de")
    assert "https://api.twilio.com/R1" in mail.body


def test_a_known_caller_who_presses_nothing_is_rung_through_at_once(
    app: Flask, twilio: TwilioClient, provider: Any
) -> None:
    call = Call(twilio)
    root = call.answer(call.incoming(), "")
    assert verbs(root) == ["Say", "Dial"]


def test_another_key_is_asked_once_more_then_rung_through(
    app: Flask, twilio: TwilioClient, provider: Any
) -> None:
    call = Call(twilio)
    root = call.answer(call.incoming(), "7")
    assert path(root.find("Gather").get("action")).endswith("try=2")
    assert verbs(call.answer(root, "9")) == ["Say", "Dial"]


def test_an_unknown_caller_who_presses_nothing_gets_the_voicemail_not_the_pool(
    app: Flask, twilio: TwilioClient, provider: Any
) -> None:
    """A robocall or a pocket dial at night must not ring the whole cross-team pool."""
    call = Call(twilio, from_="anonymous")
    root = call.answer(call.answer(call.answer(call.incoming(), ""), ""), "")
    assert verbs(root)[:2] == ["Say", "Record"]
    ticket = ticket_of(app, call)
    assert ticket.state == "voicemail" and not ticket.attempts
    assert "pressed nothing" in [e.kind for e in ticket.events]


def test_an_unknown_caller_who_typed_something_is_rung_through(
    app: Flask, twilio: TwilioClient, provider: Any
) -> None:
    call = Call(twilio, from_="anonymous")
    root = call.answer(call.answer(call.answer(call.incoming(), "999"), ""), "")
    assert verbs(root) == ["Say", "Dial"]


def test_the_policy_can_ring_silent_callers_through(
    app: Flask, twilio: TwilioClient, provider: Any
) -> None:
    with app.app_context():
        db.session().execute(update(Provider).values(policy={"silent": "pool"}))
        db.session().commit()
    call = Call(twilio, from_="anonymous")
    root = call.answer(call.answer(call.answer(call.incoming(), ""), ""), "")
    assert verbs(root) == ["Say", "Dial"]


def test_a_blocked_number_hears_a_short_word_and_rings_nobody(
    app: Flask, twilio: TwilioClient, provider: Any
) -> None:
    with app.app_context():
        db.session().execute(update(Provider).values(blocked_numbers=["+4930123456"]))
        db.session().commit()
    call = Call(twilio)  # +49301234567 starts with the blocked prefix
    root = call.incoming()
    assert verbs(root) == ["Say", "Hangup"]
    assert "keine Anrufe" in root.find("Say").text
    ticket = ticket_of(app, call)
    assert ticket.state == "blocked" and not ticket.attempts
    assert Call(twilio, from_="+4989111111").incoming().find("Gather") is not None


# --- the chain -----------------------------------------------------------------------------


def test_confirmation_freezes_the_chain_and_dials_the_first_engineer_screened(
    app: Flask, twilio: TwilioClient, provider: Any
) -> None:
    call = Call(twilio)
    root = walk_to_first_dial(call)
    assert verbs(root) == ["Say", "Dial"]
    dial = root.find("Dial")
    assert dial.get("timeout") == "20"
    assert dial.get("callerId") == CENTRAL
    assert dial.get("answerOnBridge") == "true"
    assert (
        path(dial.get("action")) == f"/voice/dial-result?ticket={ticket_of(app, call).id}&attempt=1"
    )
    number = dial.find("Number")
    assert number.text == MOBILES["jonas"]
    assert path(number.get("url")).startswith("/voice/whisper?")
    ticket = ticket_of(app, call)
    entries = ticket.frozen_chain().entries
    assert [e.engineer for e in entries] == ["jonas", "mia", "lena", "anna", None]
    assert entries[-1].number == FALLBACK
    assert ticket.state == "ringing"


def test_whisper_screens_and_hangs_up_without_a_key(
    app: Flask, twilio: TwilioClient, provider: Any
) -> None:
    call = Call(twilio)
    _, whisper, _ = call.engineer(walk_to_first_dial(call))
    root = call.child(whisper)
    assert verbs(root) == ["Gather", "Hangup"]
    gather = root.find("Gather")
    assert gather.get("numDigits") == "1"
    assert path(gather.get("action")).startswith("/voice/accept?")
    said = gather.find("Say").text
    assert "Müller & Söhne" in said and "0 3 0" in said


def test_accept_bridges_and_the_ticket_records_who_and_how_long(
    app: Flask, twilio: TwilioClient, provider: Any, clock: Clock
) -> None:
    call = Call(twilio)
    _, whisper, action = call.engineer(walk_to_first_dial(call))
    clock.advance(seconds=8)
    accept_url = call.child(whisper).find("Gather").get("action")
    root = call.child(accept_url, Digits="1")
    assert "Hangup" not in verbs(root)  # the document ends: Twilio bridges the legs
    clock.advance(minutes=12)
    done = xml(
        call.post(action, DialCallStatus="completed", DialBridged="true", DialCallDuration="720")
    )
    assert verbs(done) == ["Say", "Hangup"]
    ticket = ticket_of(app, call)
    assert ticket.state == "connected"
    assert ticket.accepted_by_id is not None and ticket.bridged_seconds == 720
    [attempt] = ticket.attempts
    assert (attempt.outcome, attempt.talk_seconds) == ("accepted", 720)
    [sms] = messages(app)
    assert (sms.channel, sms.to) == ("sms", MOBILES["jonas"])
    assert f"/tickets/{ticket.id}" in sms.body
    # the engineer is free again once the bridged call ended
    with app.app_context():
        assert (
            db.session().scalar(select(Engineer.busy_ticket_id).where(Engineer.key == "jonas"))
            is None
        )


@pytest.mark.parametrize(
    ("dial", "outcome"),
    [
        ({"DialCallStatus": "no-answer"}, "no-answer"),
        ({"DialCallStatus": "busy"}, "busy"),
        ({"DialCallStatus": "failed"}, "failed"),
        # the whisper hung up (a voicemail box answered, nobody pressed 1)
        ({"DialCallStatus": "completed", "DialBridged": "false"}, "not-accepted"),
    ],
)
def test_every_other_outcome_moves_to_the_next_engineer(
    app: Flask, twilio: TwilioClient, provider: Any, dial: dict[str, str], outcome: str
) -> None:
    call = Call(twilio)
    _, _, action = call.engineer(walk_to_first_dial(call))
    root = xml(call.post(action, **dial))
    assert verbs(root) == ["Say", "Dial"]
    assert "nächsten" in root.find("Say").text
    assert call.engineer(root)[0] == MOBILES["mia"]
    first = ticket_of(app, call).attempts[0]
    assert first.outcome == outcome


def test_decline_moves_on(app: Flask, twilio: TwilioClient, provider: Any) -> None:
    call = Call(twilio)
    _, whisper, action = call.engineer(walk_to_first_dial(call))
    root = call.child(call.child(whisper).find("Gather").get("action"), Digits="2")
    assert verbs(root) == ["Hangup"]
    nxt = xml(call.post(action, DialCallStatus="completed", DialBridged="false"))
    assert call.engineer(nxt)[0] == MOBILES["mia"]
    assert ticket_of(app, call).attempts[0].outcome == "declined"


def test_a_repeated_dial_result_dials_the_same_next_attempt(
    app: Flask, twilio: TwilioClient, provider: Any
) -> None:
    call = Call(twilio)
    _, _, action = call.engineer(walk_to_first_dial(call))
    first = call.post(action, DialCallStatus="no-answer").get_data()
    again = call.post(action, DialCallStatus="no-answer").get_data()
    assert first == again
    assert len(ticket_of(app, call).attempts) == 2


def test_nobody_accepts_voicemail_and_everyone_is_told(
    app: Flask, twilio: TwilioClient, provider: Any
) -> None:
    call = Call(twilio)
    root = walk_to_first_dial(call)
    dialled = []
    while verbs(root) == ["Say", "Dial"]:
        number, _, action = call.engineer(root)
        dialled.append(number)
        root = xml(call.post(action, DialCallStatus="no-answer"))
    assert dialled == [MOBILES["jonas"], MOBILES["mia"], MOBILES["lena"], MOBILES["anna"], FALLBACK]
    assert verbs(root) == ["Say", "Record", "Say", "Hangup"]
    record = root.find("Record")
    assert record.get("maxLength") == "120"
    assert path(record.get("recordingStatusCallback")).startswith("/voice/recording?")
    done = xml(
        call.post(
            record.get("action"), RecordingUrl="https://api.twilio.com/R2", RecordingDuration="31"
        )
    )
    assert "Vielen Dank" in done.find("Say").text
    ticket = ticket_of(app, call)
    assert (ticket.state, ticket.voicemail_seconds) == ("callback_pending", 31)
    told = sorted(m.to for m in messages(app))
    assert told == sorted({MOBILES["jonas"], MOBILES["mia"], MOBILES["lena"], MOBILES["anna"]})
    # Twilio repeats the action: nothing is sent twice
    call.post(
        record.get("action"), RecordingUrl="https://api.twilio.com/R2", RecordingDuration="31"
    )
    assert len(messages(app)) == 4


def test_maximum_hold_time_ends_the_walk(
    app: Flask, twilio: TwilioClient, provider: Any, clock: Clock
) -> None:
    call = Call(twilio)
    _, _, action = call.engineer(walk_to_first_dial(call))
    clock.advance(seconds=238)
    root = xml(call.post(action, DialCallStatus="no-answer"))
    assert verbs(root)[:2] == ["Say", "Record"]
    assert ticket_of(app, call).state == "voicemail"


def test_ring_time_is_capped_by_the_hold_time_left(
    app: Flask, twilio: TwilioClient, provider: Any, clock: Clock
) -> None:
    call = Call(twilio)
    _, _, action = call.engineer(walk_to_first_dial(call))
    clock.advance(seconds=228)
    root = xml(call.post(action, DialCallStatus="no-answer"))
    assert root.find("Dial").get("timeout") == "12"


def test_caller_hangs_up_while_ringing(app: Flask, twilio: TwilioClient, provider: Any) -> None:
    call = Call(twilio)
    walk_to_first_dial(call)
    response = call.post(
        "/voice/status", CallStatus="completed", CallDuration="40", SequenceNumber="3"
    )
    assert response.status_code == 204
    ticket = ticket_of(app, call)
    assert ticket.state == "abandoned" and ticket.call_seconds == 40
    assert ticket.attempts[0].outcome == "cancelled"
    [sms] = messages(app)
    assert sms.to == MOBILES["jonas"] and MUELLER_PHONE in sms.body
    with app.app_context():
        assert (
            db.session().scalar(
                select(func.count(Engineer.id)).where(Engineer.busy_ticket_id.is_not(None))
            )
            == 0
        )
    # a late, older status callback changes nothing
    call.post("/voice/status", CallStatus="completed", SequenceNumber="1")
    assert len(messages(app)) == 1


def test_a_connected_call_ending_is_not_abandoned(
    app: Flask, twilio: TwilioClient, provider: Any
) -> None:
    call = Call(twilio)
    _, whisper, _ = call.engineer(walk_to_first_dial(call))
    call.child(call.child(whisper).find("Gather").get("action"), Digits="1")
    call.post("/voice/status", CallStatus="completed", CallDuration="600")
    assert ticket_of(app, call).state == "connected"


# --- two emergencies, one engineer ---------------------------------------------------------


def test_an_engineer_rung_for_one_emergency_is_skipped_by_another(
    app: Flask, twilio: TwilioClient, provider: Any
) -> None:
    first, second = Call(twilio), Call(twilio, extension(1))
    assert first.engineer(walk_to_first_dial(first))[0] == MOBILES["jonas"]
    assert second.engineer(walk_to_first_dial(second))[0] == MOBILES["mia"]
    ticket = ticket_of(app, second)
    assert any(e.kind == "skipped" and e.detail["engineer"] == "jonas" for e in ticket.events)


def test_only_the_first_key_press_accepts(app: Flask, twilio: TwilioClient, provider: Any) -> None:
    call = Call(twilio)
    _, whisper, _ = call.engineer(walk_to_first_dial(call))
    accept = call.child(whisper).find("Gather").get("action")
    with app.app_context():
        session = db.session()
        ticket = session.scalar(select(Ticket).where(Ticket.call_sid == call.sid))
        session.add(
            Attempt(
                ticket=ticket,
                seq=2,
                entry=1,
                level="own-secondary",
                number=MOBILES["mia"],
                started_at=ticket.arrived_at,
            )
        )
        session.commit()
    assert "Hangup" not in verbs(call.child(accept, Digits="1"))
    late = call.child(accept.replace("attempt=1", "attempt=2"), Digits="1")
    assert verbs(late) == ["Say", "Hangup"]
    assert ticket_of(app, call).accepted_attempt_id == ticket_of(app, call).attempts[0].id


# --- signatures ----------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["missing", "wrong token", "tampered query"])
def test_unsigned_requests_get_403_and_change_nothing(app: Flask, provider: Any, how: str) -> None:
    call = Call(TwilioClient(app.test_client()))
    if how == "missing":
        response = call.twilio.post("/voice/incoming", call.form(), signed=False)
    elif how == "wrong token":
        response = TwilioClient(app.test_client(), token="not-the-token").post(
            "/voice/incoming", call.form()
        )
    else:
        root = call.incoming()
        action = path(root.find("Gather").get("action"))
        from conftest import sign

        form = call.form(Digits="1")
        signature = sign(PUBLIC_URL + action, form)
        response = app.test_client().post(
            action.replace("ticket=", "ticket=9"),
            data=form,
            headers={"X-Twilio-Signature": signature},
        )
    assert response.status_code == 403
    with app.app_context():
        count = db.session().scalar(select(func.count(Ticket.id)))
    assert count == (1 if how == "tampered query" else 0)


def test_signature_covers_the_configured_public_url_not_the_host_header(
    app: Flask, provider: Any
) -> None:
    call = Call(TwilioClient(app.test_client()))
    form = call.form()
    from conftest import sign

    signature = sign("http://localhost/voice/incoming", form)
    response = app.test_client().post(
        "/voice/incoming", data=form, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 403


def test_query_strings_of_action_urls_are_ascii_ids(
    app: Flask, twilio: TwilioClient, provider: Any
) -> None:
    call = Call(twilio)
    root = walk_to_first_dial(call)
    for url in (root.find("Dial").get("action"), root.find("Dial/Number").get("url")):
        assert url.isascii()
        assert set(parse_qs(urlsplit(url).query)) == {"ticket", "attempt"}


def test_repeated_keypad_and_confirmation_requests_change_nothing(
    app: Flask, twilio: TwilioClient, provider: Any
) -> None:
    call = Call(twilio, from_="anonymous")
    first = call.incoming()
    identify = first.find("Gather").get("action")
    second = xml(call.post(identify, Digits="999"))  # unknown: asked again (try=2)
    again = xml(call.post(identify, Digits="999"))  # Twilio repeats try=1
    assert again.find("Gather").get("action") == second.find("Gather").get("action")
    confirm_root = call.answer(second, "10042")
    confirm = confirm_root.find("Gather").get("action")
    dial = xml(call.post(confirm, Digits="1"))
    repeated = xml(call.post(confirm, Digits="1"))
    assert call.engineer(repeated) == call.engineer(dial)
    ticket = ticket_of(app, call)
    assert len(ticket.attempts) == 1
    assert [e.kind for e in ticket.events].count("customer number entered") == 2
    assert [e.kind for e in ticket.events].count("emergency confirmed") == 1


def test_a_voicemail_nobody_can_be_told_of_goes_to_the_support_mailbox(
    app: Flask, twilio: TwilioClient, provider: Any
) -> None:
    with app.app_context():  # an empty rota, and no fallback number
        session = db.session()
        for model in (RotationMember, Rotation):
            session.execute(delete(model))
        session.execute(update(Provider).values(fallback_number=None))
        session.execute(update(Team).values(project_lead_id=None))
        session.commit()
    call = Call(twilio)
    root = walk_to_first_dial(call)
    assert verbs(root)[:2] == ["Say", "Record"]
    call.post(
        root.find("Record").get("action"),
        RecordingUrl="https://api.twilio.com/R3",
        RecordingDuration="9",
    )
    [mail] = messages(app)
    assert (mail.channel, mail.to) == ("email", "support@example.de")
    assert ticket_of(app, call).state == "callback_pending"


def test_personal_data_is_deleted_after_the_retention_period(
    app: Flask, twilio: TwilioClient, provider: Any, clock: Clock
) -> None:
    from hotline import retention

    call = Call(twilio)
    walk_to_first_dial(call)
    with app.app_context():
        assert retention.purge_personal_data(db.session(), clock.advance(days=89)) == 0
        assert retention.purge_personal_data(db.session(), clock.advance(days=2)) == 1
    ticket = ticket_of(app, call)
    assert (ticket.from_raw, ticket.from_number, ticket.voicemail_url) == (None, None, None)
    assert ticket.customer_id is not None  # the business record stays


def test_caller_hangs_up_a_bridged_call_and_the_dial_result_comes_after_the_status(
    app: Flask, twilio: TwilioClient, provider: Any, clock: Clock
) -> None:
    call = Call(twilio)
    _, whisper, action = call.engineer(walk_to_first_dial(call))
    call.child(call.child(whisper).find("Gather").get("action"), Digits="1")
    clock.advance(minutes=5)
    call.post("/voice/status", CallStatus="completed", CallDuration="330")
    ticket = ticket_of(app, call)
    assert (ticket.state, ticket.attempts[0].outcome, ticket.bridged_seconds) == (
        "connected",
        "accepted",
        300,
    )
    call.post(
        action,
        DialCallStatus="completed",
        DialBridged="true",
        DialCallDuration="298",
        CallStatus="completed",
    )
    ticket = ticket_of(app, call)
    assert (ticket.attempts[0].outcome, ticket.bridged_seconds) == ("accepted", 298)
    with app.app_context():
        assert (
            db.session().scalar(
                select(func.count(Engineer.id)).where(Engineer.busy_ticket_id.is_not(None))
            )
            == 0
        )


def test_without_an_office_number_referred_callers_hear_the_support_address(
    app: Flask, provider: Any
) -> None:
    app.config["HOTLINE_UNIDENTIFIED"] = "refer"
    with app.app_context():
        db.session().execute(update(Provider).values(office_number=None))
        db.session().commit()
    call = Call(TwilioClient(app.test_client()), from_="anonymous")
    root = call.answer(call.answer(call.incoming(), "1"), "2")
    assert "support@example.de" in root.find("Say").text


def test_the_engineer_gets_the_documentation_and_the_contact_hears_who_took_it(
    app: Flask, twilio: TwilioClient, provider: Any
) -> None:
    with app.app_context():
        session = db.session()
        mueller = session.get(Customer, provider["mueller"].id)
        mueller.documentation_url = "https://doku.example.de/mueller"
        mueller.emergency_notes = (
            "Serverraum: Schlüssel beim Pförtner.\nNur Herr Müller entscheidet."
        )
        session.execute(update(Engineer).where(Engineer.key == "jonas").values(
            email="jonas@example.de"))  # fmt: skip
        session.commit()
    call = Call(twilio)
    _, _, action = call.engineer(walk_to_first_dial(call))
    nxt = xml(call.post(action, DialCallStatus="no-answer"))  # Jonas, the contact, is away
    _, whisper, _ = call.engineer(nxt)
    screen = call.child(whisper)
    assert "Dokumentation kommt per SMS" in screen.find("Gather/Say").text
    call.child(screen.find("Gather").get("action"), Digits="1")
    sent = {(m.channel, m.to): m for m in messages(app)}
    accepted = sent[("sms", MOBILES["mia"])].body
    assert "https://doku.example.de/mueller" in accepted and "Pförtner" in accepted
    assert "\n" not in accepted
    assert "Mia" in sent[("sms", MOBILES["jonas"])].body
    assert "Mia" in sent[("email", "jonas@example.de")].subject

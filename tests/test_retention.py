"""DSGVO: once the retention has passed, the caller's personal data is nowhere in the database,
and the recordings are deleted at Twilio; the business record stays. On SQLite and PostgreSQL.

The calls go through the real webhooks, so whatever the call flow stores (today and after the
next change to it) is what the purge must find.
"""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from builders import MOBILES, small_provider, verbs, xml
from conftest import Clock, TwilioClient
from flask import Flask
from personal_data import holds_number
from sqlalchemy import func, select, update
from test_voice import Call
from twilio_recorder import RecordingHttpClient

import escalation
import hotline
from hotline import billing, db, notify, phones, retention, scheduler
from hotline.models import Answer, Base, Event, Message, RepeatCall, Ticket

CALLER = "+4915112345678"
# One emergency each: calls from one number while its emergency is open would join its ticket.
CALLERS = (CALLER, "+4915112345670", "+4915112345671", "+4915112345672")
NATIONAL = "015112345678"  # what a caller types when asked for the customer number
NAME = "Schmidt"  # the caller's name, as the engineer writes it into the notes
NOTES = f"Herr {NAME} (0151 / 123 456 78): Server neu gestartet"
ACCOUNT = "AC" + "0" * 32
DAYS = 90


def recording(n: int) -> tuple[str, str]:
    sid = f"RE{n:032x}"
    return sid, f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{sid}"


@pytest.fixture
def provider(app: Flask) -> None:
    with app.app_context():
        small_provider(db.session())


@pytest.fixture
def recorder(app: Flask) -> RecordingHttpClient:
    app.config["TWILIO_HTTP_CLIENT"] = client = RecordingHttpClient()
    app.config["HOTLINE_SMS_FROM"] = "+493012345000"
    return client


def identify_by_keypad(call: Call) -> Any:
    """The caller's number is unknown: they type their own number first, then the right one."""
    root = call.answer(call.incoming(), NATIONAL)
    return call.answer(root, "10042")


def voicemail_call(twilio: TwilioClient) -> Call:
    call = Call(twilio, from_=CALLER)
    root = call.answer(identify_by_keypad(call), "1")
    while verbs(root) == ["Say", "Dial"]:
        _, _, action = call.engineer(root)
        root = xml(call.post(action, DialCallStatus="no-answer"))
    record = root.find("Record")
    sid, url = recording(1)
    call.post(record.get("action"), RecordingUrl=url, RecordingDuration="31")
    call.post(
        record.get("recordingStatusCallback"), RecordingStatus="completed", RecordingUrl=url,
        RecordingSid=sid, RecordingDuration="31",
    )  # fmt: skip
    call.post("/voice/status", CallStatus="completed", CallDuration="200", SequenceNumber="9")
    return call


def message_call(twilio: TwilioClient) -> Call:
    """Not an emergency: the caller leaves a message for the support mailbox."""
    call = Call(twilio, from_=CALLERS[1])
    record = call.answer(identify_by_keypad(call), "2").find("Record")
    call.post(record.get("action"), RecordingUrl=recording(2)[1], RecordingDuration="12")
    return call


def abandoned_call(twilio: TwilioClient) -> Call:
    call = Call(twilio, from_=CALLERS[2])
    call.answer(identify_by_keypad(call), "1")
    call.post("/voice/status", CallStatus="completed", CallDuration="40", SequenceNumber="3")
    return call


def accepted_call(app: Flask, twilio: TwilioClient, clock: Clock) -> Call:
    """Jonas takes it; afterwards his notes name the caller and the call-back number."""
    call = Call(twilio, from_=CALLERS[3])
    _, whisper, _ = call.engineer(call.answer(identify_by_keypad(call), "1"))
    call.child(call.child(whisper).find("Gather").get("action"), Digits="1")
    call.post("/voice/status", CallStatus="completed", CallDuration="600", SequenceNumber="5")
    with app.app_context():
        session = db.session()
        ticket = session.scalar(select(Ticket).where(Ticket.call_sid == call.sid))
        billing.resolve(session, ticket, clock.at + timedelta(minutes=30), 45, NOTES)
        session.commit()
    return call


def where_personal_data_is(app: Flask) -> dict[str, list[str]]:
    """Every column of every table, every row, as text: where the caller's number (in any
    form: E.164, national, grouped, read aloud digit by digit) or name still stands."""
    found: dict[str, list[str]] = {}
    with app.app_context(), db.engine().connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(table.select()).mappings():
                for column, value in row.items():
                    text = "" if value is None else str(value)
                    if any(holds_number(text, n) for n in CALLERS) or NAME in text:
                        found.setdefault(table.name, []).append(f"{column}={text[:120]}")
    return found


def purge(app: Flask, clock: Clock, days: float) -> None:
    """The worker's daily job, as the scheduler runs it, `days` after the calls."""
    clock.advance(days=days)
    with app.app_context():
        assert scheduler.run("purge-personal-data")


def test_after_the_retention_the_caller_is_nowhere_in_the_database(
    app: Flask, twilio: TwilioClient, provider: None, clock: Clock, recorder: RecordingHttpClient
) -> None:
    calls = [voicemail_call(twilio), message_call(twilio), abandoned_call(twilio)]
    calls.append(accepted_call(app, twilio, clock))
    with app.app_context():
        session = db.session()
        notify.deliver_due(session, clock.at)
        # a provider's error quotes the number (Twilio: "The 'To' number ... is not valid")
        failed = session.scalars(select(Message).order_by(Message.id)).first()
        failed.status, failed.last_error = "failed", f"The 'To' number {CALLER} is not valid"
        session.commit()
    with app.app_context():  # what the calls wrote, however the code writes it
        details = db.session().scalars(select(Event.detail)).all()
    keys = {key for detail in details if detail for key in detail}
    assert keys <= retention.KEPT | retention.PERSONAL, keys - retention.KEPT - retention.PERSONAL
    before = where_personal_data_is(app)
    assert {"tickets", "events", "messages"} <= set(before), before  # the seed is real

    assert "answers" in before, before  # the engineer's whisper reads the number aloud
    purge(app, clock, DAYS - 1)
    # not yet: only the stored answers are gone (after a day)
    assert where_personal_data_is(app) == {
        table: found for table, found in before.items() if table != "answers"
    }
    purge(app, clock, 2)
    assert where_personal_data_is(app) == {}
    deleted = [r.url for r in recorder.requests if r.method == "DELETE"]
    assert deleted == [
        f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{recording(n)[0]}.json"
        for n in (1, 2)
    ]
    with app.app_context():
        assert db.session().scalars(select(Ticket.voicemail_url)).all() == [None] * len(calls)


def deletes(recorder: RecordingHttpClient) -> list[str]:
    """The RecordingSids Twilio was asked to delete, in order."""
    return [
        r.url.rsplit("/", 1)[1].removesuffix(".json")
        for r in recorder.requests
        if r.method == "DELETE"
    ]


def deliver(app: Flask, clock: Clock) -> None:
    with app.app_context():
        notify.deliver_due(db.session(), clock.at)


def links(app: Flask) -> list[str | None]:
    with app.app_context():
        return list(db.session().scalars(select(Ticket.voicemail_url).order_by(Ticket.id)))


def all_tickets(app: Flask) -> list[Ticket]:
    with app.app_context():
        found = list(db.session().scalars(select(Ticket).order_by(Ticket.id)))
        for ticket in found:
            ticket.attempts, ticket.events  # noqa: B018 - load before the session closes
        return found


def test_the_business_record_stays_and_a_second_run_changes_nothing(
    app: Flask, twilio: TwilioClient, provider: None, clock: Clock, recorder: RecordingHttpClient
) -> None:
    voicemail_call(twilio)
    accepted_call(app, twilio, clock)
    with app.app_context():
        notify.deliver_due(db.session(), clock.at)
    kinds_before = [[e.kind for e in t.events] for t in all_tickets(app)]
    purge(app, clock, DAYS + 1)
    voicemail, accepted = all_tickets(app)
    assert (voicemail.state, voicemail.voicemail_seconds, voicemail.identified_by) == (
        "callback_pending", 31, "keypad",
    )  # fmt: skip
    assert voicemail.customer_id is not None and voicemail.arrived_at is not None
    assert (accepted.work_minutes, accepted.notes) == (45, None)
    assert accepted.accepted_by_id is not None and accepted.bridged_seconds is not None
    # the engineers' numbers stay: the record of who was rung
    assert [a.number for a in voicemail.attempts][:2] == [MOBILES["jonas"], MOBILES["mia"]]
    for ticket, kinds in zip((voicemail, accepted), kinds_before, strict=True):
        assert [e.kind for e in ticket.events] == [*kinds, retention.MARK]
        typed = next(e for e in ticket.events if e.kind == "customer number entered")
        assert typed.detail == {"found": False}
        assert not next(e for e in ticket.events if e.kind == "arrived").detail
        assert ticket.events[-1].detail == {"retention_days": DAYS, "scope": "everywhere"}
    with app.app_context():
        session = db.session()
        outbox = list(session.scalars(select(Message)))
        assert outbox and {(m.to, m.body, m.subject, m.status) for m in outbox} == {
            ("", "", None, "sent")
        }
        assert all(m.dedupe_key and m.sent_at and m.channel for m in outbox)
        # the envelope's key still makes a repeat enqueue nothing
        assert not notify.enqueue_sms(session, "+491700000000", "x", outbox[0].dedupe_key)
        session.rollback()
        events = session.scalar(select(func.count(Event.id)))
    shown = app.test_cli_runner().invoke(args=["outbox"]).output
    assert "(erased)" in shown and CALLER not in shown
    requests = len(recorder.requests)
    purge(app, clock, 1)
    with app.app_context():
        assert db.session().scalar(select(func.count(Event.id))) == events
    assert len(recorder.requests) == requests


def test_tickets_within_the_retention_and_pending_messages_are_left_alone(
    app: Flask, twilio: TwilioClient, provider: None, clock: Clock, recorder: RecordingHttpClient
) -> None:
    voicemail_call(twilio)  # its SMS stay pending: nobody delivered them
    clock.advance(days=DAYS - 10)
    abandoned_call(twilio)  # a young ticket, its SMS sent
    with app.app_context():
        young = db.session().scalars(select(Ticket).order_by(Ticket.id.desc())).first()
        notify.deliver_due(db.session(), clock.at - timedelta(days=DAYS))  # nothing due then
        for message in db.session().scalars(select(Message).where(Message.ticket_id == young.id)):
            message.status = "sent"
        db.session().commit()
    purge(app, clock, 11)
    old, new = all_tickets(app)
    assert old.from_number is None and new.from_number == CALLERS[2]
    assert deletes(recorder) == [recording(1)[0]]
    with app.app_context():
        outbox = list(db.session().scalars(select(Message).order_by(Message.id)))
    pending = [m for m in outbox if m.ticket_id == old.id]
    assert pending and all(m.status == "pending" and CALLER in m.body for m in pending)
    assert all(CALLERS[2] in m.body for m in outbox if m.ticket_id == new.id)
    with app.app_context():
        notify.deliver_due(db.session(), clock.at)  # they go out, then the next run empties them
    purge(app, clock, 1)
    with app.app_context():
        bodies = {m.ticket_id: m.body for m in db.session().scalars(select(Message)) if m.body}
    assert set(bodies) == {new.id}


def test_messages_older_than_the_retention_are_emptied_whatever_they_are_about(
    session: Any, app: Flask, clock: Clock
) -> None:
    """An appointment notice to a customer, with no ticket: the outbox is no archive."""
    notify.enqueue_email(session, "it@mueller.example", f"Termin {NAME}", "t", key="notice")
    session.execute(update(Message).values(status="sent", sent_at=clock.at))
    session.commit()
    clock.advance(days=DAYS + 1)
    assert retention.purge_personal_data(session, clock.at) == 0
    session.expire_all()
    [notice] = session.scalars(select(Message)).all()
    assert (notice.to, notice.subject, notice.body, notice.status) == ("", None, "", "sent")


def test_a_recording_twilio_failed_to_delete_is_deleted_on_a_later_run(
    app: Flask, twilio: TwilioClient, provider: None, clock: Clock, recorder: RecordingHttpClient,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    voicemail_call(twilio)
    message_call(twilio)
    deliver(app, clock)
    voicemail, message = recording(1), recording(2)
    recorder.fail(500)  # Twilio is down: the run stops asking, both links are kept
    purge(app, clock, DAYS + 1)
    assert deletes(recorder) == [voicemail[0]]
    assert links(app) == [voicemail[1], message[1]]
    assert where_personal_data_is(app) == {}  # everything else is gone already
    recorder.fail(403)  # refused for this one recording: the next is still tried
    purge(app, clock, 1)
    assert deletes(recorder) == [voicemail[0], voicemail[0], message[0]]
    assert links(app) == [voicemail[1], None]
    recorder.fail(404)  # gone at Twilio already (deleted in the console): done as well
    purge(app, clock, 1)
    assert deletes(recorder)[-1] == voicemail[0]
    assert links(app) == [None, None]
    purge(app, clock, 1)
    assert len(deletes(recorder)) == 4  # nothing left to ask
    assert "not deleted, tried again next run" in caplog.text


def test_without_a_twilio_account_a_recording_link_is_kept_until_it_can_be_deleted(
    app: Flask, twilio: TwilioClient, provider: None, clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    voicemail_call(twilio)
    with app.app_context():  # the simulator's link names no recording: nothing to delete
        db.session().add(
            Ticket(
                call_sid="CA-sim",
                arrived_at=clock.at,
                voicemail_url="https://api.twilio.com/sim/CA1",
            )
        )
        db.session().commit()
    app.config["TWILIO_ACCOUNT_SID"] = None
    deliver(app, clock)  # logged only: the dry run
    purge(app, clock, DAYS + 1)
    assert links(app) == [recording(1)[1], None]
    assert "cannot be deleted without TWILIO_ACCOUNT_SID" in caplog.text
    assert where_personal_data_is(app) == {}


def test_a_ticket_the_earlier_purge_marked_is_purged_everywhere(
    app: Flask, twilio: TwilioClient, provider: None, clock: Clock, recorder: RecordingHttpClient
) -> None:
    """The earlier purge blanked only the caller ID and marked the ticket; its timeline and
    messages still held the number. A mark without the scope does not count."""
    abandoned_call(twilio)
    with app.app_context():
        session = db.session()
        notify.deliver_due(session, clock.at)
        ticket = session.scalars(select(Ticket)).one()
        ticket.from_raw = ticket.from_number = None
        session.add(
            Event(ticket=ticket, at=clock.at, kind=retention.MARK, detail={"retention_days": 90})
        )
        session.commit()
    assert set(where_personal_data_is(app)) == {"events", "messages"}
    purge(app, clock, DAYS + 1)
    assert where_personal_data_is(app) == {}


def written_detail_keys() -> dict[str, str]:
    """Every timeline detail key the code writes, with where: keyword arguments of
    `tickets.log(session, ticket, at, kind, ...)` and string keys of the dict literals in calls
    that make events (`open_ticket`, `Note`), in hotline/ and escalation/."""
    written: dict[str, str] = {}
    for package in (hotline, escalation):
        for path in Path(package.__file__).parent.rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.Call):
                    continue
                at, name = f"{path.name}:{node.lineno}", ast.unparse(node.func)
                if name in ("tickets.log", "log") and len(node.args) >= 4:
                    written.update({k.arg: at for k in node.keywords if k.arg})
                if name.endswith(("open_ticket", "Note")):
                    for inner in ast.walk(node):
                        if isinstance(inner, ast.Dict):
                            keys = [k.value for k in inner.keys if isinstance(k, ast.Constant)]
                            written.update({k: at for k in keys if isinstance(k, str)})
    return written


def test_every_timeline_detail_key_is_classified() -> None:
    """A key a new event writes must be named as kept (no personal data) or personal: the
    purge keeps only the named ones, so an unnamed key is erased after the retention."""
    written = written_detail_keys()
    assert {"digits", "engineer", "attempt"} <= set(written)  # the scan finds them
    unnamed = {k: at for k, at in written.items() if k not in retention.KEPT | retention.PERSONAL}
    assert unnamed == {}
    assert not retention.KEPT & retention.PERSONAL


def test_stored_answers_are_deleted_after_a_day(session: Any, clock: Clock) -> None:
    session.add(Answer(key="k", call_sid="CA1", status=200, mimetype="text/xml",
                       body=f"<Say>{phones.spoken(CALLER)}</Say>", at=clock.at))  # fmt: skip
    session.commit()
    assert retention.purge_answers(session, clock.advance(hours=23)) == 0
    assert retention.purge_answers(session, clock.advance(hours=2)) == 1
    assert session.scalar(select(func.count(Answer.id))) == 0


def test_a_message_left_on_a_repeat_call_is_deleted_at_twilio_too(
    app: Flask, twilio: TwilioClient, provider: None, clock: Clock, recorder: RecordingHttpClient
) -> None:
    voicemail_call(twilio)  # recording 1
    again = Call(twilio, from_=CALLER)  # the same number calls again: joins the ticket
    record = again.incoming().find("Record").get("action")
    sid, url = recording(3)
    again.post(record, RecordingUrl=url, RecordingDuration="12")
    purge(app, clock, DAYS + 1)
    assert deletes(recorder) == [recording(1)[0], sid]
    with app.app_context():
        [repeat] = db.session().scalars(select(RepeatCall)).all()
        assert repeat.recording_url is None

"""The outbox: idempotent enqueueing, delivery through Twilio's real client and real SMTP."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from datetime import UTC, timedelta
from typing import Any

import pytest
from email_reader import HEADERS, strict
from flask import Flask
from personal_data import leaks
from smtp_server import Inbox, running_smtp, silent_relay
from sqlalchemy import select
from twilio_recorder import RecordingHttpClient

from hotline import db, notify, phones, scheduler
from hotline.models import Message

ENGINEER = "+4915112345678"


@pytest.fixture
def recorder(app: Flask) -> RecordingHttpClient:
    app.config["TWILIO_HTTP_CLIENT"] = client = RecordingHttpClient()
    app.config["HOTLINE_SMS_FROM"] = "+493012345000"
    return client


@pytest.fixture
def inbox(app: Flask) -> Iterator[Inbox]:
    with running_smtp() as inbox:
        app.config.update(HOTLINE_SMTP_HOST=inbox.host, HOTLINE_SMTP_PORT=inbox.port)
        yield inbox


def messages(session: Any) -> list[Message]:
    session.expire_all()
    return list(session.scalars(select(Message).order_by(Message.id)))


def test_same_key_enqueues_one_message(session: Any, clock: Any) -> None:
    assert notify.enqueue_sms(session, ENGINEER, "Ticket 7 accepted", key="ticket-7-accepted")
    assert not notify.enqueue_sms(session, ENGINEER, "Ticket 7 accepted", key="ticket-7-accepted")
    session.commit()
    assert not notify.enqueue_sms(session, ENGINEER, "again", key="ticket-7-accepted")
    session.commit()
    [message] = messages(session)
    assert (message.channel, message.status, message.body) == (
        "sms",
        "pending",
        "Ticket 7 accepted",
    )
    assert message.next_try_at == clock.at


def test_enqueue_joins_the_callers_transaction(session: Any) -> None:
    notify.enqueue_sms(session, ENGINEER, "rolled back", key="k")
    session.rollback()
    assert messages(session) == []


def test_a_message_too_long_for_its_columns_is_still_queued(session: Any) -> None:
    """A subject over its column is cut with an ellipsis; a key over its column (it may end with
    a long address) becomes its digest, still one message per key. Either overflow used to fail
    the caller's whole transaction on PostgreSQL (SQLite does not check lengths)."""
    address = "x" * 180 + "@example.de"
    key = f"alarm:fallback:20261201T030000:cleared:{address}"
    assert notify.enqueue_email(session, address, "Betreff " * 60, "Text", key)
    assert not notify.enqueue_email(session, address, "Betreff " * 60, "Text", key)
    session.commit()
    [message] = messages(session)
    assert len(message.subject) <= 300 and message.subject.endswith("…")
    assert ("Betreff " * 60).startswith(message.subject[:-1])
    assert message.dedupe_key.startswith("sha256:") and len(message.dedupe_key) <= 200


def test_concurrent_enqueue_of_one_key_inserts_once(app: Flask) -> None:
    """Two requests (a Twilio retry racing the original) enqueue the same key at once."""
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def enqueue() -> None:
        with app.app_context(), db.new_session() as s:
            barrier.wait()
            results.append(notify.enqueue_sms(s, ENGINEER, "once", key="race"))
            s.commit()

    threads = [threading.Thread(target=enqueue) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, True]
    with app.app_context():
        assert len(messages(db.session())) == 1


def test_sms_goes_out_through_the_twilio_client(
    session: Any, clock: Any, recorder: RecordingHttpClient
) -> None:
    notify.enqueue_sms(session, ENGINEER, "Notfall Ticket 7: Müller GmbH", key="a", ticket_id=None)
    session.commit()
    assert notify.deliver_due(session, clock.at) == 1
    [request] = recorder.requests
    assert request.method == "POST"
    assert request.url == f"https://api.twilio.com/2010-04-01/Accounts/AC{'0' * 32}/Messages.json"
    assert request.data == {
        "To": ENGINEER,
        "From": "+493012345000",
        "Body": "Notfall Ticket 7: Müller GmbH",
    }
    [message] = messages(session)
    assert (message.status, message.tries, message.sent_at) == ("sent", 1, clock.at)
    assert message.external_id == "SM" + "1".zfill(32)
    assert notify.deliver_due(session, clock.advance(minutes=5)) == 0
    assert len(recorder.requests) == 1


def test_failed_sms_is_retried_with_backoff_then_sent(
    session: Any, clock: Any, recorder: RecordingHttpClient
) -> None:
    recorder.fail(500, times=2)
    notify.enqueue_sms(session, ENGINEER, "retry me", key="a")
    session.commit()
    start = clock.at
    assert notify.deliver_due(session, start) == 0
    [message] = messages(session)
    assert message.status == "pending" and "500" in (message.last_error or "")
    assert message.next_try_at == start + timedelta(minutes=1)
    assert notify.deliver_due(session, start + timedelta(seconds=59)) == 0  # not due yet
    assert notify.deliver_due(session, start + timedelta(minutes=1)) == 0  # second 500
    assert messages(session)[0].next_try_at == start + timedelta(minutes=3)
    assert notify.deliver_due(session, start + timedelta(minutes=3)) == 1
    [message] = messages(session)
    assert (message.status, message.tries, message.last_error) == ("sent", 3, None)
    assert len(recorder.requests) == 3


def test_a_message_that_keeps_failing_is_marked_failed_and_logged(
    session: Any, clock: Any, recorder: RecordingHttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    recorder.fail(503, times=notify.MAX_TRIES)
    notify.enqueue_sms(session, ENGINEER, "never arrives", key="a")
    session.commit()
    for _ in range(notify.MAX_TRIES):
        assert notify.deliver_due(session, clock.advance(hours=3)) == 0
    [message] = messages(session)
    assert (message.status, message.tries) == ("failed", notify.MAX_TRIES)
    assert "503" in (message.last_error or "")
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "FAILED after 8 tries" in errors[0]
    assert phones.masked(ENGINEER) in errors[0] and ENGINEER not in errors[0]
    assert notify.deliver_due(session, clock.advance(days=1)) == 0
    assert len(recorder.requests) == notify.MAX_TRIES


def test_a_refused_number_fails_at_once(
    session: Any, clock: Any, recorder: RecordingHttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Twilio answers 400 for an invalid 'To': retrying cannot help, so it is not retried."""
    recorder.fail(400)
    notify.enqueue_sms(session, "+4900", "bad number", key="a")
    session.commit()
    assert notify.deliver_due(session, clock.at) == 0
    [message] = messages(session)
    assert (message.status, message.tries) == ("failed", 1)
    assert "FAILED after 1 tries" in caplog.text


def test_one_failure_does_not_block_the_others(
    session: Any, clock: Any, recorder: RecordingHttpClient
) -> None:
    recorder.fail(500)
    for key in "abc":
        notify.enqueue_sms(session, ENGINEER, key, key=key)
    session.commit()
    assert notify.deliver_due(session, clock.at) == 2
    assert [m.status for m in messages(session)] == ["pending", "sent", "sent"]


def test_a_claimed_message_is_not_sent_by_a_second_worker(
    session: Any, clock: Any, recorder: RecordingHttpClient
) -> None:
    """The claim is an atomic conditional UPDATE: whoever loses it skips the message."""
    notify.enqueue_sms(session, ENGINEER, "once", key="a")
    session.commit()
    [message] = messages(session)
    assert notify._claim(session, message.id, clock.at) is not None
    assert notify._claim(session, message.id, clock.at) is None
    assert notify.deliver_due(session, clock.at) == 0
    assert recorder.requests == []


def test_a_slow_run_leaves_the_rest_unclaimed_for_the_next(
    session: Any, clock: Any, recorder: RecordingHttpClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each send "takes" a minute: past the budget nothing more is claimed, so no claim
    (counted from the run's start) can expire while its message is still being sent."""
    ticks = iter(range(0, 10_000, 60))
    monkeypatch.setattr(notify, "monotonic", lambda: next(ticks))
    for key in "abc":
        notify.enqueue_sms(session, ENGINEER, key, key=key)
    session.commit()
    assert notify.deliver_due(session, clock.at) == 2
    assert [(m.status, m.tries) for m in messages(session)] == [
        ("sent", 1),
        ("sent", 1),
        ("pending", 0),
    ]
    assert notify.deliver_due(session, clock.at) == 1


def test_dry_run_without_twilio_account(
    app: Flask, session: Any, clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["TWILIO_ACCOUNT_SID"] = None
    notify.enqueue_sms(session, ENGINEER, "Voicemail von Müller GmbH", key="a")
    notify.enqueue_email(session, "it@mueller.example", "Status", "text body", key="b")
    session.commit()
    assert notify.deliver_due(session, clock.at) == 2
    assert [(m.status, m.external_id) for m in messages(session)] == [("sent", "dry-run")] * 2
    logged = caplog.text
    assert "DRY RUN" in logged and "Voicemail von Müller GmbH" in logged and "text body" in logged


def test_tests_never_reach_twilio(app: Flask, session: Any, clock: Any) -> None:
    """With an account but no injected client, a test refuses to send instead of going online."""
    notify.enqueue_sms(session, ENGINEER, "x", key="a")
    session.commit()
    assert notify.deliver_due(session, clock.at) == 0
    assert "refusing to reach Twilio" in (messages(session)[0].last_error or "")


def test_email_goes_out_by_smtp_as_text_and_html(session: Any, clock: Any, inbox: Inbox) -> None:
    notify.enqueue_email(
        session, "it@mueller.example", "Stundenkontingent März", "80 % verbraucht",
        key="status-1", html="<p>80&nbsp;% verbraucht</p>",
    )  # fmt: skip
    session.commit()
    assert notify.deliver_due(session, clock.at) == 1
    [mail] = inbox.messages
    assert inbox.recipients == [["it@mueller.example"]]
    assert mail["Subject"] == "Stundenkontingent März"
    assert mail["From"] == "hotline@localhost"
    assert mail.get_body(("plain",)).get_content().strip() == "80 % verbraucht"
    assert "80&nbsp;%" in mail.get_body(("html",)).get_content()
    [message] = messages(session)
    assert message.status == "sent" and message.external_id == mail["Message-ID"]


def test_refused_email_is_retried(session: Any, clock: Any, inbox: Inbox) -> None:
    inbox.refuse()
    notify.enqueue_email(session, "it@mueller.example", "S", "t", key="a")
    session.commit()
    assert notify.deliver_due(session, clock.at) == 0
    assert "451" in (messages(session)[0].last_error or "")
    assert notify.deliver_due(session, clock.advance(minutes=1)) == 1
    assert len(inbox.messages) == 1


def test_a_refused_address_fails_at_once(session: Any, clock: Any, inbox: Inbox) -> None:
    notify.enqueue_email(session, "x@nobody.invalid", "S", "t", key="a")
    notify.enqueue_email(session, "it@mueller.example", "S", "t", key="b")
    session.commit()
    assert notify.deliver_due(session, clock.at) == 1
    refused, sent = messages(session)
    assert (refused.status, refused.tries, sent.status) == ("failed", 1, "sent")
    assert "550" in (refused.last_error or "")


def test_every_email_has_a_date_and_reads_strictly(session: Any, clock: Any, inbox: Inbox) -> None:
    """RFC 5322 requires Date; a newline in a subject (a customer name from a bad import) must
    neither stop the e-mail nor add a header or a recipient."""
    notify.enqueue_email(
        session, "it@mueller.example", "Stundenkontingent März", "80 % verbraucht",
        key="status", html="<p>80&nbsp;%</p>",
    )  # fmt: skip
    notify.enqueue_email(
        session, "it@mueller.example", "Notfall #7: Müller\r\nBcc: evil@example.org", "t",
        key="injected",
    )  # fmt: skip
    session.commit()
    assert notify.deliver_due(session, clock.at) == 2
    status, injected = (strict(raw) for raw in inbox.raw)
    for mail in (status, injected):
        assert mail["Date"] == "Tue, 01 Dec 2026 03:00:00 +0100"  # the injected clock, Berlin
        assert mail["Date"].datetime == clock.at
        assert set(mail.keys()) - {"Content-Transfer-Encoding"} == HEADERS
    assert status["Subject"] == "Stundenkontingent März"
    assert injected["Subject"] == "Notfall #7: Müller Bcc: evil@example.org"
    assert inbox.recipients == [["it@mueller.example"]] * 2


CALLER = "+4921198765432"  # written into message bodies as the SMS of the call flow do
CLEAR = (ENGINEER, CALLER)
ADDRESSES = ("it@mueller.example", "x@nobody.invalid", "evil@example.org")


def ours(caplog: pytest.LogCaptureFixture) -> str:
    """Every log line but the test SMTP server's own (aiosmtpd logs the whole dialogue)."""
    return "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail."))


def test_delivery_logs_name_no_number_or_address_in_clear(
    session: Any, clock: Any, recorder: RecordingHttpClient, inbox: Inbox,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """Logs are kept longer and read by more people than the outbox: recipients are masked,
    and so are numbers and addresses inside a provider's error text."""
    caplog.set_level(logging.DEBUG)
    recorder.fail(500)
    recorder.fail(400)
    notify.enqueue_sms(session, ENGINEER, f"Voicemail von {CALLER}", key="sms")
    notify.enqueue_email(session, "x@nobody.invalid", "S", f"Anrufer {CALLER}", key="refused")
    notify.enqueue_email(session, "it@mueller.example", "S", f"Anrufer {CALLER}", key="mail")
    session.commit()
    notify.deliver_due(session, clock.at)
    notify.deliver_due(session, clock.advance(minutes=1))
    assert [m.status for m in messages(session)] == ["failed", "failed", "sent"]
    logged = ours(caplog)
    assert "try 1 failed" in logged and "FAILED" in logged and "550" in logged
    assert phones.masked(ENGINEER) in logged and "x@***@nobody.invalid" not in logged
    assert "x***@nobody.invalid" in logged
    assert leaks(logged, CLEAR, ADDRESSES) == []


def test_dry_run_shows_the_text_but_no_number_or_address(
    app: Flask, session: Any, clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """The dry run is the demo mode: the log shows what the SMS or e-mail says, with every
    number, address and ticket link token in it masked (the outbox holds the full text)."""
    app.config["TWILIO_ACCOUNT_SID"] = None
    body = (
        f"Notfall-Voicemail #3 von Müller GmbH ({CALLER}), 01.12. 03:00. Rückruf auch unter "
        "0211 / 987 654 32 oder evil@example.org: https://hotline.example.de/tickets/3?k=SECRET"
    )
    notify.enqueue_sms(session, ENGINEER, body, key="sms")
    notify.enqueue_email(session, "it@mueller.example", f"Anruf {CALLER}", body, key="mail")
    session.commit()
    assert notify.deliver_due(session, clock.at) == 2
    logged = ours(caplog)
    assert logged.count("DRY RUN") == 2
    assert logged.count("Notfall-Voicemail #3 von Müller GmbH (") == 2
    assert "01.12. 03:00" in logged
    assert leaks(logged, CLEAR, (*ADDRESSES, "SECRET")) == []


# --- SMS never wait behind e-mail ----------------------------------------------------------


class Logging(RecordingHttpClient):
    """The recorder, writing each request into a log shared with the mail relay."""

    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log

    def request(self, method: str, uri: str, *args: Any, **kwargs: Any) -> Any:
        self.log.append("twilio")
        return super().request(method, uri, *args, **kwargs)


def queue_mails_then_an_sms(app: Flask, mails: int = 8) -> None:
    with app.app_context():
        session = db.session()
        for i in range(mails):
            notify.enqueue_email(session, f"it{i}@mueller.example", "Status", "t", key=f"m{i}")
        notify.enqueue_sms(session, ENGINEER, "Notfall #7", key="sms")
        session.commit()


def test_a_due_sms_goes_out_in_the_same_tick_while_the_mail_relay_hangs(
    app: Flask, clock: Any
) -> None:
    """A relay that accepts and never answers used to hold an emergency SMS 10 s per e-mail
    queued before it. One worker tick: every delivery job of the production table runs in its
    own thread, as APScheduler runs them; the SMS job is done, its SMS sent, while the e-mail
    job still waits for the relay's greeting."""
    app.config["TWILIO_HTTP_CLIENT"] = twilio = RecordingHttpClient()
    app.config["HOTLINE_SMS_FROM"] = "+493012345000"
    lanes = [
        name
        for name, job in scheduler.table(UTC).items()
        if job.target.startswith("hotline.notify")
    ]
    finished: queue.Queue[str] = queue.Queue()

    def tick(name: str) -> None:
        with app.app_context():
            scheduler.run(name)
        finished.put(name)

    threads = [threading.Thread(target=tick, args=(name,), daemon=True) for name in lanes]
    with silent_relay() as relay:
        app.config.update(HOTLINE_SMTP_HOST=relay.host, HOTLINE_SMTP_PORT=relay.port)
        queue_mails_then_an_sms(app)
        for thread in threads:
            thread.start()
        first = finished.get(timeout=20)  # a safety net only: a job is done at once, or never
        with app.app_context():
            statuses = {m.channel: m.status for m in messages(db.session())}
        assert statuses == {"sms": "sent", "email": "pending"}, first
        assert [r.data["Body"] for r in twilio.requests] == ["Notfall #7"]
        assert finished.empty()  # the e-mail job is still waiting for the relay
    for thread in threads:
        thread.join()
    with app.app_context():
        mails = [m for m in messages(db.session()) if m.channel == "email"]
    # the relay hung up when released: the e-mail job stopped at the first unreachable try
    assert [m.tries for m in mails] == [1] + [0] * 7
    assert all(m.status == "pending" for m in mails)


def test_send_pending_sends_sms_first_and_stops_at_an_unreachable_relay(
    session: Any, clock: Any, app: Flask
) -> None:
    order: list[str] = []
    app.config["TWILIO_HTTP_CLIENT"] = Logging(order)
    app.config["HOTLINE_SMS_FROM"] = "+493012345000"
    with silent_relay(close_at_once=True, log=order) as relay:
        app.config.update(HOTLINE_SMTP_HOST=relay.host, HOTLINE_SMTP_PORT=relay.port)
        queue_mails_then_an_sms(app, mails=3)
        assert notify.deliver_due(session, clock.at) == 1
    assert order == ["twilio", "smtp connect"]  # SMS first; one try of a relay that is down
    assert [(m.channel, m.tries) for m in messages(session)] == [
        ("email", 1), ("email", 0), ("email", 0), ("sms", 1),
    ]  # fmt: skip
    [tried] = [m for m in messages(session) if m.channel == "email" and m.tries]
    assert "SMTPServerDisconnected" in (tried.last_error or "")
    assert tried.next_try_at == clock.at + timedelta(minutes=1)


# --- two workers at once -------------------------------------------------------------------


@pytest.mark.parametrize("lanes", ["sms and e-mail", "lane jobs"])
def test_workers_delivering_at_once_send_every_message_exactly_once(
    app: Flask, clock: Any, recorder: RecordingHttpClient, inbox: Inbox, lanes: str
) -> None:
    """Three workers (threads, each with its own app context and session, so its own
    connection) deliver the same outbox at the same moment, as after a lease ran out while its
    holder was still sending: every message goes out once, none is lost."""
    sms = [f"SMS {i}" for i in range(30)]
    mails = [f"it{i}@mueller.example" for i in range(10)]
    with app.app_context():
        session = db.session()
        for body in sms:
            notify.enqueue_sms(session, ENGINEER, body, key=body)
        for to in mails:
            notify.enqueue_email(session, to, "Status", "t", key=to)
        session.commit()
    workers = 3
    barrier = threading.Barrier(workers)
    sent: list[int] = []
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context(), db.new_session() as session:
                barrier.wait()
                if lanes == "lane jobs":  # the two lane functions, SMS in one go, then e-mail
                    sent.append(
                        notify.deliver_sms(session, clock.at)
                        + notify.deliver_email(session, clock.at)
                    )
                else:
                    sent.append(notify.deliver_due(session, clock.at))
        except BaseException as exc:  # noqa: BLE001 - reported by the test, not lost in a thread
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sum(sent) == len(sms) + len(mails)
    assert sorted(request["Body"] for request in recorder.sms) == sorted(sms)
    assert sorted(to for [to] in inbox.recipients) == sorted(mails)
    with app.app_context():
        outbox = messages(db.session())
    assert {(m.status, m.tries) for m in outbox} == {("sent", 1)}

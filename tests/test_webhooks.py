"""The ticket system's webhooks (docs/webhooks.md): every event of a ticket's life is queued in
its own transaction, sent by the worker, signed, retried, logged, and Zammad gets tickets and
articles; checked against a local HTTP server playing the ticket system (tests/receiver.py),
which reads the signature with HMAC code of its own, and every generic body against the
documented JSON Schema."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from jsonschema import Draft202012Validator
from office import client_as, token
from receiver import HANG, Receiver
from sqlalchemy import select

from hotline import accounts, db, demo, retention
from hotline.directory import import_directory
from hotline.directory.read import DirectoryError
from hotline.models import Delivery, DeliveryAttempt, Message, Ticket, User
from hotline.outbound import deliver

ROOT = Path(__file__).parent.parent
SCHEMA = json.loads((ROOT / "docs" / "webhook-event.schema.json").read_text())
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
WEEK = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SECRET, TOKEN = "test-signing-secret-4567", "test-zammad-token-0123"
CALLER = "+49301234567"  # Müller & Söhne's reception in the demo
QUOTES_THE_CALLER = (400, {}, {"error": f"caller {CALLER} is no customer of ours"})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    played = Receiver(SECRET).start()
    yield played
    played.stop()


def generic(url: str, **more: Any) -> dict[str, Any]:
    return {"key": "crm", "url": f"{url}/hooks/crm", "secret": "HOTLINE_WEBHOOK_CRM_SECRET"} | more


def zammad(url: str, **more: Any) -> dict[str, Any]:
    settings = {"token": "HOTLINE_WEBHOOK_ZAMMAD_TOKEN", "group": "Hotline",
                "default_customer": "hotline@solutionbar.example"}  # fmt: skip
    return {"key": "zammad", "url": url, "format": "zammad",
            "secret": "HOTLINE_WEBHOOK_ZAMMAD_SECRET", "zammad": settings} | more  # fmt: skip


def configure(app: Flask, *webhooks: dict[str, Any]) -> None:
    """The demo directory with these webhooks, imported as a provider's file is; the secrets
    as instance/settings.py would give them."""
    app.config.update(HOTLINE_WEBHOOK_CRM_SECRET=SECRET, HOTLINE_WEBHOOK_ZAMMAD_SECRET=SECRET,
                      HOTLINE_WEBHOOK_ZAMMAD_TOKEN=TOKEN)  # fmt: skip
    directory = demo.directory(WEEK)
    directory["provider"]["webhooks"] = list(webhooks)
    with app.app_context():
        session = db.session()
        import_directory(session, directory, accept_warnings=True)
        accounts.seed_demo(session, WEEK)
        session.commit()


def call(app: Flask, *args: str) -> str:
    """A call through the real voice webhooks; nothing is delivered while it runs (a Twilio
    account is configured, so the simulator leaves delivery to the worker)."""
    result = app.test_cli_runner().invoke(args=["simulate-call", "--live", *args])
    assert result.exit_code == 0, result.output
    return result.output


def only(app: Flask, model: Any) -> int:
    """The id of the one row of `model` (PostgreSQL's ids go on across tests)."""
    with app.app_context():
        return db.session().scalars(select(model.id)).one()


def send(app: Flask, at: datetime) -> int:
    with app.app_context():
        return deliver.deliver(db.session(), at)


def log(app: Flask) -> list[tuple[str, str, str, int, list[int | None]]]:
    """(event, target, status, tries, the status of each try) of every delivery, in order."""
    with app.app_context():
        return [
            (d.event, d.target, d.status, d.tries, [a.status_code for a in d.attempts])
            for d in db.session().scalars(select(Delivery).order_by(Delivery.id))
        ]


def bodies(receiver: Receiver, path: str = "/hooks/crm") -> list[dict[str, Any]]:
    return [r.json() for r in receiver.requests if r.path == path]


# --- an emergency's life, both formats --------------------------------------------------------


def test_an_emergency_reaches_both_formats_signed_valid_and_in_order(
    app: Flask, receiver: Receiver, clock: Any
) -> None:
    configure(app, generic(receiver.url), zammad(receiver.url))
    call(app, "--from", "030 1234567")  # Jonas accepts
    assert receiver.requests == []  # queued in the call, sent by the worker only
    at = clock.advance(minutes=30)
    ticket = only(app, Ticket)
    resolved = app.test_cli_runner().invoke(args=["resolve", str(ticket), "--work-minutes", "20"])
    assert resolved.exit_code == 0, resolved.output
    assert send(app, at) == 6

    events = ["emergency.opened", "emergency.accepted", "emergency.resolved"]
    crm = bodies(receiver)
    assert [b["event"] for b in crm] == events
    for body in crm:
        VALIDATOR.validate(body)
    assert crm[0]["ticket"]["caller"] == CALLER
    assert crm[0]["ticket"]["customer"]["number"] == "10042"
    assert crm[1]["ticket"]["accepted_by"] == {"key": "jonas", "name": "Jonas Weber"}
    assert crm[2]["ticket"]["work_minutes"] == 20 and crm[2]["ticket"]["resolved_at"]
    assert crm[0]["ticket"]["url"] == f"https://hotline.example.de/tickets/{ticket}"  # no token
    assert len({b["id"] for b in crm}) == 3
    for seen in receiver.requests:  # both targets sign; the receiver checks with its own code
        assert seen.signed is True and 0 <= seen.age < 60, seen
        assert seen.headers["Content-Type"] == "application/json"
    assert {r.headers["X-Hotline-Event"] for r in receiver.requests} == set(events)

    zammad_requests = [r for r in receiver.requests if r.path.startswith("/api/")]
    assert [f"{r.method} {r.path}" for r in zammad_requests] == [
        "POST /api/v1/tickets", "POST /api/v1/ticket_articles", "PUT /api/v1/tickets/1",
    ]  # fmt: skip
    assert all(r.headers["Authorization"] == f"Token token={TOKEN}" for r in zammad_requests)
    created, article, closed = (r.json() for r in zammad_requests)
    assert created["title"] == "Notfall: Müller & Söhne Maschinenbau GmbH (10042)"
    assert created["group"] == "Hotline" and created["state"] == "new"
    assert created["customer_id"] == "guess:it@mueller-soehne.example"  # the customer's e-mail
    assert created["priority"] == "3 high"
    assert created["article"]["type"] == "note" and created["article"]["internal"] is True
    assert CALLER in created["article"]["body"]
    assert article["ticket_id"] == 1 and article["subject"] == "Notfall angenommen von Jonas Weber"
    assert closed["state"] == "closed" and closed["article"]["subject"] == "Notfall gelöst"
    assert receiver.states == {1: "closed"} and len(receiver.tickets[1]) == 3

    assert [(e, t, s, n) for e, t, s, n, _ in log(app)] == [
        (event, target, "delivered", 1) for event in events for target in ("crm", "zammad")
    ]  # fmt: skip
    with app.app_context():
        ids = db.session().scalars(select(Delivery.external_id).order_by(Delivery.id)).all()
    assert ids == [None, "1", None, None, None, None]  # the Zammad ticket, kept once


# --- retries, timeouts, the log ---------------------------------------------------------------


def test_a_500_is_retried_after_a_backoff_and_every_try_is_logged(
    app: Flask, receiver: Receiver, clock: Any
) -> None:
    configure(app, generic(receiver.url, events=["emergency.opened"]))
    call(app, "--from", "030 1234567")
    receiver.answers.extend([500, 201])
    at = clock.advance(minutes=30)
    assert send(app, at) == 0
    assert log(app) == [("emergency.opened", "crm", "pending", 1, [500])]
    with app.app_context():
        delivery = db.session().scalars(select(Delivery)).one()
        assert delivery.next_try_at == at + timedelta(minutes=1)
        assert delivery.last_status == 500 and "scripted 500" in delivery.last_error
    assert send(app, at + timedelta(seconds=59)) == 0  # not before its time
    assert send(app, at + timedelta(minutes=1)) == 1
    assert log(app) == [("emergency.opened", "crm", "delivered", 2, [500, 201])]
    first, second = bodies(receiver)
    assert first == second  # the same body, byte for byte, on every try
    assert receiver.requests[0].body == receiver.requests[1].body


def test_a_target_that_hangs_times_out_and_is_tried_again(
    app: Flask, receiver: Receiver, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deliver, "TIMEOUT", (0.5, 0.3))  # seconds, so the test stays short
    configure(app, generic(receiver.url, events=["emergency.opened", "emergency.accepted"]))
    call(app, "--from", "030 1234567")
    receiver.answers.append(HANG)
    at = clock.advance(minutes=30)
    assert send(app, at) == 0
    # the first times out; the second (the same target) is left for the next run
    assert log(app) == [
        ("emergency.opened", "crm", "pending", 1, [None]),
        ("emergency.accepted", "crm", "pending", 0, []),
    ]
    with app.app_context():
        attempt = db.session().scalars(select(DeliveryAttempt)).one()
        assert "Timeout" in attempt.error and attempt.milliseconds >= 300
    receiver.released.set()
    assert send(app, at + timedelta(minutes=1)) == 2
    assert [e[2] for e in log(app)] == ["delivered", "delivered"]


def test_no_connection_is_tried_again_and_other_targets_go_on(
    app: Flask, receiver: Receiver, clock: Any
) -> None:
    dead = Receiver().start()
    dead.stop()  # a port nobody listens on any more
    configure(app, generic(dead.url, events=["emergency.opened"]),
              zammad(receiver.url, events=["emergency.opened"]))  # fmt: skip
    call(app, "--from", "030 1234567")
    assert send(app, clock.advance(minutes=30)) == 1
    assert log(app) == [
        ("emergency.opened", "crm", "pending", 1, [None]),
        ("emergency.opened", "zammad", "delivered", 1, [201]),
    ]
    with app.app_context():
        assert "ConnectionError" in db.session().scalars(select(DeliveryAttempt.error)).first()


@pytest.mark.parametrize(
    ("answer", "status", "wait"),
    [
        (400, "failed", None),  # the request is wrong: trying again cannot help
        (401, "failed", None),  # a wrong token: fixed by hand, then `--retry`
        (404, "failed", None),
        (408, "pending", timedelta(minutes=1)),  # the target's own timeout: again
        ((429, {"Retry-After": "120"}), "pending", timedelta(minutes=2)),  # as it asks
        (503, "pending", timedelta(minutes=1)),
    ],
)
def test_4xx_fails_at_once_but_408_429_and_5xx_are_tried_again(
    app: Flask, receiver: Receiver, clock: Any, answer: Any, status: str, wait: timedelta | None
) -> None:
    configure(app, generic(receiver.url, events=["emergency.opened"]))
    call(app, "--from", "030 1234567")
    receiver.answers.append(answer)
    at = clock.advance(minutes=30)
    send(app, at)
    with app.app_context():
        delivery = db.session().scalars(select(Delivery)).one()
        assert delivery.status == status
        if wait is not None:
            assert delivery.next_try_at == at + wait


def test_a_delivery_that_keeps_failing_fails_after_the_last_try(
    app: Flask, receiver: Receiver, clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    configure(app, generic(receiver.url, events=["emergency.opened"]))
    call(app, "--from", "030 1234567")
    receiver.answers.extend([500] * deliver.MAX_TRIES)
    at = clock.advance(minutes=30)
    waits = []
    for _ in range(deliver.MAX_TRIES):
        send(app, at)
        with app.app_context():
            delivery = db.session().scalars(select(Delivery)).one()
            waits.append(delivery.next_try_at - at)
            at = delivery.next_try_at
    assert delivery.status == "failed" and delivery.tries == deliver.MAX_TRIES
    minutes = [int(w.total_seconds() // 60) for w in waits[:-1]]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60]  # at most an hour between tries
    assert "FAILED after 12 tries" in caplog.text


def test_a_failed_delivery_is_sent_again_by_hand(
    app: Flask, receiver: Receiver, clock: Any
) -> None:
    configure(app, generic(receiver.url, events=["emergency.opened"]))
    call(app, "--from", "030 1234567")
    receiver.answers.append(401)
    clock.advance(minutes=30)
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["webhooks", "--send"])
    assert "0 delivered" in listed.output
    shown = runner.invoke(args=["webhooks"])
    assert "target crm: generic" in shown.output and "FAILED" in shown.output
    assert "HTTP 401" in shown.output and "scripted 401" in shown.output
    delivery = only(app, Delivery)
    again = runner.invoke(args=["webhooks", "--retry", str(delivery)])
    assert again.exit_code == 0, again.output
    assert f"delivery {delivery} (emergency.opened to crm) is due again" in again.output
    assert "1 delivered" in again.output
    one = runner.invoke(args=["webhooks", str(delivery)])
    assert re.search(r"try .* HTTP 401 in \d+ ms: HTTP 401", one.output), one.output
    assert re.search(r"try .* HTTP 202 in \d+ ms", one.output), one.output
    as_json = json.loads(runner.invoke(args=["webhooks", "--json"]).output)
    assert [a["status"] for a in as_json[0]["attempts"]] == [401, 202]


# --- two workers, order per ticket ---------------------------------------------------------


def test_two_workers_never_send_one_delivery_twice(
    app: Flask, receiver: Receiver, clock: Any
) -> None:
    """The first worker's request hangs; a second worker running meanwhile finds the delivery
    leased and sends nothing; the lease ends with the first worker's answer."""
    configure(app, generic(receiver.url, events=["emergency.opened"]))
    call(app, "--from", "030 1234567")
    receiver.answers.append(HANG)
    at = clock.advance(minutes=30)
    sent: list[int] = []

    def first() -> None:
        sent.append(send(app, at))

    worker = threading.Thread(target=first)
    worker.start()
    while not receiver.requests:  # the first worker's request has arrived and hangs
        worker.join(0.01)
    assert send(app, at) == 0
    receiver.released.set()
    worker.join()
    assert sent == [1] and len(receiver.requests) == 1
    assert log(app) == [("emergency.opened", "crm", "delivered", 1, [201])]


def test_a_ticket_s_article_waits_for_the_zammad_ticket_it_belongs_to(
    app: Flask, receiver: Receiver, clock: Any
) -> None:
    configure(app, zammad(receiver.url))
    call(app, "--from", "030 1234567")
    receiver.answers.append(502)  # the create fails first
    at = clock.advance(minutes=30)
    assert send(app, at) == 0
    assert receiver.paths() == ["POST /api/v1/tickets"]  # the article did not go without it
    assert send(app, at + timedelta(minutes=1)) == 2
    assert receiver.paths()[1:] == ["POST /api/v1/tickets", "POST /api/v1/ticket_articles"]
    assert receiver.requests[-1].json()["ticket_id"] == 1


# --- the call never waits, never fails -----------------------------------------------------


def test_a_voice_request_sends_nothing_and_a_fault_in_queuing_never_fails_the_call(
    app: Flask, receiver: Receiver, clock: Any, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    configure(app, generic(receiver.url))
    receiver.answers.append(HANG)  # were a request sent in the call, the call would hang
    from hotline.outbound import events

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("the body cannot be made")

    monkeypatch.setattr(events, "body", broken)
    out = call(app, "--from", "030 1234567")
    assert "caller and jonas are connected" in out  # the call went on as ever
    assert receiver.requests == []
    ticket_id = only(app, Ticket)
    assert f"emergency.opened of ticket {ticket_id} NOT queued for the webhooks" in caplog.text
    with app.app_context():
        session = db.session()
        assert session.scalars(select(Delivery)).all() == []
        ticket = session.get(Ticket, ticket_id)
        assert ticket.state == "connected" and ticket.accepted_by.key == "jonas"


# --- messages and urgent requests -----------------------------------------------------------


def test_a_message_becomes_a_zammad_ticket_instead_of_an_e_mail(
    app: Flask, receiver: Receiver, clock: Any
) -> None:
    configure(app, zammad(receiver.url))
    call(app, "--from", "030 2345678", "--press", "2", "--message", "15")
    assert send(app, clock.advance(minutes=30)) == 1
    created = receiver.requests[0].json()
    assert created["title"] == "Telefonnachricht von Bäckerei Körner KG (10043) (kein Notfall)"
    assert created["priority"] == "2 normal"
    body = created["article"]["body"]
    assert "+49302345678" in body and "Nachricht (15 s): https://" in body
    with app.app_context():  # the support mailbox gets no e-mail: the ticket system has it
        subjects = db.session().scalars(select(Message.subject)).all()
    assert not any(s and "Telefonnachricht" in s for s in subjects), subjects


def test_a_message_no_ticket_system_took_still_reaches_the_support_mailbox(
    app: Flask, receiver: Receiver, clock: Any
) -> None:
    configure(app, zammad(receiver.url))
    call(app, "--from", "030 2345678", "--press", "2", "--message", "15")
    receiver.answers.append(422)  # Zammad refuses it for good
    send(app, clock.advance(minutes=30))
    with app.app_context():
        mails = db.session().scalars(select(Message).where(Message.channel == "email")).all()
    assert [m.to for m in mails] == ["support@solutionbar.example"]
    assert "Telefonnachricht" in (mails[0].subject or "")


def test_without_a_ticket_system_the_message_is_an_e_mail_as_before(app: Flask, clock: Any) -> None:
    configure(app)
    call(app, "--from", "030 2345678", "--press", "2", "--message", "15")
    with app.app_context():
        session = db.session()
        assert session.scalars(select(Delivery)).all() == []
        mails = session.scalars(select(Message).where(Message.channel == "email")).all()
    assert [m.to for m in mails] == ["support@solutionbar.example"]


def test_an_urgent_request_and_its_message_reach_the_ticket_system(
    app: Flask, receiver: Receiver, clock: Any
) -> None:
    configure(app, generic(receiver.url), zammad(receiver.url))
    call(app, "--from", "030 1234567", "--press", "3", "--message", "20",
         "--at", "2026-12-04T22:30")  # fmt: skip
    send(app, datetime(2026, 12, 5, 0, 0, tzinfo=UTC))
    crm = bodies(receiver)
    assert [b["event"] for b in crm] == ["urgent.opened", "urgent.message"]
    for body in crm:
        VALIDATOR.validate(body)
    assert crm[0]["ticket"]["kind"] == "urgent"
    assert crm[0]["ticket"]["comes_back_at"] == "2026-12-07T07:00:00Z"  # Monday 08:00 Berlin
    assert crm[1]["ticket"]["recording"]["seconds"] == 20
    created = next(r.json() for r in receiver.requests if r.path == "/api/v1/tickets")
    assert (
        created["title"].startswith("Dringend (kein Notfall)")
        and "07.12.2026 08:00" in (created["article"]["body"])
    )


def test_a_voicemail_is_an_event_and_the_schema_holds_for_a_withheld_caller(
    app: Flask, receiver: Receiver, clock: Any
) -> None:
    configure(app, generic(receiver.url))
    call(app, "--from", "anonymous", "--press", "10042", "--press", "1", "--others",
         "no-answer", "--message", "30")  # fmt: skip
    send(app, clock.advance(hours=1))
    crm = bodies(receiver)
    assert [b["event"] for b in crm] == ["emergency.opened", "emergency.voicemail"]
    for body in crm:
        VALIDATOR.validate(body)
    assert crm[1]["ticket"]["caller"] is None and crm[1]["ticket"]["recording"]["seconds"] == 30


# --- the directory --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        ({"key": "crm", "url": "https://crm.example"}, "a generic webhook needs a secret"),
        ({"key": "crm", "url": "https://crm.example", "secret": "s3cr3t-value"},
         "never the secret itself"),
        ({"key": "crm", "url": "https://crm.example", "secret": "TWILIO_AUTH_TOKEN"},
         "HOTLINE_WEBHOOK_"),
        ({"key": "crm", "url": "https://crm.example", "secret": "HOTLINE_WEBHOOK_X",
          "events": ["emergency.exploded"]}, "is not one of"),
        ({"key": "z", "url": "https://zammad.example", "format": "zammad"},
         "needs its zammad settings"),
        ({"key": "z", "url": "https://zammad.example", "format": "zammad",
          "zammad": {"token": "HOTLINE_WEBHOOK_T", "group": "G", "customers": {"99999": "a@b.de"}}},
         "unknown customer number"),
        ({"key": "crm", "url": "ftp://crm.example", "secret": "HOTLINE_WEBHOOK_X"},
         "not a web address"),
    ],
)  # fmt: skip
def test_the_directory_refuses_a_webhook_it_cannot_send(
    app: Flask, entry: dict[str, Any], error: str
) -> None:
    directory = demo.directory(WEEK)
    directory["provider"]["webhooks"] = [entry]
    with app.app_context(), pytest.raises(DirectoryError) as refused:
        import_directory(db.session(), directory, accept_warnings=True)
    assert error in str(refused.value), str(refused.value)


def test_export_writes_the_webhooks_back_and_import_changes_nothing(app: Flask) -> None:
    configure(app, generic("https://crm.example", events=["message.received"]),
              zammad("https://zammad.example", zammad={
                  "token": "HOTLINE_WEBHOOK_ZAMMAD_TOKEN", "group": "Support",
                  "customers": {"10042": "it@mueller.example"}, "close": False}))  # fmt: skip
    runner = app.test_cli_runner()
    exported = runner.invoke(args=["export"]).output
    assert "HOTLINE_WEBHOOK_CRM_SECRET" in exported and SECRET not in exported
    path = Path(app.config["INSTANCE_PATH"]) / "exported.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(exported)
    again = runner.invoke(args=["import", str(path), "--accept-warnings"])
    assert "provider:" not in again.output, again.output  # unchanged


# --- personal data ---------------------------------------------------------------------------


def test_after_the_retention_no_delivery_holds_the_caller(
    app: Flask, receiver: Receiver, clock: Any
) -> None:
    configure(app, generic(receiver.url))
    call(app, "--from", "030 1234567")
    receiver.answers.append(QUOTES_THE_CALLER)  # one fails, and its error names the caller
    send(app, clock.advance(minutes=30))
    clock.advance(days=app.config["HOTLINE_RETENTION_DAYS"] + 1)
    with app.app_context():
        session = db.session()
        retention.purge_personal_data(session, clock.at)
        rows = session.scalars(select(Delivery)).all()
        assert rows and all(d.body == "" and d.last_error is None for d in rows)
        assert all(a.error is None for a in session.scalars(select(DeliveryAttempt)))
        assert {d.status for d in rows} == {"delivered", "failed"}  # the envelope stays


# --- the admin's page -------------------------------------------------------------------------


def test_the_admin_sees_the_delivery_log_and_sends_a_failed_one_again(
    app: Flask, receiver: Receiver, clock: Any
) -> None:
    configure(app, generic(receiver.url, events=["emergency.opened"]))
    call(app, "--from", "030 1234567")
    receiver.answers.append(500)
    at = clock.advance(minutes=30)
    send(app, at)
    admin = client_as(app, "admin")
    page = admin.get("/webhooks").get_data(as_text=True)
    assert "HOTLINE_WEBHOOK_CRM_SECRET gesetzt" in page
    assert "emergency.opened" in page and "HTTP 500" in page and "wartet" in page
    assert CALLER not in page and "1234567" not in page  # no caller data for the admin
    path = f"/webhooks/{only(app, Delivery)}"
    detail = admin.get(path).get_data(as_text=True)
    assert "HTTP 500" in detail and "Erneut senden" in detail
    done = admin.post(f"{path}/retry", data={"csrf_token": token(detail)})
    assert done.status_code == 302
    assert send(app, at) == 1  # due at once, not after its backoff
    assert "zugestellt" in admin.get(path).get_data(as_text=True)
    assert client_as(app, "dispatcher").get("/webhooks").status_code == 403


def test_the_page_speaks_english_per_account(app: Flask) -> None:
    configure(app)
    with app.app_context():
        session = db.session()
        session.scalars(
            select(User).where(User.email == "admin@demo.example")
        ).one().language = "en"
        session.commit()
    page = client_as(app, "admin").get("/webhooks").get_data(as_text=True)
    assert "No target: the directory names no webhooks" in page


# --- the documentation's own check -----------------------------------------------------------


def test_the_verification_snippet_of_the_docs_accepts_a_real_delivery_and_nothing_else(
    app: Flask, receiver: Receiver, clock: Any
) -> None:
    docs = (ROOT / "docs" / "webhooks.md").read_text()
    snippet = docs.split("```python\n", 1)[1].split("```", 1)[0]
    scope: dict[str, Any] = {}
    exec(compile(snippet, "docs/webhooks.md", "exec"), scope)  # noqa: S102 - our own docs
    configure(app, generic(receiver.url, events=["emergency.opened"]))
    call(app, "--from", "030 1234567")
    send(app, clock.advance(minutes=30))
    seen = receiver.requests[0]
    header = seen.headers["X-Hotline-Signature"]
    assert scope["verify"](SECRET, header, seen.body) is True
    assert scope["verify"]("another secret", header, seen.body) is False
    assert scope["verify"](SECRET, header, seen.body + b" ") is False
    stale = re.sub(r"t=(\d+)", lambda m: f"t={int(m.group(1)) - 3600}", header)
    assert scope["verify"](SECRET, stale, seen.body) is False


def test_an_error_quoting_the_caller_is_masked_in_the_log_and_on_the_page(
    app: Flask, receiver: Receiver, clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    configure(app, generic(receiver.url, events=["emergency.opened"]))
    call(app, "--from", "030 1234567")
    receiver.answers.append(QUOTES_THE_CALLER)
    with caplog.at_level(logging.INFO):
        send(app, clock.advance(minutes=30))
    assert "FAILED" in caplog.text and "1234567" not in caplog.text
    with app.app_context():
        assert "1234567" not in db.session().scalars(select(Delivery.last_error)).one()
    page = client_as(app, "admin").get("/webhooks").get_data(as_text=True)
    assert "is no customer of ours" in page and "1234567" not in page


def test_check_names_a_webhook_whose_secret_is_not_set(app: Flask, receiver: Receiver) -> None:
    configure(app, generic(receiver.url), zammad(receiver.url))
    del app.config["HOTLINE_WEBHOOK_CRM_SECRET"]
    out = app.test_cli_runner().invoke(args=["check"]).output
    assert "WARN  webhook crm: HOTLINE_WEBHOOK_CRM_SECRET not set, its deliveries wait" in out
    assert f"OK    webhook zammad: zammad to {receiver.url}" in out

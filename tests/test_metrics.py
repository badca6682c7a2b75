"""`GET /metrics`: Prometheus's text format, read back with the client's own parser; the figures
come from the database (so every web process reports the same) and the scrape is protected."""

from __future__ import annotations

from typing import Any

import pytest
from builders import MUELLER_PHONE, extension, small_provider
from conftest import TwilioClient
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from hotline import db
from hotline.models import Attempt, Event, Ticket


def scrape(app: Flask, **kwargs: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = app.test_client().get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def simulate(app: Flask, *args: str, from_: str = MUELLER_PHONE) -> None:
    result = app.test_cli_runner().invoke(args=["simulate-call", "--live", "--from", from_, *args])
    assert result.exit_code == 0, result.output


def test_metrics_count_the_calls_a_simulated_call_made(app: Flask, twilio: TwilioClient) -> None:
    with app.app_context():
        small_provider(db.session())
    before = scrape(app)
    simulate(app)  # Jonas accepts
    simulate(app, "--others", "no-answer", from_=extension(1))  # nobody: voicemail
    assert twilio.post("/voice/incoming", {"CallSid": "CAx"}, signed=False).status_code == 403
    with app.app_context():  # a call that fell to the fallback path, as the spool replays it
        session = db.session()
        ticket = session.query(Ticket).order_by(Ticket.id).first()
        session.add(Event(ticket=ticket, at=ticket.arrived_at, kind="fell to the fallback"))
        session.commit()
    after = scrape(app)
    assert after[("hotline_calls_total", (("outcome", "connected"),))] == 1
    assert after[("hotline_calls_total", (("outcome", "callback_pending"),))] == 1
    assert after[("hotline_calls_total", (("outcome", "abandoned"),))] == 0
    assert after[("hotline_calls_in_progress", ())] == 0
    assert after[("hotline_voicemails_total", ())] == 1
    assert after[("hotline_time_to_accept_seconds_count", ())] == 1
    accept = after[("hotline_time_to_accept_seconds_sum", ())]
    assert 0 < accept <= 60
    assert after[("hotline_time_to_accept_seconds_bucket", (("le", "+Inf"),))] == 1
    # Müller's chain: jonas, mia, lena, anna, fallback; the voicemail call rang all four
    # engineers and the fallback number, the connected one rang jonas only.
    assert after[("hotline_ring_attempts_per_call_count", ())] == 2
    assert after[("hotline_ring_attempts_per_call_bucket", (("le", "1.0"),))] == 1
    assert after[("hotline_fallback_calls_total", (("path", "chain"),))] == 1
    assert after[("hotline_fallback_calls_total", (("path", "failure"),))] == 1
    assert after[("hotline_signature_failures_total", ())] == 1
    pending = after[("hotline_messages", (("channel", "sms"), ("status", "pending")))]
    assert pending > 0  # the simulator queued the SMS; nobody sent them in this test
    assert after[("hotline_messages", (("channel", "sms"), ("status", "failed")))] == 0
    incoming = ("hotline_webhook_seconds_count", (("endpoint", "voice.incoming"),))
    assert after[incoming] - before.get(incoming, 0) == 3  # two calls, one refused


def test_attempts_per_call_counts_a_call_with_none(app: Flask, clock: Any) -> None:
    """A confirmed call that went straight to voicemail rang nobody: the 0 bucket."""
    with app.app_context():
        session = db.session()
        small_provider(session)
        session.add(Ticket(call_sid="CA0", arrived_at=clock(), confirmed_at=clock(),
                           state="callback_pending"))  # fmt: skip
        ringing = Ticket(call_sid="CA1", arrived_at=clock(), confirmed_at=clock(), state="ringing")
        ringing.attempts.append(Attempt(seq=1, entry=0, level="own-primary", number="+4917",
                                        started_at=clock()))  # fmt: skip
        session.add(ringing)
        session.commit()
    found = scrape(app)
    assert found[("hotline_ring_attempts_per_call_bucket", (("le", "0.0"),))] == 1
    assert found[("hotline_ring_attempts_per_call_bucket", (("le", "1.0"),))] == 2
    assert found[("hotline_calls_in_progress", ())] == 1


@pytest.mark.parametrize(
    ("environ", "headers", "status"),
    [
        ({}, {}, 200),  # the test client is 127.0.0.1
        ({"REMOTE_ADDR": "10.0.0.5"}, {}, 403),
        ({}, {"X-Forwarded-For": "203.0.113.9"}, 403),  # a proxy on this host forwards
    ],
)
def test_without_a_token_only_this_machine_may_scrape(
    app: Flask, environ: dict[str, str], headers: dict[str, str], status: int
) -> None:
    response = app.test_client().get("/metrics", environ_base=environ, headers=headers)
    assert response.status_code == status


def test_with_a_token_the_scrape_needs_it(app: Flask) -> None:
    app.config["HOTLINE_METRICS_TOKEN"] = "s3cret-token"
    client = app.test_client()
    assert client.get("/metrics").status_code == 403  # loopback is not enough any more
    wrong = {"Authorization": "Bearer nope"}
    assert client.get("/metrics", headers=wrong).status_code == 403
    right = {"Authorization": "Bearer s3cret-token", "X-Forwarded-For": "203.0.113.9"}
    assert (
        client.get("/metrics", headers=right, environ_base={"REMOTE_ADDR": "10.0.0.5"}).status_code
        == 200
    )

"""The log: one key=value line per webhook and per job, every line of a call ending with its
CallSid and ticket, and no caller number in clear at INFO."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest
from builders import MUELLER_PHONE, small_provider
from flask import Flask
from personal_data import leaks
from sqlalchemy import select

from hotline import db, logs, scheduler
from hotline.models import Ticket

FORMAT = logs.Formatter(logs.FORMAT)


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [FORMAT.format(r) for r in caplog.records if r.levelno >= logging.INFO]


def test_every_line_of_a_call_names_its_call_and_ticket_and_no_caller_number(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    with app.app_context():
        small_provider(db.session())
    caplog.set_level(logging.INFO)
    result = app.test_cli_runner().invoke(
        args=[
            "simulate-call",
            "--live",
            "--webhook-log",
            "--from",
            MUELLER_PHONE,
            "--others",
            "no-answer",
        ]  # fmt: skip
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        ticket = db.session().scalars(select(Ticket)).one()
    written = lines(caplog)
    webhooks = [line for line in written if " hotline.webhooks: webhook " in line]
    assert len(webhooks) >= 8  # incoming, confirm, five dials and their results, voicemail...
    pattern = re.compile(
        r"webhook endpoint=voice\.\w+ status=20[04] ms=[\d.]+ outcome=answered "
        rf"call_sid={ticket.call_sid} ticket={ticket.id}$"
    )
    assert [w for w in webhooks if not pattern.search(w)] == []
    of_the_call = [line for line in written if f"call_sid={ticket.call_sid}" in line]
    assert len(of_the_call) >= len(webhooks)
    assert all(line.endswith(f"ticket={ticket.id}") for line in of_the_call)
    assert [line for line in written if leaks(line, numbers=(MUELLER_PHONE,))] == []


def test_a_refused_webhook_is_one_line_too(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    response = app.test_client().post("/voice/incoming", data={"CallSid": "CAbad"})
    assert response.status_code == 403
    [line] = [line for line in lines(caplog) if "webhook endpoint" in line]
    assert "status=403" in line and "outcome=refused" in line and "call_sid=CAbad" in line


def test_every_job_run_is_one_line(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    app.config["SCHEDULER_JOBS"] = {
        "beat": scheduler.Job("hotline.heartbeat:worker", None, timedelta(seconds=30)),  # type: ignore[arg-type]
        "gone": scheduler.Job("hotline.nothing:here", None, timedelta(seconds=30)),  # type: ignore[arg-type]
    }
    caplog.set_level(logging.INFO)
    with app.app_context():
        assert scheduler.run("beat") and scheduler.run("gone")
    jobs = [line for line in lines(caplog) if ": job name=" in line]
    assert len(jobs) == 2
    assert re.search(r"job name=beat ms=[\d.]+ result=ok$", jobs[0])
    assert re.search(r"job name=gone ms=[\d.]+ result=missing$", jobs[1])


def test_pairs_quote_what_would_split_a_line() -> None:
    assert logs.pairs(a=1, b="x y", c=None, d='q"') == 'a=1 b="x y" c=- d="q\\""'

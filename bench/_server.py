"""The benchmark's server side: the real app, the baseline route, and timers inside the webhook.

Served by waitress (`_server:app`) for bench/bench_incoming.py, so the webhook and the baseline
share one server, one worker and one keep-alive connection. The app's settings come from the
environment as usual (DATABASE_URL, TWILIO_AUTH_TOKEN, HOTLINE_PUBLIC_URL, SECRET_KEY);
BENCH_INSTANCE names a throw-away instance folder. Only `/bench/...` routes are added here.
"""

from __future__ import annotations

import functools
import os
import time
from collections import defaultdict
from typing import Any

from flask import Flask, Response, jsonify, request
from sqlalchemy import event
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from hotline import callers, calls, create_app, db
from hotline.voice import guard

# What the breakdown times: (module, function) as the webhook calls them, and the label.
TIMED = (
    (guard, "signed", "signature check"),
    (callers, "identify", "callers.identify"),
    (calls, "open_ticket", "calls.open_ticket"),
)

spans: dict[str, list[float]] = defaultdict(list)
statements: list[int] = []  # SQL statements of each counted request
COUNTED = ("/voice/incoming", "/healthz", "/metrics")


def timed(owner: Any, name: str, label: str) -> None:
    """Replace `owner.name` with a wrapper that records its duration under `label`."""
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spans[label].append(time.perf_counter() - started)

    setattr(owner, name, wrapper)


def instrument(app: Flask) -> None:
    """Timers around the webhook's steps and its commit; a count of its SQL statements."""
    for owner, name, label in TIMED:
        timed(owner, name, label)
    commit_started: list[float] = []

    @event.listens_for(Session, "before_commit")
    def _before_commit(session: Session) -> None:
        if not session.in_nested_transaction():  # a savepoint's release is not the commit
            commit_started.append(time.perf_counter())

    @event.listens_for(Session, "after_commit")
    def _after_commit(session: Session) -> None:
        if not session.in_nested_transaction():
            spans["flush + commit"].append(time.perf_counter() - commit_started.pop())

    with app.app_context():
        engine = db.engine()

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args: Any) -> None:
        if statements:
            statements[-1] += 1

    @app.before_request
    def _new_request() -> None:
        if request.path in COUNTED:
            statements.append(0)


def with_bench_routes(app: Flask) -> Flask:
    """The baseline (fixed TwiML of about the webhook's size, built once) and the breakdown."""
    fixed = VoiceResponse()
    gather = fixed.gather(
        action=f"{app.config['HOTLINE_PUBLIC_URL']}/voice/confirm?ticket=1&try=1",
        timeout=6,
        num_digits=1,
        action_on_empty_result=True,
    )
    gather.say("Notdienst Bench. Guten Tag, Kunde 1 GmbH. Ist es ein Notfall?", language="de-DE")
    gather.say("Drücken Sie die 1 für einen Notfall, die 2 für alles andere.", language="de-DE")
    body = str(fixed)

    @app.post("/bench/fixed")
    def fixed_twiml() -> Response:
        return Response(body, mimetype="text/xml")

    @app.get("/bench/json")
    def fixed_json() -> Response:
        """The baseline of bench_probes.py: a small JSON answer that reads nothing."""
        return jsonify({"status": "ok", "checked_at": "2026-12-01T02:00:00+00:00"})

    @app.get("/bench/spans")
    def breakdown() -> Response:
        return jsonify({**spans, "statements": statements})

    @app.post("/bench/spans/reset")
    def reset() -> Response:
        spans.clear()
        statements.clear()
        return jsonify({})

    return app


app = with_bench_routes(create_app({"INSTANCE_PATH": os.environ["BENCH_INSTANCE"]}))
instrument(app)

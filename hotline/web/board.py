"""The live board (`/board`): the dispatcher's and project lead's home, on a desk or a wall.

The page polls `/board.json` every `POLL_SECONDS`, sending the version it shows as
`If-None-Match`: a poll that finds nothing new is a `304` without a body, and the ages tick on in
the browser. Polling rather than server-sent events: waitress serves every request from a fixed
pool of threads (`HOTLINE_WEB_THREADS`) that the Twilio webhooks need too, and an event stream
would hold one thread per open board for as long as it stays open (docs/web.md).
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, jsonify, render_template, request, url_for

from escalation.access import Permission
from hotline import board as live
from hotline import db
from hotline.clock import now
from hotline.web import access, web

POLL_SECONDS = 1.5  # a webhook's change shows within this plus one request
REASONS = {  # why an engineer on call is not reachable (escalation/gaps.py)
    "no usable mobile": "aber keine nutzbare Mobilnummer",
    "inactive": "ist aber deaktiviert",
    "unknown engineer": "ist aber nicht im Verzeichnis",
}


@web.app_context_processor
def _board_words() -> dict[str, Any]:
    return {"reasons": REASONS, "has_page": lambda endpoint: endpoint in current_app.view_functions}


def _assemble() -> live.Board:
    who = access.current()
    return live.assemble(db.session(), now(), bool(who and who.may(Permission.CALLER_DATA)))


@web.get("/board")
@access.needs(Permission.BOARD)
def board() -> str:
    found = _assemble()
    return render_template("board/page.html", b=found, poll=url_for("web.board_json"),
                           every=int(POLL_SECONDS * 1000))  # fmt: skip


@web.get("/board.json")
@access.needs(Permission.BOARD)
def board_json() -> Response:
    """The board as data, with its rendered sections (`html`) for the page to swap in."""
    found = _assemble()
    if request.if_none_match.contains_weak(found.version):
        unchanged = Response(status=304)
        unchanged.set_etag(found.version, weak=True)
        return unchanged
    answer = jsonify({**found.as_json(), "html": render_template("board/live.html", b=found)})
    answer.set_etag(found.version, weak=True)
    return answer


@web.app_template_filter("age")
def age(since: str | None, at: str) -> str:
    """How long from `since` to `at` (ISO instants), as the board's script also writes it."""
    if not since:
        return ""
    from datetime import datetime

    seconds = int((datetime.fromisoformat(at) - datetime.fromisoformat(since)).total_seconds())
    return duration(seconds)


@web.app_template_filter("duration")
def duration(seconds: int | None) -> str:
    """'45 s', '12 min', '2 h 05 min', '3 T 4 h' (static/board.js `duration` is the same)."""
    if seconds is None:
        return ""
    seconds = max(seconds, 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours = minutes // 60
    if hours < 24:
        return f"{hours} h {minutes % 60:02d} min"
    return f"{hours // 24} T {hours % 24} h"


@web.app_template_filter("hhmm")
def hhmm(shown: str | None, at: str = "") -> str:
    """'08:30' on the day of `at`, else '30.11. 08:30' (ISO local times of the provider)."""
    if not shown:
        return ""
    if at and shown[:10] == at[:10]:
        return shown[11:16]
    return f"{shown[8:10]}.{shown[5:7]}. {shown[11:16]}"

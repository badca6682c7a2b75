"""The web instances of bench/cluster.py: the product's app, plus one bare route for the floor.

`/bench/fixed` answers a TwiML document built once, of about a webhook's size, and reads nothing:
Flask, waitress, the proxy and the app's response headers are in the floor, none of the
hotline's work. The servers run `flask --app _cluster serve`, the Procfile's server.
"""

from __future__ import annotations

import os

from flask import Response
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from hotline import calls, create_app
from hotline.models import Engineer

app = create_app()

_fixed = VoiceResponse()
_gather = _fixed.gather(action="/voice/confirm?ticket=1&try=1", timeout=6, num_digits=1)
_gather.say("Notdienst Bench. Guten Tag, Kunde 1 GmbH. Ist es ein Notfall?", language="de-DE")
_gather.say("Drücken Sie die 1 für einen Notfall, die 2 für alles andere.", language="de-DE")
_BODY = str(_fixed)


def fixed() -> Response:
    return Response(_BODY, mimetype="text/xml")


app.add_url_rule("/bench/fixed", view_func=app.extensions["csrf"].exempt(fixed), methods=["POST"])


def claim_skipping_locked(session: Session, engineer_id: int, ticket_id: int, now: object,
                          until: object) -> bool:  # fmt: skip
    """Experiment (--skip-locked): calls.claim, but an engineer row another transaction holds
    (being claimed for another emergency) counts as busy at once instead of being waited for."""
    free = (
        select(Engineer.id)
        .where(
            Engineer.id == engineer_id,
            or_(
                Engineer.busy_ticket_id.is_(None),
                Engineer.busy_ticket_id == ticket_id,
                Engineer.busy_until.is_(None),
                Engineer.busy_until <= now,
            ),
        )  # fmt: skip
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    statement = (
        update(Engineer)
        .where(Engineer.id == free)
        .values(busy_ticket_id=ticket_id, busy_since=now, busy_until=until, last_called_at=now)
    )
    result = session.execute(statement.execution_options(synchronize_session=False))
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


if os.environ.get("BENCH_SKIP_LOCKED"):
    calls.claim = claim_skipping_locked

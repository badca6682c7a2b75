"""The dialer: the calls the hotline places, stops and moves through Twilio's REST API.

A handler never calls the REST API while Twilio waits for its answer. It queues the work as a
`Leg` row in its own transaction (`place`, `stop`, `move_caller`); once that commits, a thread of
the same process sends it (`kick`), within a second, and the worker's `dialer` job
(`hotline.calls.dial`) picks up whatever a dead thread left. Each piece of work is claimed with
a conditional UPDATE, so two senders never send one leg twice.

What Twilio then reports about a leg comes to `/voice/leg` (its status callback) and, for the
conference, to `/voice/conference`; `hotline.voice.bridge` applies it. A purpose whose legs need
more than the status kept (a re-page, a call-back) registers a hook in `ENDED`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session

from hotline import db, links, logs, notify
from hotline.clock import now as clock_now
from hotline.models import Leg, Provider, Ticket

log = logging.getLogger(__name__)

RING = "ring"  # an engineer rung into the conference bridge for a chain entry (an attempt)
WARM = "warm"  # an engineer pulled into a running conference with `*`
CALLER = "caller"  # not a new call: the caller's own call is moved (`move_caller`)
EVENTS = ["initiated", "ringing", "answered", "completed"]
ENDED_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
ERROR_LENGTH = 200

# purpose -> what to do when one of its legs ends (Twilio said so), or was never placed (the
# REST API refused it or did not answer, or it was stopped before it went out).
Hook = Callable[[Session, Leg, datetime], None]
ENDED: dict[str, Hook] = {}
NOT_PLACED: dict[str, Hook] = {}


def available() -> bool:
    """True when the REST API can be used (a Twilio account is configured)."""
    return bool(current_app.config.get("TWILIO_ACCOUNT_SID"))


def central(session: Session, ticket: Ticket) -> str | None:
    """The caller ID of every leg: the number the customer called (the hotline's)."""
    return ticket.to_number or session.scalar(select(Provider.central_number))


# --- queue work (inside a request's transaction) ----------------------------------------------


def place(
    session: Session, ticket: Ticket, purpose: str, to: str, endpoint: str, now: datetime,
    *, engineer_id: int | None = None, attempt_id: int | None = None, timeout: int = 20,
) -> Leg:  # fmt: skip
    """Queue a call to `to` whose TwiML comes from the voice handler `endpoint` (it gets the
    ticket, the leg and the caller's CallSid in its query). Sent after the commit."""
    leg = Leg(
        ticket=ticket, purpose=purpose, to_number=to, from_number=central(session, ticket),
        endpoint=endpoint, timeout=timeout, engineer_id=engineer_id, attempt_id=attempt_id,
        created_at=now, status="queued",
    )  # fmt: skip
    session.add(leg)
    session.flush()
    _soon(session)
    return leg


def stop(session: Session, ticket: Ticket, keep: int | None = None,
         purposes: tuple[str, ...] = (RING,)) -> None:  # fmt: skip
    """Hang up every leg of `ticket` of these purposes that has not ended, but `keep`."""
    for leg in ticket.legs:
        if leg.purpose in purposes and leg.id != keep and leg.status not in ENDED_STATUSES:
            leg.stop = True
    _soon(session)


def move_caller(session: Session, ticket: Ticket, now: datetime) -> None:
    """Send the caller's call (waiting in the conference) to `/voice/bridge-ended`, which
    answers with where the call is now: the voicemail, or goodbye. Once: a move not yet sent
    already takes the caller to where the call is when it runs."""
    if any(leg.purpose == CALLER and leg.status in ("queued", "sending") for leg in ticket.legs):
        return
    place(session, ticket, CALLER, ticket.from_number or "", "bridge_ended", now)


def _soon(session: Session) -> None:
    session.info["dial"] = True  # `kick` after this transaction commits


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop("dial", False):
        with contextlib.suppress(RuntimeError):  # no app context: the worker's job sends it
            kick(current_app._get_current_object())  # type: ignore[attr-defined]


# --- send (outside any voice request) ---------------------------------------------------------

_running = threading.Lock()
_again = threading.Event()


def kick(app: Flask) -> None:
    """Send the queued work now, in a thread of this process (one at a time; a kick while it
    runs makes it run once more). Off with HOTLINE_DIALER_THREAD (tests, the simulator), where
    the caller runs `send` itself."""
    if not app.config.get("HOTLINE_DIALER_THREAD", True):
        return
    _again.set()
    if not _running.acquire(blocking=False):
        return

    def run() -> None:
        try:
            while _again.is_set():
                _again.clear()
                with app.app_context(), db.new_session() as session:
                    send(session, clock_now())
        except Exception:  # noqa: BLE001 - the worker's job tries again
            log.exception("the dialer thread failed; the worker's dialer job takes over")
        finally:
            _running.release()

    threading.Thread(target=run, name="dialer", daemon=True).start()


def send(session: Session, now: datetime) -> int:
    """Send every queued leg, stop and move; returns how many REST requests were made. No
    transaction is open while a REST request runs (on SQLite it would hold every webhook)."""
    client = notify.twilio_client()
    done = 0
    pending = session.scalars(
        select(Leg.id)
        .where(or_(Leg.status == "queued", Leg.stop.is_(True) & Leg.stopped.is_(False)))
        .order_by(Leg.id)
    ).all()
    session.commit()
    for leg_id in pending:
        if not _claim(session, leg_id):
            continue
        leg = session.get(Leg, leg_id, populate_existing=True)
        assert leg is not None
        with logs.call(leg.ticket.call_sid):
            done += _one(session, client, leg, now)
        session.commit()
    return done


def _claim(session: Session, leg_id: int) -> bool:
    """Take one piece of work (a queued leg, or a stop not yet sent) for this sender."""
    queued = db.claim(session, Leg, (Leg.id == leg_id) & (Leg.status == "queued"),
                      status="sending")  # fmt: skip
    stopping = queued or db.claim(
        session, Leg, (Leg.id == leg_id) & Leg.stop.is_(True) & Leg.stopped.is_(False),
        stopped=True,
    )  # fmt: skip
    session.commit()
    return stopping


def _one(session: Session, client: Any, leg: Leg, now: datetime) -> int:
    if leg.status == "sending" and leg.stop:  # stopped before it was ever sent
        leg.status, leg.stopped, leg.ended_at = "canceled", True, now
        _hook(NOT_PLACED, session, leg, now)
        return 0
    if client is None:
        return _failed(session, leg, now, "no Twilio account (TWILIO_ACCOUNT_SID)")
    sending, purpose, sid, leg_id = leg.status == "sending", leg.purpose, leg.call_sid, leg.id
    answered = leg.answered_at is not None or leg.status == "in-progress"
    create = {
        "to": leg.to_number, "from_": leg.from_number, "url": _url(leg, leg.endpoint),
        "method": "POST", "status_callback": _url(leg, "leg"), "status_callback_method": "POST",
        "status_callback_event": EVENTS, "timeout": leg.timeout,
    }  # fmt: skip
    caller = leg.ticket.call_sid
    session.commit()  # nothing held while Twilio answers
    try:
        if sending and purpose == CALLER:
            client.calls(caller).update(url=create["url"], method="POST")
            _done(session, leg_id, status="completed", sent_at=now, ended_at=now)
        elif sending:
            placed = client.calls.create(**create)
            _done(session, leg_id, status="sent", sent_at=now)
            _done(session, leg_id, Leg.call_sid.is_(None), call_sid=placed.sid)
            if session.get(Leg, leg_id, populate_existing=True).stop:  # type: ignore[union-attr]
                db.claim(session, Leg, Leg.id == leg_id, stopped=False)  # stopped meanwhile
                _soon(session)
        elif sid:  # a stop
            client.calls(sid).update(status="completed" if answered else "canceled")
        return 1
    except Exception as exc:  # noqa: BLE001 - a refused or unanswered REST request is data
        leg = session.get(Leg, leg_id, populate_existing=True)  # type: ignore[assignment]
        if not sending:  # a stop that failed: try again next round
            leg.stopped = False
            log.warning("dialer: stopping leg %s failed: %s", leg_id, exc)
            return 1
        return _failed(session, leg, now, f"{type(exc).__name__}: {exc}")


def _done(session: Session, leg_id: int, *where: Any, **values: Any) -> None:
    """Write what Twilio answered, unless a status callback already said more."""
    if "status" in values:
        where = (*where, Leg.status == "sending")
    db.claim(session, Leg, Leg.id == leg_id, *where, **values)


def _failed(session: Session, leg: Leg, now: datetime, error: str) -> int:
    log.error("dialer: leg %s (%s) was not placed: %s", leg.id, leg.purpose, error)
    leg.status, leg.error, leg.ended_at = "error", error[:ERROR_LENGTH], now
    _hook(NOT_PLACED, session, leg, now)
    return 1


def _url(leg: Leg, endpoint: str) -> str:
    """A leg's URLs name the ticket, the leg, its attempt (a ring leg) and the caller's call
    (their requests take its lock)."""
    attempt = {"attempt": leg.attempt.seq} if leg.attempt is not None else {}
    return links.public(f"voice.{endpoint}", ticket=leg.ticket_id, leg=leg.id,
                        call=leg.ticket.call_sid, **attempt)  # fmt: skip


def _hook(hooks: dict[str, Hook], session: Session, leg: Leg, now: datetime) -> None:
    hook = hooks.get(leg.purpose)
    if hook is not None:
        hook(session, leg, now)


# --- what Twilio reports ----------------------------------------------------------------------


def reported(session: Session, leg: Leg, status: str, seconds: int | None, now: datetime) -> bool:
    """A status callback of `leg`; True when it says the leg ended (just now)."""
    if leg.status in ENDED_STATUSES or leg.status == "error":
        return False
    if status == "in-progress" and leg.answered_at is None:
        leg.answered_at = now
    if status in ("initiated", "ringing", "in-progress") or status in ENDED_STATUSES:
        leg.status = status
    if status not in ENDED_STATUSES:
        return False
    leg.ended_at, leg.seconds = now, seconds
    if leg.joined_at is not None and leg.left_at is None:
        leg.left_at = now
    _hook(ENDED, session, leg, now)
    return True

"""The fallback spool replayed into tickets: what happened while the database could not hear it.

`hotline/voice/fallback.py` spools a record whenever a call goes the fallback path (a handler
failed or was late, or Twilio used the Fallback URL), when the fallback number took the call,
and for every voicemail left there. The worker replays the records into the call's ticket (or a
new one, with the customer looked up and the chain frozen as of the call, so the announcement
reaches whoever was on call) through `escalation.callflow`, like any webhook.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from escalation import callflow
from escalation.callflow import Kind, State
from hotline import callers, calls, fallback, phones, roster, tickets
from hotline.models import Ticket
from hotline.scheduler import WORKER
from hotline.voice.guard import clean

log = logging.getLogger(__name__)


def replay(session: Session, now: datetime, call_sid: str | None = None) -> int:
    """Replay every spooled record (of one call, if given), oldest first; a record whose replay
    fails stays spooled. Returns how many were replayed (a job of the worker; and the status
    callback of a call replays its own records before it decides how the call ended)."""
    done = 0
    for claimed, record in fallback.spooled(current_app.instance_path, WORKER, call_sid):
        try:
            _replay(session, record, now)
            session.commit()
        except Exception:
            session.rollback()
            log.exception("spooled record %s could not be replayed; kept", claimed.name)
            fallback.release(claimed, done=False)
            continue
        fallback.release(claimed, done=True)
        done += 1
    return done


def _replay(session: Session, record: dict[str, Any], now: datetime) -> None:
    at = _instant(record.get("at")) or now
    sid = clean(str(record.get("call_sid") or ""), 64) or f"spool-{uuid.uuid4().hex}"
    kind = record.get("kind")
    ticket = calls.by_call_sid(session, sid) or _open(session, sid, record, at, kind)
    call = calls.view(ticket)
    if kind == "message":
        url, seconds = clean(str(record.get("url") or ""), 500), _int(record.get("seconds"))
        step = callflow.message(call, seconds or None, url or None)
        calls.apply(session, ticket, step, at, recording_url=url, recording_seconds=seconds or None)
    elif kind == "accepted":
        seq = _int(record.get("attempt"))
        attempt = calls.attempt(ticket, seq)
        engineer = attempt.engineer.key if attempt and attempt.engineer else None
        calls.apply(session, ticket, callflow.key(call, seq, "1", engineer), at)
    elif kind == "voicemail":
        url, seconds = clean(str(record.get("url") or ""), 500), _int(record.get("seconds"))
        step = callflow.fallback_voicemail(call, seconds, url or None)
        calls.apply(session, ticket, step, at, recording_url=url, recording_seconds=seconds)
    elif kind == "bridged":
        calls.apply(session, ticket, callflow.fallback_bridged(call, _int(record.get("seconds"))),
                    at)  # fmt: skip
    else:
        step = callflow.fell_back(clean(str(record.get("where") or ""), 64),
                                  clean(str(record.get("error") or ""), 16))  # fmt: skip
        calls.apply(session, ticket, step, at)


def _open(session: Session, sid: str, record: dict[str, Any], at: datetime, kind: Any) -> Ticket:
    """A ticket for a call the database never saw: ringing the fallback number since `at` (a
    not-an-emergency message: a call that said so)."""
    raw = clean(str(record.get("caller") or ""))
    found = callers.identify(session, raw)
    ticket = Ticket(
        call_sid=sid, from_raw=raw or None, from_number=phones.caller_id(raw),
        to_number=phones.caller_id(clean(str(record.get("to") or ""))), arrived_at=at,
        heard_at=at, customer=found.customer, identified_by=found.method,
        language=found.customer.language if found.customer else "de",
        state=State.NOT_EMERGENCY if kind == "message" else State.RINGING,
        confirmed_at=at, chain=roster.chain_for(session, found.customer, at).to_json(),
    )  # fmt: skip
    session.add(ticket)
    session.flush()  # its id goes into the links of the messages about it
    tickets.log(session, ticket, at, Kind.ARRIVED, caller_as_sent=raw, via="fallback")
    return ticket


def _instant(value: Any) -> datetime | None:
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return at if at.tzinfo else None


def _int(value: Any) -> int:
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else 0

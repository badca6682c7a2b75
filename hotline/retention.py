"""DSGVO: once the retention has passed, a caller's personal data is erased everywhere it is kept.

A call leaves the caller's number, typed digits, name and voice in several places. For every
ticket older than `HOTLINE_RETENTION_DAYS` (the daily job `purge-personal-data`):

- tickets: the caller ID (`from_raw`, `from_number`) and the notes (free text that names the
  caller and their call-back number) are erased;
- the timeline (`events.detail`): only the keys in `KEPT` stay; the caller ID as sent, the
  number called and the digits the caller typed go, and so does any key nobody has classified
  yet (privacy by default);
- the voicemail or message (and a message left on a repeat call): the recording is deleted at
  Twilio through the REST API, then the link is erased. A deletion that fails keeps the link,
  and the next run tries again: the link is the only record of what is still to be deleted;
- the outbox (`messages`): SMS and e-mails about the ticket, or older than the retention
  themselves, are emptied (recipient, subject, text, HTML, last error); the envelope (channel,
  key, status, times) stays, so a repeated key still sends nothing;
- the ticket systems' deliveries (`webhook_deliveries`, hotline/outbound/): the event as sent
  (caller ID, recording link) and the errors of their tries are emptied alike; the envelope
  (event, target, status, tries, the ticket system's ticket id) stays;
- the TwiML answers kept for repeated webhooks (`answers`, when the table exists) hold names and
  numbers read aloud: they are deleted after a day (hourly job `purge-answers`, and here).

Kept, because they are not the caller's: the customer (the company, the contract partner) and
the business record that bills it (times, durations, who accepted, work minutes, billing
lines); the engineers' mobile numbers in attempts and the frozen chain (staff data: the record
of who was rung, kept with the ticket); surcharge-waiver reasons (a project lead's words for the
bill, which bookkeeping must keep).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, delete, exists, or_, select, update
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioRestException

from hotline import notify, tickets
from hotline.models import Answer, Delivery, DeliveryAttempt, Event, Message, RepeatCall, Ticket

log = logging.getLogger(__name__)

MARK = "personal data deleted"  # the timeline event of a purged ticket
SCOPE = "everywhere"  # the mark's scope; an earlier purge forgot the timeline and the outbox

# Timeline detail keys that hold no personal data of the caller: engineers' keys, customer
# numbers, outcomes, states, flags, counts, durations, webhook paths and Twilio error codes.
# Any other key is erased. (Some are written by the call flow's fallback path on main.)
# `joins` and `again`: how a repeat call joined its ticket (escalation/repeat.py); `bridge`,
# `attempts`, `leg`: the conference bridge (escalation/bridge.py); `repage`, `round`, `why`: a
# voicemail paged again by voice (escalation/repage.py).
KEPT = frozenset(
    {
        "again", "appointment", "attempt", "attempts", "bridge", "bridged", "by", "chain",
        "correct", "customer", "dial_status", "during", "engineer", "error", "found", "joins",
        "key", "last_heard", "late", "leg", "level", "outcome", "reason", "repage",
        "retention_days", "round", "scope", "seconds", "start", "status", "timeout", "via",
        "was", "where", "why", "work_minutes",
    }
)  # fmt: skip
# Keys known to hold the caller's data (erased like every key not kept; named for the record).
PERSONAL = frozenset({"caller_as_sent", "to", "digits", "call_sid"})

ANSWERS_KEPT = timedelta(days=1)

# A Twilio recording's URL: .../2010-04-01/Accounts/AC.../Recordings/RE... (.mp3, .wav, .json)
RECORDING = re.compile(r"/Recordings/(RE[0-9a-fA-F]{32})\b")
ACCOUNT = re.compile(r"/Accounts/(AC[0-9a-fA-F]{32})/")


def purge_personal_data(session: Session, now: datetime, days: int | None = None) -> int:
    """The daily job: erase the personal data of tickets older than the retention; returns how
    many tickets were purged. Commits."""
    keep = timedelta(days=days or current_app.config["HOTLINE_RETENTION_DAYS"])
    cutoff = now - keep
    purged = 0
    for ticket in session.scalars(due(cutoff)).all():
        purged += erase(session, ticket, now, keep)
    emptied = empty_outbox(session, cutoff) + empty_deliveries(session, cutoff)
    session.commit()
    deleted, left = delete_recordings(session, cutoff)
    answers = purge_answers(session, now)
    if purged or emptied or deleted or left or answers:
        log.info(
            "retention %d days: %d tickets purged, %d messages and deliveries emptied, "
            "%d recordings deleted "
            "(%d left for the next run), %d stored answers deleted",
            keep.days, purged, emptied, deleted, left, answers,
        )  # fmt: skip
    return purged


def due(cutoff: datetime) -> Select[tuple[Ticket]]:
    """Tickets older than `cutoff` with something left to erase: never purged (or purged by the
    earlier, narrower purge), or given a caller ID or notes again since."""
    marked = exists().where(
        Event.ticket_id == Ticket.id,
        Event.kind == MARK,
        Event.detail["scope"].as_string() == SCOPE,
    )
    return (
        select(Ticket)
        .where(
            Ticket.arrived_at < cutoff,
            or_(
                ~marked,
                Ticket.from_raw.is_not(None),
                Ticket.from_number.is_not(None),
                Ticket.notes.is_not(None),
            ),
        )
        .order_by(Ticket.id)
    )


def erase(session: Session, ticket: Ticket, now: datetime, keep: timedelta) -> int:
    """Erase one ticket's personal data (the recording is `delete_recordings`' work)."""
    ticket.from_raw = ticket.from_number = ticket.notes = None
    marked = False
    for event in ticket.events:
        detail = event.detail or {}
        if event.kind == MARK and detail.get("scope") == SCOPE:
            marked = True
        kept = {key: value for key, value in detail.items() if key in KEPT}
        if kept != detail:
            event.detail = kept or None
    if marked:
        return 0
    tickets.log(session, ticket, now, MARK, retention_days=keep.days, scope=SCOPE)
    return 1


def empty_outbox(session: Session, cutoff: datetime) -> int:
    """Empty the messages older than `cutoff` or about a ticket that is; pending ones go out
    first (a message about an old ticket may have been queued just now)."""
    old_tickets = select(Ticket.id).where(Ticket.arrived_at < cutoff)
    return session.execute(
        update(Message)
        .where(
            Message.status != "pending",
            or_(Message.created_at < cutoff, Message.ticket_id.in_(old_tickets)),
            or_(
                Message.to != "",
                Message.body != "",
                Message.subject.is_not(None),
                Message.html.is_not(None),
                Message.last_error.is_not(None),
            ),
        )
        .values(to="", subject=None, body="", html=None, last_error=None)
        .execution_options(synchronize_session=False)
    ).rowcount


def empty_deliveries(session: Session, cutoff: datetime) -> int:
    """Empty the webhook deliveries older than `cutoff` or about a ticket that is, and the
    errors of their tries (a target's answer may quote the body); pending ones go out first."""
    old_tickets = select(Ticket.id).where(Ticket.arrived_at < cutoff)
    old = (
        Delivery.status != "pending",
        or_(Delivery.created_at < cutoff, Delivery.ticket_id.in_(old_tickets)),
    )
    session.execute(
        update(DeliveryAttempt)
        .where(
            DeliveryAttempt.error.is_not(None),
            DeliveryAttempt.delivery_id.in_(select(Delivery.id).where(*old)),
        )
        .values(error=None)
        .execution_options(synchronize_session=False)
    )
    return session.execute(
        update(Delivery)
        .where(*old, or_(Delivery.body != "", Delivery.last_error.is_not(None)))
        .values(body="", last_error=None)
        .execution_options(synchronize_session=False)
    ).rowcount


def recording_of(url: str) -> tuple[str | None, str] | None:
    """(AccountSid or None, RecordingSid) of a stored recording URL; None when it names none."""
    sid = RECORDING.search(url)
    if sid is None:
        return None
    account = ACCOUNT.search(url)
    return (account.group(1) if account else None), sid.group(1)


def delete_recordings(session: Session, cutoff: datetime) -> tuple[int, int]:
    """Delete at Twilio the recordings of tickets older than `cutoff` (their voicemails and the
    messages left on their repeat calls), then erase their links; returns (deleted, left for
    the next run). Commits; no transaction is open while Twilio is asked (on SQLite it would
    hold the write lock that every call's webhook needs)."""
    pending: list[tuple[Ticket | RepeatCall, str, int]] = [
        (t, "voicemail_url", t.id)
        for t in session.scalars(
            select(Ticket)
            .where(Ticket.arrived_at < cutoff, Ticket.voicemail_url.is_not(None))
            .order_by(Ticket.id)
        )
    ]
    pending += [
        (r, "recording_url", r.ticket_id)
        for r in session.scalars(
            select(RepeatCall)
            .join(Ticket, RepeatCall.ticket_id == Ticket.id)
            .where(Ticket.arrived_at < cutoff, RepeatCall.recording_url.is_not(None))
            .order_by(RepeatCall.id)
        )
    ]
    session.commit()
    ours = current_app.config.get("TWILIO_ACCOUNT_SID")
    deleted = 0
    for holder, field, ticket_id in pending:
        recording = recording_of(getattr(holder, field) or "")
        if recording is None:  # the simulator's links: nothing to delete, only the link to forget
            log.warning("ticket %s: the recording link names no Twilio recording", ticket_id)
        elif not ours:
            log.error(
                "ticket %s: its recording cannot be deleted without TWILIO_ACCOUNT_SID; the "
                "link is kept until it can", ticket_id,
            )  # fmt: skip
            continue
        else:
            outcome = _delete(recording[0] or ours, recording[1])
            if outcome == "unreachable":
                break
            if outcome == "failed":
                continue
            deleted += 1
        setattr(holder, field, None)
        session.commit()
    return deleted, sum(getattr(holder, field) is not None for holder, field, _ in pending)


def _delete(account: str, sid: str) -> str:
    """Delete one recording: "deleted" (also when Twilio no longer has it), "failed" (this
    one; tried again next run), or "unreachable" (stop asking for this run)."""
    try:
        client = notify.twilio_client()
        assert client is not None
        client.api.v2010.accounts(account).recordings(sid).delete()
    except TwilioRestException as exc:
        if exc.status == 404:
            log.info("recording %s was already deleted at Twilio", sid)
            return "deleted"
        log.warning("recording %s not deleted, tried again next run: %s", sid, exc)
        return "unreachable" if exc.status >= 500 or exc.status == 429 else "failed"
    except Exception as exc:  # noqa: BLE001 - the link is kept, and the next run tries again
        log.warning("recording %s not deleted, tried again next run: %s", sid, exc)
        return "unreachable" if notify.unreachable(exc) else "failed"
    return "deleted"


def purge_answers(session: Session, now: datetime) -> int:
    """Delete the stored TwiML answers older than a day (they read names and numbers aloud);
    hourly, and with the daily purge. Commits."""
    deleted = session.execute(delete(Answer).where(Answer.at < now - ANSWERS_KEPT)).rowcount
    session.commit()
    return deleted

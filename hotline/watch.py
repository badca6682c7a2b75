"""The hotline watches itself: alarms by SMS (the fallback number, the project leads) and
e-mail (the project leads) when the worker or the web process is dead, a call fell to the
fallback, messages keep failing, signature failures suddenly rise, or a rota gap is near.

Rules in escalation/alarms.py; here the facts are read, and each alarm's raise and recovery is
one conditional UPDATE on its row in `alarms`, so each is sent once even when the worker and a
web process check at the same moment. The messages go through the outbox (hotline/notify.py).

The dead-man's switch works both ways. The worker's job `watch` runs every 30 s and notices a
dead web process (its heartbeat, written every 30 s by `Watchman`, grows old). The web process
notices a dead worker (on its own 30 s timer and whenever `/healthz` is asked): it then runs the
same check itself and delivers what is due itself, because the worker that would send the alarm
SMS is the one that died.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from escalation import alarms, health
from escalation.alarms import Condition, Key
from escalation.callflow import Kind
from hotline import clock, db, fallback, heartbeat, logs, notify, roster, tallies, texts
from hotline.models import Alarm, Attempt, Engineer, Event, Message, Team

log = logging.getLogger(__name__)

LEASE = "watch"  # the worker's job and the web process's check share it: one check at a time


def facts(session: Session, now: datetime, since: datetime) -> alarms.Facts:
    recent = now - alarms.FALLBACK_WINDOW
    fell = session.scalars(
        select(Event.ticket_id).where(Event.kind == Kind.FALLBACK.value, Event.at >= recent)
    ).all()
    rang = session.scalars(
        select(Attempt.ticket_id).where(Attempt.level == "fallback", Attempt.started_at >= recent)
    ).all()
    failing = session.scalar(
        select(func.count()).where(
            Message.last_error.is_not(None),
            Message.status.in_(("pending", "failed")),
            Message.next_try_at >= now - alarms.FAILING_WINDOW,
        )
    )
    window, baseline = alarms.SIGNATURE_WINDOW, alarms.SIGNATURE_BASELINE
    return alarms.Facts(
        now=now,
        since=since,
        beats=heartbeat.beats(session),
        fallbacks=tuple(sorted(set(fell) | set(rang))),
        failing=failing or 0,
        signatures=tallies.window(session, tallies.SIGNATURE_FAILURES, now, window),
        signatures_before=tallies.window(
            session, tallies.SIGNATURE_FAILURES, now - window, baseline
        ),
        gaps=roster.gap_report(session, now, now + health.AHEAD).gaps,
    )


def check(session: Session, now: datetime, since: datetime) -> alarms.Changes:
    """Raise what started, clear what ended, queue the messages; commits. Returns what changed
    (by this process: another may have sent a change first)."""
    active = alarms.conditions(facts(session, now, since))
    raised = set(
        Key(k) for k in session.scalars(select(Alarm.key).where(Alarm.raised.is_(True)))
        if k in Key.__members__.values()
    )  # fmt: skip
    wanted = alarms.changes(active, raised)
    done_raise, done_clear = [], []
    for condition in wanted.raise_:
        if _turn(session, condition.key, True, now, str(condition.detail)):
            tell(session, condition, True, now)
            done_raise.append(condition)
    for key in wanted.clear:
        if _turn(session, key, False, now, None):
            tell(session, Condition(key, {}), False, now)
            done_clear.append(key)
    session.commit()
    for condition in done_raise:
        log.warning("alarm %s", logs.pairs(alarm=condition.key, state="raised", **_flat(condition)))
    for key in done_clear:
        log.info("alarm %s", logs.pairs(alarm=key, state="cleared"))
    return alarms.Changes(tuple(done_raise), tuple(done_clear))


def _flat(condition: Condition) -> dict[str, object]:
    return {k: ",".join(map(str, v)) if isinstance(v, list) else v
            for k, v in condition.detail.items()}  # fmt: skip


def _turn(session: Session, key: Key, raised: bool, now: datetime, detail: str | None) -> bool:
    """Raise or clear `key`: True when this session did it (one conditional UPDATE)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(Alarm)
        .values(key=key.value, raised=False, since=now)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    values: dict[str, object] = {"raised": raised, "since": now}
    if raised:
        values["detail"] = detail
    return db.claim(session, Alarm, Alarm.key == key.value, Alarm.raised.is_(not raised), **values)


def recipients(session: Session) -> tuple[list[str], list[str]]:
    """SMS: the fallback number and the project leads' mobiles; e-mail: the project leads'."""
    leads = session.scalars(
        select(Engineer)
        .where(
            Engineer.active.is_(True),
            or_(Engineer.role == "project_lead",
                Engineer.id.in_(select(Team.project_lead_id).where(
                    Team.project_lead_id.is_not(None)))),
        )
        .order_by(Engineer.key)
    ).all()  # fmt: skip
    numbers = [fallback.number(current_app)] + [e.mobile for e in leads]
    emails = [e.email for e in leads]
    return list(dict.fromkeys(n for n in numbers if n)), list(dict.fromkeys(a for a in emails if a))


def tell(session: Session, condition: Condition, raised: bool, now: datetime) -> None:
    zone = clock.zone(session)
    context = {
        "key": condition.key.value, "raised": raised, "detail": condition.detail,
        "at": clock.local(now, zone), "zone": zone,
        "starts_at": _local(condition.detail.get("starts_at"), zone),
    }  # fmt: skip
    state = "raised" if raised else "cleared"
    stamp = now.strftime("%Y%m%dT%H%M%S")
    numbers, emails = recipients(session)
    if numbers:
        body = texts.sms("alarm", **context)
        for number in numbers:
            key = f"alarm:{condition.key}:{stamp}:{state}:{number}"
            notify.enqueue_sms(session, number, body, key)
    if emails:
        mail = texts.email("alarm", **context)
        for address in emails:
            notify.enqueue_email(session, address, mail.subject, mail.text,
                                 f"alarm:{condition.key}:{stamp}:{state}:{address}")  # fmt: skip
    if not numbers and not emails:
        log.error("alarm %s %s: nobody to tell (no fallback number, no project lead)",
                  condition.key, state)  # fmt: skip


def _local(value: object, zone: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    return clock.local(datetime.fromisoformat(value), zone)  # type: ignore[arg-type]


# --- the worker's side ---------------------------------------------------------------------

STARTED: datetime | None = None  # when this worker process started watching


def job(session: Session, now: datetime) -> None:
    """The worker's job `watch`, every 30 s (its lease keeps a web process's check apart)."""
    global STARTED
    STARTED = STARTED or now
    check(session, now, STARTED)


# --- the web process's side: its heartbeat and the dead-man's switch ----------------------


class Watchman:
    """The web process's half: every `BEAT` it writes its heartbeat and, when the worker's is
    missing or old, runs the check itself and delivers what is due (the worker is dead).
    `tick` is what the timer calls; `/healthz` calls `poke` when it sees a dead worker."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.started = app.config["CLOCK"]()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.stopped = threading.Event()

    def tick(self) -> bool:
        """One round; True when it found the worker dead and stood in for it."""
        with self.app.app_context(), db.new_session() as session:
            now = clock.now()
            heartbeat.beat(session, health.WEB, now)
            worker = heartbeat.beats(session).get(health.WORKER)
            if not alarms.dead(worker, now, self.started):
                return False
            from hotline import scheduler

            if not scheduler.claim(session, LEASE, heartbeat.PROCESS, now,
                                   timedelta(seconds=15), timedelta(minutes=1)):  # fmt: skip
                return True  # another web process is checking right now
            try:
                check(session, now, self.started)
                notify.deliver_due(session, now)  # nobody else will send the alarm
            finally:
                scheduler.release(session, LEASE, heartbeat.PROCESS)
            return True

    def poke(self) -> threading.Thread | None:
        """Run a tick in the background unless one is running; the thread, or None."""
        with self.lock:
            if self.thread is not None and self.thread.is_alive():
                return None
            self.thread = threading.Thread(target=self._safe_tick, name="watchman", daemon=True)
            self.thread.start()
            return self.thread

    def _safe_tick(self) -> None:
        try:
            self.tick()
        except Exception:  # noqa: BLE001 - the next tick tries again
            log.exception("the web process's watch failed")

    def run(self) -> None:
        """The timer: a tick at once (the web heartbeat from the first second), then every
        `BEAT` until `stop()`."""
        self._safe_tick()
        while not self.stopped.wait(health.BEAT.total_seconds()):
            self._safe_tick()

    def start(self) -> None:
        """The timer thread (the server's start never waits for the database)."""
        threading.Thread(target=self.run, name="watchman-timer", daemon=True).start()

    def stop(self) -> None:
        self.stopped.set()


def watchman(app: Flask) -> Watchman:
    """The app's watchman (one per app)."""
    app = getattr(app, "_get_current_object", lambda: app)()  # never the current_app proxy
    found = app.extensions.get("hotline.watchman")
    if found is None:
        found = app.extensions["hotline.watchman"] = Watchman(app)
    return found

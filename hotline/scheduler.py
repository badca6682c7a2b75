"""The worker process: APScheduler 3 runs the periodic jobs (`flask --app hotline worker`).

The jobs are kept in the product's database (`SQLAlchemyJobStore`, table `apscheduler_jobs`),
so a restart loses no run: a month-end run missed while the worker was down still runs when it
comes back, within the job's grace time. APScheduler 3 does not coordinate processes, so every
run first claims the job's lease (a row in `leases`, one conditional UPDATE): two workers never
run the same job run twice.

A job is a "module:function" called as `function(session, now)` with a session of its own and
the injected clock. It is looked up when it runs, so a service that does not exist (yet) is
logged, not a crash.

The calendar jobs (daily, monthly) run at wall-clock times of the provider's zone, read when the
worker builds its jobs: after the provider's `timezone` changes, restart the worker; it then
replaces the stored triggers (a changed zone is a changed trigger).
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, current_app
from sqlalchemy import or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, ProgrammingError
from sqlalchemy.orm import Session

from hotline import clock, db, heartbeat, logs
from hotline.models import Lease

log = logging.getLogger(__name__)

JOB_TABLE = "apscheduler_jobs"
WORKER = f"{socket.gethostname()}:{os.getpid()}"
SYNC_TRIES = 3  # a worker that lost the race to store the jobs tries again


@dataclass(frozen=True)
class Job:
    target: str  # "module:function", called as function(session, now)
    trigger: BaseTrigger
    every: timedelta  # the shortest time between two runs; a claim within half of it is a repeat
    lease: timedelta = timedelta(minutes=10)  # how long a dead worker's claim blocks the job
    grace: int = 60  # seconds a missed run may still start late


DAY = timedelta(days=1)


def table(zone: tzinfo) -> dict[str, Job]:
    """The production jobs; the calendar ones at wall-clock times of `zone`, the provider's."""
    return {
        # The worker's sign of life for /healthz and the web process's dead-man's switch
        # (hotline/watch.py): a run every 30 s, so a heartbeat 2 minutes old means it is dead.
        "heartbeat": Job(
            "hotline.heartbeat:worker", IntervalTrigger(seconds=30), timedelta(seconds=30),
            lease=timedelta(minutes=1),
        ),
        # The alarms (hotline/watch.py); shares its lease with a web process standing in for a
        # dead worker, so the two never check at once.
        "watch": Job(
            "hotline.watch:job", IntervalTrigger(seconds=30), timedelta(seconds=30),
            lease=timedelta(minutes=1),
        ),
        # Two lanes, two jobs with leases of their own: APScheduler runs them in separate
        # threads, so an SMS never waits behind an e-mail to a hung mail server. Their lease is
        # the outbox's claim (5 minutes): a run may take its whole budget plus one slow send.
        "deliver-sms": Job(
            "hotline.notify:deliver_sms", IntervalTrigger(seconds=10), timedelta(seconds=10),
            lease=timedelta(minutes=5),
        ),
        "deliver-email": Job(
            "hotline.notify:deliver_email", IntervalTrigger(seconds=10), timedelta(seconds=10),
            lease=timedelta(minutes=5),
        ),
        # The ticket systems' webhooks, a lane of their own too: a hung ticket system holds up
        # neither SMS nor e-mail. Its lease is the deliveries' claim (5 minutes).
        "deliver-webhooks": Job(
            "hotline.outbound.deliver:deliver", IntervalTrigger(seconds=10),
            timedelta(seconds=10), lease=timedelta(minutes=5),
        ),
        # The REST calls a web process queued but did not send (it died right after its
        # commit): its own thread sends within a second, this within five; and conference legs
        # whose status callback never came end as unanswered, so a holding caller moves on.
        "dialer": Job(
            "hotline.calls:dial", IntervalTrigger(seconds=5), timedelta(seconds=5),
            lease=timedelta(minutes=1),
        ),
        "check-displacements": Job(
            "hotline.appointments:check_displacements", IntervalTrigger(seconds=30),
            timedelta(seconds=30), lease=timedelta(minutes=2),
        ),
        "replay-spool": Job(
            "hotline.replay:replay", IntervalTrigger(seconds=30), timedelta(seconds=30),
            lease=timedelta(minutes=2),
        ),
        "sweep-calls": Job(
            "hotline.calls:sweep", IntervalTrigger(minutes=1), timedelta(minutes=1),
            lease=timedelta(minutes=2),
        ),
        "reannounce": Job(
            "hotline.tickets:reannounce", IntervalTrigger(minutes=1), timedelta(minutes=1),
            lease=timedelta(minutes=2),
        ),
        # A voicemail nobody took: the chain is called again by voice (hotline/repage.py).
        "repage": Job(
            "hotline.repage:due", IntervalTrigger(seconds=30), timedelta(seconds=30),
            lease=timedelta(minutes=2),
        ),
        "purge-personal-data": Job(
            "hotline.retention:purge_personal_data",
            CronTrigger(hour=3, minute=30, timezone=zone), DAY, grace=12 * 3600,
        ),
        "purge-answers": Job(
            "hotline.retention:purge_answers", CronTrigger(minute=45), timedelta(hours=1),
            grace=3600,
        ),
        # A status e-mail goes out after each customer's JourFixe (within 10 minutes of its
        # end), or when the quota reaches a notice; each once, by its outbox key.
        "status-emails": Job(
            "hotline.reports:queue_status_emails", IntervalTrigger(minutes=10),
            timedelta(minutes=10), grace=5 * 60,
        ),
        "month-end": Job(
            "hotline.billing:run_month_end", CronTrigger(day=1, hour=2, timezone=zone),
            timedelta(days=28), lease=timedelta(hours=1), grace=3 * 24 * 3600,
        ),
    }  # fmt: skip


_app: Flask | None = None  # the worker's app, for `run_job` (APScheduler stores only a reference)
_missing: set[str] = set()  # targets already reported missing, to log that once per process


def jobs() -> dict[str, Job]:
    """The job table, its calendar jobs in the provider's zone as stored now; tests replace it
    with `app.config["SCHEDULER_JOBS"]`."""
    configured: dict[str, Job] | None = current_app.config.get("SCHEDULER_JOBS")
    if configured:
        return configured
    with db.new_session() as session:  # read and closed: a job's own session holds nothing
        return table(clock.zone(session))


def run_job(job_id: str) -> None:
    """What APScheduler calls, in one of its threads."""
    assert _app is not None, "run_job needs the worker's app: use scheduler.build(app)"
    with _app.app_context():
        run(job_id)


def run(job_id: str, holder: str = WORKER) -> bool:
    """Claim the job's lease, run the job, release; False when another worker has this run."""
    job = jobs()[job_id]
    now = clock.now()
    with db.new_session() as session:
        if not claim(session, job_id, holder, now, job.every / 2, job.lease):
            log.debug("job %s: this run belongs to another worker", job_id)
            return False
        started, result = time.perf_counter(), "ok"
        try:
            function = resolve(job.target)
            if function is None:
                result = "missing"
            else:
                function(session, now)
                session.commit()
        except Exception:
            result = "failed"
            session.rollback()
            log.exception("job %s (%s) failed", job_id, job.target)
        finally:
            release(session, job_id, holder)
            ms = round((time.perf_counter() - started) * 1000, 1)
            log.info("job %s", logs.pairs(name=job_id, ms=ms, result=result))
    return True


def resolve(target: str) -> Callable[[Session, datetime], Any] | None:
    module, _, name = target.partition(":")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        if target not in _missing:
            _missing.add(target)
            log.warning("job target %s is not available, skipped: %s", target, exc)
        return None


def claim(
    session: Session, name: str, holder: str, now: datetime, repeat: timedelta, hold: timedelta
) -> bool:
    """Take the lease `name` unless someone holds it or it was taken less than `repeat` ago."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(Lease).values(name=name).on_conflict_do_nothing(index_elements=["name"]))
    session.commit()
    claimed = session.execute(
        update(Lease)
        .where(
            Lease.name == name,
            or_(Lease.expires_at.is_(None), Lease.expires_at <= now),
            or_(Lease.last_run_at.is_(None), Lease.last_run_at <= now - repeat),
        )
        .values(holder=holder, expires_at=now + hold, last_run_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return claimed == 1


def release(session: Session, name: str, holder: str) -> None:
    session.execute(
        update(Lease)
        .where(Lease.name == name, Lease.holder == holder)
        .values(expires_at=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def build(app: Flask, scheduler_class: type[BaseScheduler] = BlockingScheduler) -> BaseScheduler:
    """A scheduler whose job store is the product's database, holding the current job table.

    A stored job whose trigger is unchanged is kept as it is, with its next run time: replacing
    it would recompute that time and silently drop a run missed while the worker was down.
    """
    global _app
    _app = app
    with app.app_context():
        wanted = jobs()
        store = SQLAlchemyJobStore(engine=db.engine(), tablename=JOB_TABLE)
    scheduler = scheduler_class(
        jobstores={"default": store},
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1},
    )
    for attempt in range(1, SYNC_TRIES + 1):
        try:
            _sync(scheduler, store, wanted)
            break
        except (IntegrityError, ProgrammingError):
            # Two workers starting at once race to create the job table and to store the same
            # jobs: the loser's statement fails. On the next try both are there.
            if attempt == SYNC_TRIES:
                raise
            log.warning("worker %s: another worker was storing the jobs; trying again", WORKER)
    return scheduler


def _sync(scheduler: BaseScheduler, store: SQLAlchemyJobStore, wanted: dict[str, Job]) -> None:
    store.start(scheduler, "default")  # creates the table, so stored jobs can be compared
    for stored in store.get_all_jobs():
        if stored.id not in wanted:
            store.remove_job(stored.id)
    for job_id, job in wanted.items():
        stored = store.lookup_job(job_id)
        if stored is not None and _same(stored, job):
            continue
        scheduler.add_job(
            run_job, job.trigger, args=[job_id], id=job_id, name=job.target,
            misfire_grace_time=job.grace, replace_existing=True,
        )  # fmt: skip


def _same(stored: Any, job: Job) -> bool:
    return (stored.name, str(stored.trigger), stored.misfire_grace_time) == (
        job.target,
        str(job.trigger),
        job.grace,
    ) and str(getattr(stored.trigger, "timezone", "")) == str(getattr(job.trigger, "timezone", ""))


def serve(app: Flask) -> None:
    """Run the worker until SIGTERM or Ctrl-C; running jobs finish first."""
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    scheduler = build(app)

    def stop(_signum: int, _frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    with app.app_context(), db.new_session() as session:
        heartbeat.worker(session, clock.now())  # alive from the first second, not after 30 s
        zone = clock.zone(session).key
        session.commit()  # SQLite: the read holds the write lock, and `jobs` reads on its own
        log.info("worker %s started, jobs: %s; daily jobs in %s", WORKER, ", ".join(jobs()), zone)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("worker %s stopping: running jobs finish first", WORKER)
    finally:
        if scheduler.running:
            scheduler.shutdown()
        log.info("worker %s stopped", WORKER)

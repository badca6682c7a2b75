"""`/metrics` in Prometheus's text format, written by the official client (prometheus_client).

Most figures are read from the database at scrape time by a collector of our own, not counted
in the process: with several web processes (or a worker that sends the messages) a counter in
one process would be a fraction of the truth, and would start again at zero on every restart.
The tickets, attempts, events, messages and tallies are the truth; the collector counts them
(a few aggregate queries, bounded like /healthz).

Only the webhooks' latency is measured where it happens, in the process that answered: a
histogram per endpoint. Under several processes of one server (gunicorn workers), set
`PROMETHEUS_MULTIPROC_DIR` to an empty folder shared by them (prometheus_client's multiprocess
mode): the scrape then adds up every process's histogram.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Histogram, generate_latest, multiprocess
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString
from sqlalchemy import ColumnElement, Float, cast, func, literal_column, select, text
from sqlalchemy.orm import Session

from escalation.callflow import FINAL, Kind
from escalation.health import WEB, WORKER
from hotline import db, heartbeat, tallies
from hotline.clock import now
from hotline.models import Alarm, Attempt, Event, Message, Ticket

# The webhooks' answers, per endpoint (voice.incoming, sms.incoming ...): Twilio waits 15 s.
WEBHOOK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0)
ACCEPT_BUCKETS = (10, 20, 30, 45, 60, 90, 120, 180, 300, 600)  # seconds from arrival to accept
ATTEMPT_BUCKETS = (0, 1, 2, 3, 4, 5, 6, 8, 10, 15)  # phones rung for one emergency

PROCESS = CollectorRegistry()
webhook_seconds = Histogram(
    "hotline_webhook_seconds",
    "Seconds a Twilio webhook took to answer, per endpoint (measured in the answering process)",
    ["endpoint"],
    buckets=WEBHOOK_BUCKETS,
    registry=PROCESS,
)


def seconds_between(
    session: Session, later: ColumnElement[Any], earlier: ColumnElement[Any]
) -> ColumnElement[Any]:
    """`later - earlier` in seconds, in SQL, on either database."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * cast(literal_column("86400"), Float)


def buckets(session: Session, value: ColumnElement[Any], bounds: tuple[float, ...], source: object,
            *where: ColumnElement[bool]) -> tuple[list[tuple[str, float]], float]:  # fmt: skip
    """Cumulative bucket counts of `value` over `source` (a histogram), and its sum."""
    row = session.execute(
        select(
            *[func.count().filter(value <= bound) for bound in bounds],
            func.count(),
            func.coalesce(func.sum(value), 0),
        )
        .select_from(source)  # type: ignore[arg-type]
        .where(*where)
    ).one()
    found = zip(bounds, row[: len(bounds)], strict=True)
    counts = [(floatToGoString(bound), float(n)) for bound, n in found]
    return counts + [("+Inf", float(row[len(bounds)]))], float(row[len(bounds) + 1])


class Database(Collector):
    """The figures of the whole deployment, read from the database when Prometheus asks."""

    def collect(self) -> Iterator[Metric]:
        with db.new_session() as session:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SET LOCAL statement_timeout = 2000"))
            yield from self.read(session, now())
            session.rollback()

    def read(self, session: Session, at: datetime) -> Iterator[Metric]:
        states = dict(
            session.execute(select(Ticket.state, func.count()).group_by(Ticket.state))
            .tuples()
            .all()
        )
        calls = CounterMetricFamily(
            "hotline_calls", "Calls that ended, by how they ended (the ticket's final state)",
            labels=["outcome"],
        )  # fmt: skip
        for state in sorted(FINAL):
            calls.add_metric([state.value], states.get(state.value, 0))
        yield calls
        yield GaugeMetricFamily(
            "hotline_calls_in_progress", "Calls not yet ended",
            value=sum(n for s, n in states.items() if s not in {f.value for f in FINAL}),
        )  # fmt: skip

        accepted = seconds_between(session, Ticket.accepted_at, Ticket.arrived_at)
        counts, total = buckets(session, accepted, ACCEPT_BUCKETS, Ticket,
                                Ticket.accepted_at.is_not(None))  # fmt: skip
        accept = HistogramMetricFamily(
            "hotline_time_to_accept_seconds",
            "Seconds from a call's arrival until an engineer accepted it (pressed 1)",
        )
        accept.add_metric([], counts, total)
        yield accept

        per_call = (
            select(func.count(Attempt.id).label("n"))
            .select_from(Ticket)
            .outerjoin(Attempt, Attempt.ticket_id == Ticket.id)
            .where(Ticket.confirmed_at.is_not(None))
            .group_by(Ticket.id)
            .subquery()
        )
        counts, total = buckets(session, per_call.c.n, ATTEMPT_BUCKETS, per_call)
        rung = HistogramMetricFamily(
            "hotline_ring_attempts_per_call",
            "Phones rung for one confirmed emergency (0: it went straight to voicemail)",
        )
        rung.add_metric([], counts, total)
        yield rung

        kinds = dict(
            session.execute(
                select(Event.kind, func.count(func.distinct(Event.ticket_id)))
                .where(Event.kind.in_((Kind.VOICEMAIL_LEFT.value, Kind.FALLBACK.value)))
                .group_by(Event.kind)
            )
            .tuples()
            .all()
        )
        yield CounterMetricFamily(
            "hotline_voicemails", "Calls that ended in a voicemail for a call-back",
            value=kinds.get(Kind.VOICEMAIL_LEFT.value, 0),
        )  # fmt: skip
        chain_end = session.scalar(
            select(func.count(func.distinct(Attempt.ticket_id))).where(Attempt.level == "fallback")
        )
        fallbacks = CounterMetricFamily(
            "hotline_fallback_calls",
            "Calls that reached the fallback number: the chain ran out (chain), or a handler "
            "failed or Twilio used the Fallback URL (failure)",
            labels=["path"],
        )
        fallbacks.add_metric(["chain"], chain_end or 0)
        fallbacks.add_metric(["failure"], kinds.get(Kind.FALLBACK.value, 0))
        yield fallbacks

        messages = GaugeMetricFamily(
            "hotline_messages", "SMS and e-mails not sent: pending (waiting or retrying), failed",
            labels=["channel", "status"],
        )  # fmt: skip
        found = dict(
            ((channel, status), n)
            for channel, status, n in session.execute(
                select(Message.channel, Message.status, func.count())
                .where(Message.status.in_(("pending", "failed")))
                .group_by(Message.channel, Message.status)
            ).tuples()
        )
        for channel in ("sms", "email"):
            for status in ("pending", "failed"):
                messages.add_metric([channel, status], found.get((channel, status), 0))
        yield messages

        yield CounterMetricFamily(
            "hotline_signature_failures",
            "Webhooks refused for a bad or missing X-Twilio-Signature (all web processes)",
            value=tallies.total(session, tallies.SIGNATURE_FAILURES),
        )
        beats = heartbeat.beats(session)
        ages = GaugeMetricFamily(
            "hotline_heartbeat_age_seconds", "Seconds since the process kind's last heartbeat",
            labels=["process"],
        )  # fmt: skip
        for name in (WORKER, WEB):
            if name in beats:
                ages.add_metric([name], (at - beats[name]).total_seconds())
        yield ages
        alarms = GaugeMetricFamily(
            "hotline_alarm", "1 while the alarm is raised (hotline/watch.py)", labels=["alarm"]
        )
        for key, raised in session.execute(select(Alarm.key, Alarm.raised)).tuples():
            alarms.add_metric([key], 1 if raised else 0)
        yield alarms


def exposition() -> bytes:
    """The scrape: this process's (or, in multiprocess mode, every process's) histograms, and
    the database's figures."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Process())
    registry.register(Database())
    return generate_latest(registry)


class _Process(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from PROCESS.collect()

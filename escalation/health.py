"""Is the hotline able to take a call right now? The thresholds and the verdict.

hotline/health.py reads the facts (a handful of small queries) and renders them as `/healthz`;
the alarms (escalation/alarms.py) use the same thresholds, so the page and the SMS never
disagree about whether the worker is dead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from escalation.gaps import Gap

BEAT = timedelta(seconds=30)  # how often the worker and the web process write their heartbeat
# A heartbeat older than this: the process is dead (four beats missed; one slow beat is not).
STALE = timedelta(minutes=2)
# A message due this long and still not sent: delivery is stuck (the worker tries every 10 s).
OVERDUE = timedelta(minutes=2)
AHEAD = timedelta(hours=24)  # how far ahead a rota gap is reported

WORKER, WEB = "worker", "web"


@dataclass(frozen=True)
class Facts:
    now: datetime
    revision: str | None  # the database's Alembic revision (None: never migrated)
    head: str  # the code's newest revision
    beats: Mapping[str, datetime] = field(default_factory=dict)
    pending: int = 0
    failed: int = 0
    oldest_pending: datetime | None = None  # created_at of the oldest message not yet sent
    oldest_due: datetime | None = None  # next_try_at of the oldest message due and not sent
    gaps: tuple[Gap, ...] = ()  # rota gaps in [now, now + AHEAD)
    last_webhook: datetime | None = None


@dataclass(frozen=True)
class Verdict:
    problems: tuple[str, ...]  # what makes the hotline unable to work as it should: 503
    warnings: tuple[str, ...]  # what a human should look at, but calls still reach someone

    @property
    def ok(self) -> bool:
        return not self.problems


def stale(beat: datetime | None, now: datetime) -> bool:
    """No heartbeat at all, or one older than `STALE`."""
    return beat is None or now - beat > STALE


def covered_now(gaps: tuple[Gap, ...], now: datetime) -> bool:
    return not any(g.starts_at <= now < g.ends_at for g in gaps)


def verdict(facts: Facts) -> Verdict:
    problems: list[str] = []
    warnings: list[str] = []
    if facts.revision != facts.head:
        problems.append(f"database at revision {facts.revision or 'none'}, code needs {facts.head}")
    if stale(facts.beats.get(WORKER), facts.now):
        problems.append("worker heartbeat missing or older than 2 minutes: no SMS goes out")
    if facts.oldest_due is not None and facts.now - facts.oldest_due > OVERDUE:
        problems.append("a due message has waited more than 2 minutes: delivery is stuck")
    if facts.failed:
        warnings.append(f"{facts.failed} messages failed (flask --app hotline outbox "
                        "--status failed)")  # fmt: skip
    for gap in facts.gaps:
        where = f"team {gap.team}" if gap.team else "the cross-team pool"
        when = "now" if gap.starts_at <= facts.now else f"from {gap.starts_at.isoformat()}"
        warnings.append(f"nobody on call for {where} {when}: calls go to the fallback number")
    return Verdict(tuple(problems), tuple(warnings))

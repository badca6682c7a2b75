"""When the hotline raises an alarm about itself, and when it calls the alarm off.

An alarm is a condition, not an event: it is raised once when the condition starts and cleared
once (a recovery message) when it ends, however often it is checked in between. hotline/watch.py
reads the facts, asks `conditions`, and applies `changes` with one conditional UPDATE each, so
two processes checking at once still send each message once.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from escalation.gaps import Gap
from escalation.health import STALE, WEB, WORKER


class Key(StrEnum):
    WORKER = "worker"  # the worker's heartbeat is older than 2 minutes: nothing goes out
    WEB = "web"  # the web process's heartbeat is older than 2 minutes: calls may fail
    FALLBACK = "fallback"  # a call reached the fallback number lately
    MESSAGES = "messages"  # messages keep failing
    SIGNATURES = "signatures"  # signature failures rose suddenly (wrong URL or token?)
    ROTA = "rota"  # a rota gap starts within 24 hours (or is open now)


FALLBACK_WINDOW = timedelta(minutes=15)  # a call that fell back keeps the alarm up this long
FAILING_WINDOW = timedelta(hours=1)
FAILING = 3  # messages failing within the window: one bad number is not "keep failing"
SIGNATURE_WINDOW = timedelta(minutes=10)
SIGNATURE_BASELINE = timedelta(hours=1)  # the rate before the window, for comparison
SIGNATURE_BURST = 10  # at least this many in the window...
SIGNATURE_FACTOR = 3  # ...and this many times the baseline's rate


@dataclass(frozen=True)
class Facts:
    now: datetime
    since: datetime  # when the watching process started: a heartbeat never seen is not
    #                  missed before it had the time to beat
    beats: Mapping[str, datetime] = field(default_factory=dict)
    fallbacks: tuple[int, ...] = ()  # tickets that reached the fallback within FALLBACK_WINDOW
    failing: int = 0  # messages that failed a try within FAILING_WINDOW and are not sent
    signatures: int = 0  # signature failures within SIGNATURE_WINDOW
    signatures_before: int = 0  # within the SIGNATURE_BASELINE before it
    gaps: tuple[Gap, ...] = ()  # rota gaps in [now, now + 24 h)


def dead(beat: datetime | None, now: datetime, since: datetime) -> bool:
    """A heartbeat older than `STALE`, or none at all once the watcher has waited that long."""
    if beat is None:
        return now - since > STALE
    return now - beat > STALE


def burst(recent: int, before: int) -> bool:
    """Signature failures "suddenly rise": many in the window, and far more than the rate
    before it (a scanner's steady trickle is not a broken deploy)."""
    rate = before * (SIGNATURE_WINDOW / SIGNATURE_BASELINE)
    return recent >= SIGNATURE_BURST and recent > SIGNATURE_FACTOR * rate


@dataclass(frozen=True)
class Condition:
    key: Key
    detail: dict[str, str | int | list[int] | None]  # what the message says about it


def conditions(f: Facts) -> dict[Key, Condition]:
    """The alarms whose condition holds now."""
    found: list[Condition] = []
    for key, name in ((Key.WORKER, WORKER), (Key.WEB, WEB)):
        beat = f.beats.get(name)
        if dead(beat, f.now, f.since):
            minutes = None if beat is None else int((f.now - beat).total_seconds() // 60)
            found.append(Condition(key, {"minutes": minutes}))
    if f.fallbacks:
        found.append(Condition(Key.FALLBACK, {"tickets": sorted(f.fallbacks)}))
    if f.failing >= FAILING:
        found.append(Condition(Key.MESSAGES, {"count": f.failing}))
    if burst(f.signatures, f.signatures_before):
        found.append(Condition(Key.SIGNATURES, {"count": f.signatures}))
    if f.gaps:
        first = min(f.gaps, key=lambda g: (g.starts_at, g.team or ""))
        found.append(Condition(Key.ROTA, {"team": first.team, "count": len(f.gaps),
                                          "starts_at": first.starts_at.isoformat()}))  # fmt: skip
    return {c.key: c for c in found}


@dataclass(frozen=True)
class Changes:
    raise_: tuple[Condition, ...]
    clear: tuple[Key, ...]


def changes(active: Mapping[Key, Condition], raised: Set[Key]) -> Changes:
    """What to send: a raise for each condition that holds and is not raised yet, a recovery
    for each raised alarm whose condition no longer holds."""
    return Changes(
        tuple(c for k, c in sorted(active.items()) if k not in raised),
        tuple(sorted(k for k in raised if k not in active)),
    )

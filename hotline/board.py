"""The live board: what needs the office now, assembled from the tickets, the appointments and
the rota's readiness, in one read.

The page (`/board`) and its poll (`/board.json`) render what `assemble` returns and decide
nothing themselves. `version` is a digest of everything on the board except the clock, so a poll
that finds nothing new is answered `304 Not Modified` and the ages tick on in the browser.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, selectinload

from escalation import callflow
from escalation.callflow import Kind, Outcome, State
from escalation.displacement import AT_RISK
from escalation.gaps import Report
from hotline import roster
from hotline.clock import local, zone
from hotline.models import Appointment, Attempt, BillingLine, Engineer, Event, Team, Ticket

WARN_DAYS = 7  # rota gaps and unreachable engineers this far ahead
FALLBACK_HOURS = 24  # calls that fell to the fallback this far back
READINESS_SECONDS = 30  # the rota's readiness is computed at most this often per process
IN_PROGRESS = frozenset(callflow.LIVE | {State.CONNECTED})


@dataclass(frozen=True)
class Emergency:
    """A call still running, or accepted and not yet resolved."""

    ticket: int
    customer: str | None
    state: str
    arrived_at: str
    ringing: list[str]  # whose phone rings now ("Ausfallnummer" for the fallback number)
    accepted_by: str | None
    connected_at: str | None
    waited_seconds: int | None  # arrival to acceptance; None while the caller still waits
    call_ended: bool


@dataclass(frozen=True)
class Callback:
    """A voicemail nobody has taken the call-back of yet."""

    ticket: int
    customer: str | None
    caller: str | None  # only for those who may see caller data
    since: str
    seconds: int | None


@dataclass(frozen=True)
class Unassigned:
    """An accepted emergency without a customer: it cannot be billed until one is assigned."""

    ticket: int
    arrived_at: str
    accepted_by: str | None
    resolved: bool


@dataclass(frozen=True)
class Warning:
    """Something that will make a call fail, or made one go the fallback way."""

    kind: str  # gap | unreachable | fallback
    starts_at: str
    ends_at: str | None = None
    team: str | None = None  # a team's name; None for a gap of the cross-team pool
    engineer: str | None = None
    reason: str | None = None  # unreachable: "no usable mobile" | "inactive" | ...
    ticket: int | None = None  # fallback: the ticket of the call


@dataclass(frozen=True)
class Board:
    now: str
    emergencies: list[Emergency] = field(default_factory=list)
    callbacks: list[Callback] = field(default_factory=list)
    unassigned: list[Unassigned] = field(default_factory=list)
    at_risk: int = 0
    next_at_risk: str | None = None  # the earliest start of an appointment at risk
    warnings: list[Warning] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"version": self.version, **asdict(self)}

    @property
    def version(self) -> str:
        """A digest of the board without the clock: unchanged while nothing on it changed."""
        content = asdict(self)
        content.pop("now")
        raw = json.dumps(content, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(raw).hexdigest()[:24]


def assemble(session: Session, now: datetime, caller_data: bool) -> Board:
    """Everything the board shows at `now`; caller numbers only with `caller_data`."""
    where = zone(session)

    def shown(at: datetime | None) -> str | None:
        return local(at, where).replace(microsecond=0).isoformat() if at else None

    next_risk = session.scalar(
        select(func.min(Appointment.starts_at)).where(Appointment.status == AT_RISK)
    )
    return Board(
        now=shown(now) or "",
        emergencies=_emergencies(session, shown),
        callbacks=_callbacks(session, shown, caller_data),
        unassigned=_unassigned(session, shown),
        at_risk=session.scalar(
            select(func.count(Appointment.id)).where(Appointment.status == AT_RISK)
        )
        or 0,
        next_at_risk=shown(next_risk),
        warnings=_readiness(session, now, where) + _fallbacks(session, now, shown),
    )


def _emergencies(session: Session, shown: Any) -> list[Emergency]:
    found = session.scalars(
        select(Ticket)
        .where(Ticket.resolved_at.is_(None), Ticket.state.in_(IN_PROGRESS))
        .options(
            selectinload(Ticket.attempts).selectinload(Attempt.engineer),
            selectinload(Ticket.customer),
            selectinload(Ticket.accepted_by),
        )
        .order_by(Ticket.arrived_at, Ticket.id)
    ).all()
    return [
        Emergency(
            ticket=t.id,
            customer=t.customer.name if t.customer else None,
            state=t.state,
            arrived_at=shown(t.arrived_at),
            ringing=[
                a.engineer.name if a.engineer else "Ausfallnummer"
                for a in t.attempts
                if a.outcome == Outcome.RINGING and a.ended_at is None and t.ended_at is None
            ],
            accepted_by=t.accepted_by.name if t.accepted_by else None,
            connected_at=shown(t.accepted_at),
            waited_seconds=int((t.accepted_at - t.arrived_at).total_seconds())
            if t.accepted_at
            else None,
            call_ended=t.ended_at is not None,
        )
        for t in found
    ]


def _callbacks(session: Session, shown: Any, caller_data: bool) -> list[Callback]:
    found = session.scalars(
        select(Ticket)
        .where(
            Ticket.state == State.CALLBACK_PENDING,
            Ticket.acknowledged_at.is_(None),
            Ticket.resolved_at.is_(None),
        )
        .options(selectinload(Ticket.customer))
        .order_by(func.coalesce(Ticket.ended_at, Ticket.arrived_at), Ticket.id)
    ).all()
    return [
        Callback(
            ticket=t.id,
            customer=t.customer.name if t.customer else None,
            caller=(t.from_number or t.from_raw) if caller_data else None,
            since=shown(t.ended_at or t.arrived_at),
            seconds=t.voicemail_seconds,
        )
        for t in found
    ]


def _unassigned(session: Session, shown: Any) -> list[Unassigned]:
    found = session.scalars(
        select(Ticket)
        .where(
            Ticket.customer_id.is_(None),
            Ticket.accepted_at.is_not(None),
            ~select(BillingLine.id).where(BillingLine.ticket_id == Ticket.id).exists(),
        )
        .options(selectinload(Ticket.accepted_by))
        .order_by(Ticket.arrived_at, Ticket.id)
    ).all()
    return [
        Unassigned(
            ticket=t.id,
            arrived_at=shown(t.arrived_at),
            accepted_by=t.accepted_by.name if t.accepted_by else None,
            resolved=t.resolved_at is not None,
        )
        for t in found
    ]


_cache_lock = threading.Lock()


def _readiness(session: Session, now: datetime, where: ZoneInfo) -> list[Warning]:
    """Rota gaps and on-call engineers without a usable number in the next `WARN_DAYS` days.

    Walking a week of the rota takes tens of milliseconds; every open board polls every few
    seconds, so the answer is kept for `READINESS_SECONDS` per app (a rota change shows within
    that). Computed with `now` as the clock says, so an injected clock in tests is honoured.
    """
    cache = current_app.extensions.setdefault("hotline.board", {})
    with _cache_lock:
        kept = cache.get("readiness")
        if kept and timedelta(0) <= now - kept[0] < timedelta(seconds=READINESS_SECONDS):
            return list(kept[1])
    report = roster.gap_report(session, now, now + timedelta(days=WARN_DAYS))
    warnings = _readiness_warnings(session, report, where)
    with _cache_lock:
        cache["readiness"] = (now, warnings)
    return list(warnings)


def _readiness_warnings(session: Session, report: Report, where: ZoneInfo) -> list[Warning]:
    def shown(at: datetime) -> str:
        return local(at, where).replace(microsecond=0).isoformat()

    teams = dict(session.execute(select(Team.key, Team.name)).tuples().all())
    names = dict(session.execute(select(Engineer.key, Engineer.name)).tuples().all())
    warnings = [
        Warning(
            "gap",
            shown(g.starts_at),
            shown(g.ends_at),
            team=teams.get(g.team, g.team) if g.team else None,
        )  # fmt: skip
        for g in report.gaps
    ]
    seen: set[tuple[str, str]] = set()
    for u in sorted(report.unreachable, key=lambda u: u.starts_at):
        if (u.team, u.engineer) in seen:
            continue  # one warning per engineer and team: their first shift
        seen.add((u.team, u.engineer))
        warnings.append(
            Warning(
                "unreachable",
                shown(u.starts_at),
                shown(u.ends_at),
                team=teams.get(u.team, u.team),
                engineer=names.get(u.engineer, u.engineer),
                reason=u.reason,
            )  # fmt: skip
        )
    return warnings


def _fallbacks(session: Session, now: datetime, shown: Any) -> list[Warning]:
    """Calls of the last `FALLBACK_HOURS` that went the fallback path (a fault) or walked their
    chain down to the fallback number (nobody on the rota took them)."""
    since = now - timedelta(hours=FALLBACK_HOURS)
    faults = session.execute(
        select(Event.ticket_id, func.min(Event.at))
        .where(Event.kind == Kind.FALLBACK, Event.at >= since)
        .group_by(Event.ticket_id)
    ).tuples()
    walked = session.execute(
        select(Attempt.ticket_id, func.min(Attempt.started_at))
        .where(and_(Attempt.level == "fallback", Attempt.started_at >= since))
        .group_by(Attempt.ticket_id)
    ).tuples()
    found: dict[int, tuple[datetime, str]] = {}
    for ticket_id, at in walked:
        found[ticket_id] = (at, "chain")
    for ticket_id, at in faults:
        found[ticket_id] = (at, "fault")  # a fault says more than where the chain ended
    return [
        Warning("fallback", shown(at), ticket=ticket_id, reason=how)
        for ticket_id, (at, how) in sorted(found.items(), key=lambda item: (item[1][0], item[0]))
    ]

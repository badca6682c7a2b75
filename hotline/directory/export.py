"""Exporting the directory: the database in the import's shape, so export -> import is a no-op.

Times are written as wall-clock times in the provider's zone, numbers as people write them.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from escalation.rota import instant, wall
from hotline.directory.read import FIELDS, MONEY
from hotline.models import (
    Absence,
    Appointment,
    Customer,
    Engineer,
    Override,
    Provider,
    Rotation,
    Team,
)
from hotline.phones import international


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    """Leave out what is unset, so the file shows only what was said."""
    return {k: v for k, v in values.items() if v is not None and v != [] and v != {}}


def _written(number: str | None) -> str | None:
    return international(number) if number else None


def _amount(value: Decimal, money: bool) -> str | int:
    """Money as "120.00"; hours and percent as the plain number (10, 7.5)."""
    if money:
        return f"{value:.2f}"
    plain = value.normalize()
    return int(plain) if plain == plain.to_integral_value() else str(plain)


def wall_clock(at: datetime, zone: ZoneInfo) -> str:
    """A wall-clock time in the provider's zone; with its offset only where the clock repeats."""
    local = wall(at, zone)
    spec = "minutes" if not local.second and not local.microsecond else "seconds"
    if instant(local, zone) != at:  # the second occurrence of an autumn hour
        return at.astimezone(zone).isoformat(timespec=spec)
    return local.isoformat(timespec=spec)


def _day_or_time(at: datetime, zone: ZoneInfo, until: bool) -> str:
    """Absences: whole days as dates (`until` is the last day off), anything else as a time."""
    local = wall(at, zone)
    if local.time() == time() and instant(local, zone) == at:
        return (local.date() - timedelta(days=1 if until else 0)).isoformat()
    return wall_clock(at, zone)


def export_directory(session: Session) -> dict[str, Any]:
    """The database as a directory dict in the import's shape (export -> import changes nothing)."""
    provider = Provider.one(session)
    zone = ZoneInfo(provider.timezone if provider else "Europe/Berlin")
    teams = session.scalars(select(Team).order_by(Team.key)).all()
    engineers = session.scalars(select(Engineer).order_by(Engineer.key)).all()
    team_key = {t.id: t.key for t in teams}
    engineer_key = {e.id: e.key for e in engineers}
    customers = session.scalars(
        select(Customer)
        .options(selectinload(Customer.phones), selectinload(Customer.contract))
        .order_by(Customer.number)
    ).all()
    customer_number = {c.id: c.number for c in customers}
    out: dict[str, Any] = {}
    if provider:
        out["provider"] = _compact(
            {
                "name": provider.name,
                "central_number": _written(provider.central_number),
                "fallback_number": _written(provider.fallback_number),
                "office_number": _written(provider.office_number),
                "support_email": provider.support_email,
                "timezone": provider.timezone,
                "holiday_region": provider.holiday_region,
                "policy": provider.policy,
                "settings": provider.settings,
            }
        )
    out["teams"] = [
        _compact(
            {
                "key": t.key,
                "name": t.name,
                "project_lead": engineer_key.get(t.project_lead_id),
                "policy": t.policy,
            }
        )
        for t in teams
    ]
    out["engineers"] = [
        _compact(
            {
                "key": e.key,
                "name": e.name,
                "team": team_key.get(e.team_id),
                "role": e.role,
                "mobile": _written(e.mobile),
                "email": e.email,
                "active": None if e.active else False,
            }
        )
        for e in engineers
    ]
    out["customers"] = [
        _compact(
            {
                "number": c.number,
                "name": c.name,
                "team": team_key.get(c.team_id),
                "contact": engineer_key.get(c.contact_id),
                "language": c.language,
                "pin": c.pin,
                "email": c.email,
                "sms_number": _written(c.sms_number),
                "phones": [
                    _compact({p.kind: _written(p.value) if p.kind == "number" else p.value})
                    | _compact({"label": p.label})
                    for p in c.phones
                ],
                "contract": c.contract
                and _compact(
                    {
                        name: _amount(getattr(c.contract, name), name in MONEY)
                        if isinstance(getattr(c.contract, name), Decimal)
                        else getattr(c.contract, name)
                        for name in sorted(FIELDS["contract"])
                    }
                ),
            }
        )
        for c in customers
    ]
    latest: dict[str, Rotation] = {}  # the last version: what the last import said
    for row in session.scalars(
        select(Rotation).options(selectinload(Rotation.members)).order_by(Rotation.id)
    ):
        latest[row.key] = row
    rotations = [r for _, r in sorted(latest.items()) if r.valid_until is None]
    out["rotations"] = [
        _compact(
            {
                "key": r.key,
                "team": team_key[r.team_id],
                "layer": r.layer,
                "members": [engineer_key[m.engineer_id] for m in r.members],
                "shift": r.shift,
                "handoff": r.handoff,
                "start": r.start.isoformat(),
                "restriction": r.restriction,
            }
        )
        for r in rotations
    ]
    overrides = session.scalars(select(Override).order_by(Override.starts_at, Override.id))
    out["overrides"] = [
        _compact(
            {
                "engineer": engineer_key[o.engineer_id],
                "replaces": engineer_key.get(o.replaces_id),
                "team": team_key[o.team_id],
                "layer": o.layer,
                "from": wall_clock(o.starts_at, zone),
                "until": wall_clock(o.ends_at, zone),
            }
        )
        for o in overrides
    ]
    absences = session.scalars(select(Absence).order_by(Absence.starts_at, Absence.id))
    out["absences"] = [
        _compact(
            {
                "engineer": engineer_key[a.engineer_id],
                "from": _day_or_time(a.starts_at, zone, until=False),
                "until": _day_or_time(a.ends_at, zone, until=True),
                "reason": a.reason,
            }
        )
        for a in absences
    ]
    appointments = session.scalars(
        select(Appointment).order_by(Appointment.starts_at, Appointment.key)
    )
    out["appointments"] = [
        _compact(
            {
                "key": a.key,
                "engineer": engineer_key[a.engineer_id],
                "customer": customer_number.get(a.customer_id),
                "start": wall_clock(a.starts_at, zone),
                "end": wall_clock(a.ends_at, zone),
                "title": a.title or None,
                "onsite": a.onsite,
            }
        )
        for a in appointments
    ]
    return out


def dump(data: dict[str, Any]) -> str:
    """A directory dict as YAML text, umlauts as they are."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def export_file(session: Session, path: str | Path) -> None:
    Path(path).write_text(dump(export_directory(session)), encoding="utf-8")

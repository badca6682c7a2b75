"""Overrides and absences made by people (the API, the pages), between two directory imports.

They are the same rows the import writes, under the same rule (docs/rota.md, "History is
fact"): what is over stays as it was, so a change may not lie wholly in the past, and taking
one back removes it only if it has not begun; one running is ended now. The next import of
the directory says again what holds from then on: export first to keep these.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from escalation import rota
from hotline.models import Absence, Engineer, Override, Team


class RotaError(ValueError):
    """A change the rota's rules do not allow; the message says why."""


def _period(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    if ends_at <= starts_at:
        raise RotaError("the end must come after the start")
    if ends_at <= now:
        raise RotaError("the period is over: the rota's past is kept as it was")


def add_override(
    session: Session,
    team: Team,
    layer: str,
    engineer: Engineer,
    replaces: Engineer | None,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
) -> Override:
    """`engineer` is on call for `team`'s `layer` instead of `replaces` (or, without, too)."""
    if layer not in rota.LAYERS:
        raise RotaError(f"layer {layer!r}: one of {', '.join(rota.LAYERS)}")
    if not engineer.active:
        raise RotaError(f"{engineer.key} is inactive")
    if replaces is not None and replaces.id == engineer.id:
        raise RotaError(f"{engineer.key} cannot replace themselves")
    _period(starts_at, ends_at, now)
    override = Override(team=team, layer=layer, engineer=engineer, replaces=replaces,
                        starts_at=starts_at, ends_at=ends_at)  # fmt: skip
    session.add(override)
    session.flush()
    return override


def add_absence(
    session: Session,
    engineer: Engineer,
    starts_at: datetime,
    ends_at: datetime,
    reason: str | None,
    now: datetime,
) -> Absence:
    """`engineer` is off every rota for the period; the next member covers."""
    _period(starts_at, ends_at, now)
    absence = Absence(engineer=engineer, starts_at=starts_at, ends_at=ends_at, reason=reason)
    session.add(absence)
    session.flush()
    return absence


def withdraw(session: Session, row: Override | Absence, now: datetime) -> str:
    """Take an override or absence back: `removed` before it began, `ended` (now) while it
    runs; one that is over is history and stays (RotaError)."""
    fate = rota.unlisted(row.starts_at, row.ends_at, now)
    if fate == "kept":
        raise RotaError("it is over: the rota's past is kept as it was")
    if fate == "ended":
        row.ends_at = now
    else:
        session.delete(row)
    return fate

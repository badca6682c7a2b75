"""Overrides and absences: list, create, take back (hotline/rota_changes.py decides)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, TypeVar
from zoneinfo import ZoneInfo

from pydantic import Field
from sqlalchemy import select

from escalation.access import Permission
from hotline import clock, db, rota_changes
from hotline.api.operation import operation
from hotline.api.problems import FieldError, Refused
from hotline.api.types import TIME_HELP, Answer, Body, Instant, Key, Query, Text, shown
from hotline.models import Absence, Engineer, Override, Team
from hotline.web import access
from hotline.web.access import Who


class OverrideAnswer(Answer):
    id: int
    team: str = Field(description="the team's key")
    layer: Literal["primary", "secondary"]
    engineer: str = Field(description="the engineer on call instead")
    replaces: str | None = Field(description="the engineer replaced; null: added")
    starts_at: datetime
    ends_at: datetime


class AbsenceAnswer(Answer):
    id: int
    engineer: str
    starts_at: datetime
    ends_at: datetime
    reason: str | None


class OverrideList(Answer):
    overrides: list[OverrideAnswer] = Field(description="by start")


class AbsenceList(Answer):
    absences: list[AbsenceAnswer] = Field(description="by start")


class Withdrawn(Answer):
    id: int
    result: Literal["removed", "ended"] = Field(
        description="`removed`: it had not begun; `ended`: it was running and ends now"
    )


class PeriodQuery(Query):
    since: Instant | None = Field(
        None, alias="from", description=f"those ending after this (default now); {TIME_HELP}"
    )
    until: Instant | None = Field(None, description=f"those starting before this; {TIME_HELP}")


class OverrideQuery(PeriodQuery):
    team: Key | None = Field(None, description="only this team's")


class AbsenceQuery(PeriodQuery):
    engineer: Key | None = Field(None, description="only this engineer's")


class NewOverride(Body):
    team: Key = Field(description="the team's key")
    layer: Literal["primary", "secondary"] = "primary"
    engineer: Key = Field(description="the engineer on call instead")
    replaces: Key | None = Field(None, description="the engineer replaced; without: added")
    starts_at: Instant = Field(alias="from", description=TIME_HELP)
    ends_at: Instant = Field(alias="until", description=f"after `from`, not past; {TIME_HELP}")


class NewAbsence(Body):
    engineer: Key = Field(description="the engineer who is away")
    starts_at: Instant = Field(alias="from", description=TIME_HELP)
    ends_at: Instant = Field(alias="until", description=f"after `from`, not past; {TIME_HELP}")
    reason: Text(64) | None = Field(None, description="e.g. vacation, sick")


def _override(o: Override, zone: ZoneInfo) -> OverrideAnswer:
    return OverrideAnswer(
        id=o.id,
        team=o.team.key,
        layer=o.layer,  # type: ignore[arg-type]
        engineer=o.engineer.key,
        replaces=o.replaces.key if o.replaces else None,
        starts_at=shown(o.starts_at, zone),
        ends_at=shown(o.ends_at, zone),
    )


def _absence(a: Absence, zone: ZoneInfo) -> AbsenceAnswer:
    return AbsenceAnswer(
        id=a.id,
        engineer=a.engineer.key,
        starts_at=shown(a.starts_at, zone),
        ends_at=shown(a.ends_at, zone),
        reason=a.reason,
    )


Row = TypeVar("Row", Team, Engineer)


def _found(model: type[Row], key: str, field: str) -> Row:
    """A team or engineer named in the body, or 422 naming the field."""
    row = db.session().scalar(select(model).where(model.key == key))
    if row is None:
        what = "team" if model is Team else "engineer"
        raise Refused(
            422,
            f"There is no {what} {key!r}.",
            [FieldError(loc=["body", field], msg=f"no such {what}")],
        )
    return row


def _refused(exc: rota_changes.RotaError) -> Refused:
    return Refused(422, str(exc))


@operation(
    "GET",
    "/overrides",
    tag="rota",
    permission=Permission.ROTA,
    query=OverrideQuery,
    answer=OverrideList,
)
def overrides(who: Who, query: OverrideQuery) -> OverrideList:
    """The overrides from now on (or in a period), by start"""
    session = db.session()
    chosen = select(Override).where(Override.ends_at > (query.since or clock.now()))
    if query.until is not None:
        chosen = chosen.where(Override.starts_at < query.until)
    if query.team is not None:
        chosen = chosen.join(Team, Team.id == Override.team_id).where(Team.key == query.team)
    zone = clock.zone(session)
    found = session.scalars(chosen.order_by(Override.starts_at, Override.id))
    return OverrideList(overrides=[_override(o, zone) for o in found])


@operation(
    "POST",
    "/overrides",
    tag="rota",
    permission=Permission.EDIT_ROTA,
    body=NewOverride,
    answer=OverrideAnswer,
    status=201,
)
def create_override(who: Who, body: NewOverride) -> OverrideAnswer:
    """Put an engineer on a team's rota instead of another (or in addition) for a period

    The same row a directory import writes; the next import of a file that does not list it
    ends it (export the directory first to keep it).
    """
    session = db.session()
    team = _found(Team, body.team, "team")
    engineer = _found(Engineer, body.engineer, "engineer")
    replaces = _found(Engineer, body.replaces, "replaces") if body.replaces else None
    try:
        made = rota_changes.add_override(
            session, team, body.layer, engineer, replaces, body.starts_at, body.ends_at, clock.now()
        )
    except rota_changes.RotaError as exc:
        raise _refused(exc) from None
    access.audit("create override", f"override {made.id}", team=team.key, engineer=engineer.key)
    session.commit()
    return _override(made, clock.zone(session))


@operation(
    "DELETE",
    "/overrides/<id:override_id>",
    tag="rota",
    permission=Permission.EDIT_ROTA,
    answer=Withdrawn,
    errors=(409,),
)
def delete_override(who: Who, override_id: int) -> Withdrawn:
    """Take an override back: removed if it has not begun, ended now if it runs

    One that is over is history and stays (409).
    """
    return _withdraw(Override, override_id, "override")


@operation(
    "GET",
    "/absences",
    tag="rota",
    permission=Permission.ROTA,
    query=AbsenceQuery,
    answer=AbsenceList,
)
def absences(who: Who, query: AbsenceQuery) -> AbsenceList:
    """The absences from now on (or in a period), by start"""
    session = db.session()
    chosen = select(Absence).where(Absence.ends_at > (query.since or clock.now()))
    if query.until is not None:
        chosen = chosen.where(Absence.starts_at < query.until)
    if query.engineer is not None:
        chosen = chosen.join(Engineer, Engineer.id == Absence.engineer_id).where(
            Engineer.key == query.engineer
        )
    zone = clock.zone(session)
    found = session.scalars(chosen.order_by(Absence.starts_at, Absence.id))
    return AbsenceList(absences=[_absence(a, zone) for a in found])


@operation(
    "POST",
    "/absences",
    tag="rota",
    permission=Permission.EDIT_ROTA,
    body=NewAbsence,
    answer=AbsenceAnswer,
    status=201,
)
def create_absence(who: Who, body: NewAbsence) -> AbsenceAnswer:
    """Take an engineer off every rota for a period (vacation, sickness)

    The next member of each rotation covers. Like an override, the next directory import of a
    file that does not list it ends it.
    """
    session = db.session()
    engineer = _found(Engineer, body.engineer, "engineer")
    try:
        made = rota_changes.add_absence(
            session, engineer, body.starts_at, body.ends_at, body.reason, clock.now()
        )
    except rota_changes.RotaError as exc:
        raise _refused(exc) from None
    access.audit("create absence", f"absence {made.id}", engineer=engineer.key)
    session.commit()
    return _absence(made, clock.zone(session))


@operation(
    "DELETE",
    "/absences/<id:absence_id>",
    tag="rota",
    permission=Permission.EDIT_ROTA,
    answer=Withdrawn,
    errors=(409,),
)
def delete_absence(who: Who, absence_id: int) -> Withdrawn:
    """Take an absence back: removed if it has not begun, ended now if it runs

    One that is over is history and stays (409).
    """
    return _withdraw(Absence, absence_id, "absence")


def _withdraw(model: type[Override] | type[Absence], row_id: int, what: str) -> Withdrawn:
    session = db.session()
    row = session.get(model, row_id)
    if row is None:
        raise Refused(404, f"There is no {what} {row_id}.")
    try:
        result = rota_changes.withdraw(session, row, clock.now())
    except rota_changes.RotaError as exc:
        raise Refused(409, str(exc)) from None
    access.audit(f"delete {what}", f"{what} {row_id}", result=result)
    session.commit()
    return Withdrawn(id=row_id, result=result)  # type: ignore[arg-type]

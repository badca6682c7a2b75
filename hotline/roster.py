"""The rota service the rest of the app calls: database rows in, escalation/ decisions out."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from escalation import chain, gaps, regions, rota, wallclock
from hotline import appointments
from hotline import models as m


def load_rota(session: Session, start: datetime, end: datetime | None = None) -> rota.Rota:
    """The rota for [start, end] (end None: the instant): the rotation versions in force then
    and the overrides and absences touching it.

    Plain column tuples rather than ORM objects: this runs inside every voice request.
    """
    end = end or start
    row = m.Provider.one(session)
    engineers = dict(session.execute(select(m.Engineer.id, m.Engineer.key)).tuples().all())
    teams = dict(session.execute(select(m.Team.id, m.Team.key)).tuples().all())
    team_regions = session.execute(
        select(m.Team.key, m.Team.holiday_region).where(m.Team.holiday_region.is_not(None))
    ).tuples()
    RO, RM, OV, AB = m.Rotation, m.RotationMember, m.Override, m.Absence
    # A rotation keeps the place of its first version, so an edit does not reorder the rota.
    first = select(RO.key, func.min(RO.id).label("id")).group_by(RO.key).subquery()
    in_force = (
        or_(RO.valid_from.is_(None), RO.valid_from <= end),
        or_(RO.valid_until.is_(None), RO.valid_until > start),
    )
    rotations = session.execute(
        select(RO.id, RO.key, RO.team_id, RO.layer, RO.shift, RO.handoff, RO.start)
        .add_columns(RO.restriction, RO.valid_from, RO.valid_until)
        .join(first, first.c.key == RO.key)
        .where(*in_force)
        .order_by(first.c.id, RO.id)
    ).all()
    members: dict[int, list[str]] = {}
    for rotation_id, engineer_id in session.execute(
        select(RM.rotation_id, RM.engineer_id)
        .join(RO, RO.id == RM.rotation_id)
        .where(*in_force)
        .order_by(RM.rotation_id, RM.position)
    ).tuples():
        members.setdefault(rotation_id, []).append(engineers[engineer_id])
    overrides = session.execute(
        select(OV.team_id, OV.layer, OV.engineer_id, OV.replaces_id, OV.starts_at, OV.ends_at)
        .where(OV.starts_at <= end, OV.ends_at > start)
        .order_by(OV.starts_at, OV.id)
    ).tuples()
    absences = session.execute(
        select(AB.engineer_id, AB.starts_at, AB.ends_at, AB.reason)
        .where(AB.starts_at <= end, AB.ends_at > start)
        .order_by(AB.starts_at, AB.id)
    ).tuples()
    return rota.Rota(
        rotations=tuple(
            rota.Rotation(
                key=r.key,
                team=teams[r.team_id],
                layer=r.layer,
                members=tuple(members.get(r.id, ())),
                shift=rota.parse_shift(r.shift),
                handoff=rota.parse_handoff(r.handoff),
                start=r.start,
                restriction=rota.parse_restriction(r.restriction),
                valid_from=r.valid_from,
                valid_until=r.valid_until,
            )
            for r in rotations
        ),
        overrides=tuple(
            rota.Override(
                teams[team_id],
                layer,
                engineers[engineer_id],
                engineers[replaces_id] if replaces_id else None,
                starts_at,
                ends_at,
            )
            for team_id, layer, engineer_id, replaces_id, starts_at, ends_at in overrides
        ),
        absences=tuple(
            rota.Absence(engineers[engineer_id], starts_at, ends_at, reason or "absent")
            for engineer_id, starts_at, ends_at, reason in absences
        ),
        zone=wallclock.zone(row.timezone if row else None),
        region=row.holiday_region if row and row.holiday_region else regions.DEFAULT,
        team_regions=tuple(sorted(team_regions)),
    )


def on_call(session: Session, at: datetime, team: str | None = None) -> list[rota.OnCall]:
    """Who is on call at `at`, for every team (or one)."""
    found = load_rota(session, at).on_call(at)
    return [o for o in found if team is None or o.team == team]


def people(session: Session) -> dict[str, chain.Person]:
    rows = session.scalars(select(m.Engineer)).all()
    return {
        e.key: chain.Person(
            e.key, e.name, e.mobile, e.active, e.last_called_at,
            tuple(chain.Phone(p["number"], p.get("label")) for p in e.phones or ()),
        )
        for e in rows
    }  # fmt: skip


def engineer_with(session: Session, number: str) -> m.Engineer | None:
    """The engineer one of whose phones `number` is (the mobile first)."""
    rows = session.scalars(select(m.Engineer).order_by(m.Engineer.id)).all()
    return next((e for e in rows if e.mobile == number), None) or next(
        (e for e in rows if number in e.numbers()), None
    )


def displaced(session: Session, keys: set[str], at: datetime, window: timedelta) -> dict[str, int]:
    """Planned appointments per engineer overlapping [at, at + window]: the window an emergency
    accepted at `at` is expected to take (`appointments.expected`), as the displacement check
    will compute it."""
    if not keys:
        return {}
    rows = session.execute(
        select(m.Engineer.key, func.count(m.Appointment.id))
        .join(m.Appointment, m.Appointment.engineer_id == m.Engineer.id)
        .where(
            m.Engineer.key.in_(keys),
            m.Appointment.status == "planned",
            m.Appointment.starts_at < at + window,
            m.Appointment.ends_at > at,
        )
        .group_by(m.Engineer.key)
    ).tuples()
    return dict(rows.all())


def chain_for(session: Session, customer: m.Customer | None, at: datetime) -> chain.Chain:
    """The chain a call from `customer` (None: unidentified) walks at `at`."""
    row = m.Provider.one(session)
    team = customer.team if customer else None
    policy = chain.effective_policy(row.policy if row else None, team.policy if team else None)
    current = load_rota(session, at)
    found = current.on_call(at)
    lead = team.project_lead.key if team and team.project_lead else None
    involved = {o.engineer for o in found} | ({lead} if lead else set())
    configured = current_app.config.get("HOTLINE_FALLBACK_NUMBER")
    fallback = configured or (row.fallback_number if row else None)
    absent = {}
    for key in involved:
        absence = current.absence(key, at)
        if absence:
            absent[key] = absence.reason
    return chain.build(
        chain.Situation(
            at=at,
            team=team.key if team else None,
            on_call=found,
            people=people(session),
            project_lead=lead,
            fallback=fallback,
            fallback_reason="fallback number from the settings"
            if configured
            else "the provider's fallback number",
            policy=policy,
            ring_timeout=current_app.config["HOTLINE_RING_TIMEOUT"],
            absent=absent,
            displaced=displaced(session, involved, at, appointments.expected(session, customer)),
        )
    )


def shifts(
    session: Session,
    start: datetime,
    end: datetime,
    team: str | None = None,
    engineer: str | None = None,
) -> list[rota.Shift]:
    """On-call stretches in [start, end), for one team or one engineer or everybody."""
    current = load_rota(session, start, end)
    if team is not None:
        current = current.for_team(team)
    found = current.shifts(start, end)
    return [s for s in found if engineer is None or s.engineer == engineer]


def gap_report(session: Session, start: datetime, end: datetime) -> gaps.Report:
    """Holes in the rota in [start, end): teams and pool without anyone, unusable numbers."""
    teams = session.scalars(select(m.Team.key).order_by(m.Team.key)).all()
    return gaps.report(load_rota(session, start, end), list(teams), people(session), start, end)

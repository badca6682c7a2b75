"""Who is on call, per team, and the escalation chain a call would walk (hotline/roster.py)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from sqlalchemy import select

from escalation import chain
from escalation.access import Permission
from hotline import clock, db, roster
from hotline.api.operation import operation
from hotline.api.problems import FieldError, Refused
from hotline.api.types import TIME_HELP, Answer, Instant, Key, Number, Query, shown
from hotline.models import Customer, Team
from hotline.web.access import Who


class ChainEntry(Answer):
    """One phone the call rings, in order."""

    level: str = Field(description="own-primary, own-secondary, pool, project-lead or fallback")
    engineer: str | None = Field(description="the engineer's key; null for the fallback number")
    name: str
    number: str = Field(description="E.164, the number dialled")
    timeout: int = Field(description="seconds it rings")
    reason: str = Field(description="why it is in the chain")


class ChainSkip(Answer):
    """Someone the chain would have held, and why not."""

    level: str
    engineer: str
    reason: str


class ChainAnswer(Answer):
    at: datetime = Field(description="the time asked for, in the provider's zone")
    customer: str | None = Field(description="the customer number; null: an unidentified caller")
    entries: list[ChainEntry]
    skipped: list[ChainSkip]


def chain_answer(found: chain.Chain) -> tuple[list[ChainEntry], list[ChainSkip]]:
    return (
        [ChainEntry(**vars(e)) for e in found.entries],
        [ChainSkip(**vars(s)) for s in found.skipped],
    )


class OnCallPerson(Answer):
    layer: str = Field(description="primary or secondary")
    engineer: str = Field(description="the engineer's key")
    name: str
    mobile: str | None = Field(description="E.164; null: none usable, the chain skips them")
    reason: str = Field(description="why: the rotation, an override, an absence covered")


class TeamOnCall(Answer):
    team: str = Field(description="the team's key")
    name: str
    on_call: list[OnCallPerson] = Field(description="empty: nobody on call for this team")


class OnCallAnswer(Answer):
    at: datetime = Field(description="the time asked for, in the provider's zone")
    zone: str = Field(description="the provider's time zone, e.g. Europe/Berlin")
    teams: list[TeamOnCall]


class OnCallQuery(Query):
    at: Instant | None = Field(None, description=f"default now; {TIME_HELP}")
    team: Key | None = Field(None, description="only this team (its key)")


class ChainQuery(Query):
    customer: Number | None = Field(
        None, description="the customer number; without it, the chain of an unidentified caller"
    )
    at: Instant | None = Field(None, description=f"default now; {TIME_HELP}")


@operation(
    "GET", "/oncall", tag="rota", permission=Permission.ROTA, query=OnCallQuery, answer=OnCallAnswer
)
def oncall(who: Who, query: OnCallQuery) -> OnCallAnswer:
    """Who is on call now (or at a time), per team and layer, and why"""
    session = db.session()
    zone = clock.zone(session)
    at = query.at or clock.now()
    teams = session.scalars(select(Team).order_by(Team.key)).all()
    if query.team is not None:
        teams = [t for t in teams if t.key == query.team]
        if not teams:
            raise Refused(
                422,
                f"There is no team {query.team!r}.",
                [FieldError(loc=["query", "team"], msg="no such team")],
            )
    people = roster.people(session)
    found = roster.on_call(session, at, query.team)
    return OnCallAnswer(
        at=shown(at, zone),
        zone=zone.key,
        teams=[
            TeamOnCall(
                team=team.key,
                name=team.name,
                on_call=[
                    OnCallPerson(
                        layer=o.layer,
                        engineer=o.engineer,
                        name=people[o.engineer].name if o.engineer in people else o.engineer,
                        mobile=people[o.engineer].mobile if o.engineer in people else None,
                        reason=o.reason,
                    )
                    for o in found
                    if o.team == team.key
                ],
            )
            for team in teams
        ],
    )


@operation(
    "GET", "/chain", tag="rota", permission=Permission.ROTA, query=ChainQuery, answer=ChainAnswer
)
def chain_at(who: Who, query: ChainQuery) -> ChainAnswer:
    """The escalation chain a call from a customer (or an unidentified caller) would walk

    The phones in the order they would ring at that time, with the people skipped and why.
    """
    session = db.session()
    customer = None
    if query.customer is not None:
        customer = session.scalar(select(Customer).where(Customer.number == query.customer))
        if customer is None:
            raise Refused(
                422,
                f"There is no customer {query.customer!r}.",
                [FieldError(loc=["query", "customer"], msg="no such customer")],
            )
    at = query.at or clock.now()
    entries, skipped = chain_answer(roster.chain_for(session, customer, at))
    return ChainAnswer(
        at=shown(at, clock.zone(session)),
        customer=query.customer,
        entries=entries,
        skipped=skipped,
    )

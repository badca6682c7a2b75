"""Appointments: the list (at risk first), one with its suggested slots, and the dispatcher's
decision on it: keep, reassign, reschedule or cancel, through the services the command line
uses (hotline/appointments.py), which tell the customer when it moves or is cancelled."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, RootModel
from sqlalchemy import select

from escalation.access import Permission
from hotline import appointments, clock, db
from hotline.api.operation import operation
from hotline.api.problems import FieldError, Refused
from hotline.api.types import TIME_HELP, Answer, Body, Instant, Key, Query, shown
from hotline.models import Appointment, Engineer
from hotline.web import access
from hotline.web.access import Who

Status = Literal["planned", "at_risk", "kept", "reassigned", "rescheduled", "cancelled"]


class AppointmentAnswer(Answer):
    id: int
    key: str = Field(description="its id in the calendar it came from")
    engineer: str = Field(description="the engineer's key")
    customer: str | None = Field(description="the customer number")
    customer_name: str | None
    starts_at: datetime
    ends_at: datetime
    title: str
    onsite: bool = Field(description="at the customer's site (travel counts)")
    status: Status = Field(description="at_risk: an emergency displaced it, a decision waits")
    original_starts_at: datetime | None = Field(description="before it was first rescheduled")


class Slot(Answer):
    """A free slot to reschedule to: `suggestion` is its number for the decision."""

    suggestion: int = Field(ge=1)
    engineer: str
    starts_at: datetime
    ends_at: datetime


class AppointmentDetail(AppointmentAnswer):
    suggestions: list[Slot] = Field(
        description="the earliest free slots of the same engineer, then of the team's others"
    )


class AppointmentList(Answer):
    appointments: list[AppointmentAnswer] = Field(description="at risk first, then by start")


class AppointmentQuery(Query):
    status: Status | None = Field(None, description="only those in this status")
    engineer: Key | None = Field(None, description="only this engineer's")
    past: bool = Field(False, description="include those that have ended")


class Keep(Body):
    action: Literal["keep"] = Field(description="the engineer makes it after all")


class Cancel(Body):
    action: Literal["cancel"] = Field(description="cancelled; the customer is told")


class Reassign(Body):
    action: Literal["reassign"] = Field(description="same time, another engineer")
    engineer: Key = Field(description="the engineer who takes it")


class Reschedule(Body):
    action: Literal["reschedule"] = Field(description="another time; the customer is told")
    suggestion: int | None = Field(
        None, ge=1, le=100, description="the number of a suggested slot (GET the appointment)"
    )
    starts_at: Instant | None = Field(
        None, alias="start", description=f"or a time of your own; {TIME_HELP}"
    )
    engineer: Key | None = Field(None, description="with `start`: another engineer then")


class Decision(
    RootModel[Annotated[Keep | Cancel | Reassign | Reschedule, Field(discriminator="action")]]
):
    """One of four decisions, told apart by `action`."""


def as_answer(a: Appointment, zone: ZoneInfo) -> dict[str, object]:
    return {
        "id": a.id,
        "key": a.key,
        "engineer": a.engineer.key,
        "customer": a.customer.number if a.customer else None,
        "customer_name": a.customer.name if a.customer else None,
        "starts_at": shown(a.starts_at, zone),
        "ends_at": shown(a.ends_at, zone),
        "title": a.title,
        "onsite": a.onsite,
        "status": a.status,
        "original_starts_at": shown(a.original_starts_at, zone) if a.original_starts_at else None,
    }


def _appointment(appointment_id: int) -> Appointment:
    found = db.session().get(Appointment, appointment_id)
    if found is None:
        raise Refused(404, f"There is no appointment {appointment_id}.")
    return found


def _engineer(key: str, field: str) -> Engineer:
    found = db.session().scalar(select(Engineer).where(Engineer.key == key))
    if found is None:
        raise Refused(
            422,
            f"There is no engineer {key!r}.",
            [FieldError(loc=["body", field], msg="no such engineer")],
        )
    return found


def _detail(appointment: Appointment) -> AppointmentDetail:
    session = db.session()
    zone = clock.zone(session)
    found = appointments.suggestions(session, appointment, clock.now())
    return AppointmentDetail(
        **as_answer(appointment, zone),  # type: ignore[arg-type]
        suggestions=[
            Slot(
                suggestion=n,
                engineer=s.engineer.key,
                starts_at=shown(s.starts_at, zone),
                ends_at=shown(s.ends_at, zone),
            )
            for n, s in enumerate(found, start=1)
        ],
    )


@operation(
    "GET",
    "/appointments",
    tag="appointments",
    permission=Permission.APPOINTMENTS,
    query=AppointmentQuery,
    answer=AppointmentList,
)
def appointment_list(who: Who, query: AppointmentQuery) -> AppointmentList:
    """The appointments that have not ended (all with `past`), those at risk first"""
    session = db.session()
    engineer = None
    if query.engineer is not None:
        engineer = session.scalar(select(Engineer).where(Engineer.key == query.engineer))
        if engineer is None:
            raise Refused(
                422,
                f"There is no engineer {query.engineer!r}.",
                [FieldError(loc=["query", "engineer"], msg="no such engineer")],
            )
    found = appointments.listing(
        session, None if query.past else clock.now(), engineer, query.status
    )
    zone = clock.zone(session)
    return AppointmentList(appointments=[AppointmentAnswer(**as_answer(a, zone)) for a in found])  # type: ignore[arg-type]


@operation(
    "GET",
    "/appointments/<id:appointment_id>",
    tag="appointments",
    permission=Permission.APPOINTMENTS,
    answer=AppointmentDetail,
)
def appointment(who: Who, appointment_id: int) -> AppointmentDetail:
    """One appointment with its suggested slots, numbered for a reschedule"""
    return _detail(_appointment(appointment_id))


@operation(
    "POST",
    "/appointments/<id:appointment_id>/decision",
    tag="appointments",
    permission=Permission.APPOINTMENTS,
    body=Decision,
    answer=AppointmentDetail,
    errors=(409,),
)
def decide(who: Who, appointment_id: int, body: Decision) -> AppointmentDetail:
    """Decide on an appointment: keep, reassign, reschedule or cancel

    A rescheduled or cancelled appointment's customer is told (e-mail, SMS where set). A
    decision the appointment's state or the engineer's calendar does not allow is a conflict
    (409): keeping one that is not at risk, a slot that is no longer free.
    """
    session = db.session()
    now = clock.now()
    found = _appointment(appointment_id)
    chosen = body.root
    try:
        if isinstance(chosen, Keep):
            appointments.keep(session, found, now)
        elif isinstance(chosen, Cancel):
            appointments.cancel(session, found, now)
        elif isinstance(chosen, Reassign):
            appointments.reassign(session, found, _engineer(chosen.engineer, "engineer"), now)
        else:
            start, engineer = _slot(found, chosen)
            appointments.reschedule(session, found, start, now, engineer)
    except appointments.AppointmentError as exc:
        raise Refused(409, str(exc)) from None
    access.audit(f"{chosen.action} appointment", f"appointment {appointment_id}")
    session.commit()
    return _detail(found)


def _slot(found: Appointment, chosen: Reschedule) -> tuple[datetime, Engineer | None]:
    """A suggestion by its number, or a time (and perhaps an engineer) of the dispatcher's."""
    if (chosen.suggestion is None) == (chosen.starts_at is None):
        raise Refused(
            422,
            "Reschedule with either `suggestion` or `start`.",
            [FieldError(loc=["body"], msg="suggestion or start")],
        )
    if chosen.starts_at is not None:
        engineer = _engineer(chosen.engineer, "engineer") if chosen.engineer else None
        return chosen.starts_at, engineer
    found_slots = appointments.suggestions(db.session(), found, clock.now())
    number = chosen.suggestion or 0
    if number > len(found_slots):
        raise Refused(409, f"There is no suggestion {number}: there are {len(found_slots)}.")
    slot = found_slots[number - 1]
    return slot.starts_at, slot.engineer

"""Appointment services on both backends: import, the displacement check, decisions, the
customer notice and suggestions. `build` is the small world the billing tests share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import appointments
from hotline.appointments import AppointmentError
from hotline.models import (
    Appointment,
    Contract,
    Customer,
    Displacement,
    Engineer,
    Message,
    Provider,
    Team,
    Ticket,
)

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # Tuesday 09:00 in Berlin


def at(text: str) -> datetime:
    """A wall-clock time in Berlin, e.g. "2026-12-01 10:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


@dataclass
class World:
    jonas: Engineer
    anna: Engineer
    lena: Engineer
    mueller: Customer  # 10077, German, e-mail and SMS
    acme: Customer  # 10088, English, e-mail only
    caller: Customer  # 10099, has the emergency
    ticket: Ticket  # 10099's emergency, accepted by jonas at 09:00

    def appointment(
        self,
        session: Session,
        key: str,
        customer: Customer,
        start: str,
        end: str,
        onsite: bool = True,
        engineer: Engineer | None = None,
    ) -> Appointment:
        a = Appointment(
            key=key, engineer=engineer or self.jonas, customer=customer, starts_at=at(start),
            ends_at=at(end), title=f"JourFixe {customer.name}", onsite=onsite,
        )  # fmt: skip
        session.add(a)
        session.flush()
        return a


def build(session: Session) -> World:
    """Team blau (lead lena, consultants jonas and anna), three customers, one accepted
    emergency of 10099: 2 h expected, 30 min travel, contract 2 h quota at 120 EUR, 50 %."""
    session.add(
        Provider(
            name="Solutionbar IT-Service", support_email="support@example.de",
            timezone="Europe/Berlin", holiday_region="BE",
            settings={"emergency_minutes": 120, "travel_minutes": 30,
                      "dispatcher_email": "dispo@example.de"},
        )
    )  # fmt: skip
    blau = Team(key="blau", name="Team Blau")
    jonas = Engineer(key="jonas", name="Jonas Weber", team=blau, role="consultant")
    anna = Engineer(key="anna", name="Anna Schmidt", team=blau, role="consultant")
    lena = Engineer(key="lena", name="Lena Koch", team=blau, role="project_lead")

    def customer(number: str, name: str, **kw: Any) -> Customer:
        return Customer(number=number, name=name, team=blau, **kw)

    mueller = customer("10077", "Müller GmbH", language="de", email="it@mueller.example",
                       sms_number="+491701234567")  # fmt: skip
    acme = customer("10088", "Acme Ltd", language="en", email="it@acme.example")
    caller = customer("10099", "Bäckerei Brot", email="chef@brot.example")
    caller.contract = Contract(
        monthly_hours=Decimal("2"), hourly_rate=Decimal("120.00"), billing_increment_minutes=15,
        surcharge_percent=Decimal("50"), surcharge_flat=Decimal("0"),
    )  # fmt: skip
    ticket = Ticket(
        call_sid="CA-emergency-1", customer=caller, arrived_at=NOW - timedelta(minutes=2),
        accepted_by=jonas, accepted_at=NOW, bridged_seconds=600, state="connected",
    )  # fmt: skip
    session.add_all([blau, jonas, anna, lena, mueller, acme, caller, ticket])
    session.flush()
    blau.project_lead = lena
    session.commit()
    return World(jonas, anna, lena, mueller, acme, caller, ticket)


@pytest.fixture
def world(session: Session, clock: Any) -> World:
    clock.at = NOW
    return build(session)


def messages(session: Session, to: str | None = None) -> list[Message]:
    query = select(Message).order_by(Message.id)
    if to is not None:
        query = query.where(Message.to == to)
    return list(session.scalars(query))


def test_accepting_puts_overlapping_appointments_at_risk_and_tells_the_dispatcher(
    session: Session, world: World
) -> None:
    during = world.appointment(session, "a1", world.mueller, "2026-12-01 10:00", "2026-12-01 11:00")
    travel = world.appointment(session, "a2", world.acme, "2026-12-01 11:15", "2026-12-01 12:00")
    remote = world.appointment(session, "a3", world.acme, "2026-12-01 11:15", "2026-12-01 12:00",
                               onsite=False)  # fmt: skip
    others = world.appointment(session, "a4", world.mueller, "2026-12-01 10:00",
                               "2026-12-01 11:00", engineer=world.anna)  # fmt: skip
    session.commit()

    assert appointments.check_displacements(session, NOW) == 1
    assert appointments.check_displacements(session, NOW + timedelta(seconds=30)) == 0

    assert [during.status, travel.status, remote.status, others.status] == [
        "at_risk", "at_risk", "planned", "planned",
    ]  # fmt: skip
    assert world.ticket.displacement_checked_at == NOW
    (mail,) = messages(session, "dispo@example.de")
    assert "2 Termin(e) gefährdet" in (mail.subject or "")
    assert "Müller GmbH" in mail.body and "Acme Ltd" in mail.body
    assert mail.ticket_id == world.ticket.id
    assert len(session.scalars(select(Displacement)).all()) == 2
    kinds = [e.kind for e in world.ticket.events]
    assert kinds.count("appointment at risk") == 2


def test_without_a_dispatcher_address_the_support_mailbox_is_told(
    session: Session, world: World
) -> None:
    provider = session.scalars(select(Provider)).one()
    provider.settings = {}
    world.appointment(session, "a1", world.mueller, "2026-12-01 10:00", "2026-12-01 11:00")
    session.commit()
    appointments.check_displacements(session, NOW)
    assert [m.to for m in messages(session)] == ["support@example.de"]


def test_listing_shows_at_risk_first(session: Session, world: World) -> None:
    early = world.appointment(session, "a0", world.mueller, "2026-12-01 08:00", "2026-12-01 08:30",
                              engineer=world.anna)  # fmt: skip
    risky = world.appointment(session, "a1", world.mueller, "2026-12-01 10:00", "2026-12-01 11:00")
    session.commit()
    appointments.check_displacements(session, NOW)
    assert [a.key for a in appointments.listing(session)] == [risky.key, early.key]
    assert appointments.as_dict(risky, BERLIN)["start"] == "2026-12-01T10:00:00+01:00"


def test_suggestions_same_engineer_first_then_the_teams_consultants(
    session: Session, world: World
) -> None:
    a1 = world.appointment(session, "a1", world.mueller, "2026-12-01 10:00", "2026-12-01 11:00")
    world.appointment(session, "a2", world.acme, "2026-12-01 11:00", "2026-12-01 13:00")
    world.appointment(session, "b1", world.acme, "2026-12-01 09:00", "2026-12-01 12:00",
                      engineer=world.anna)  # fmt: skip
    session.commit()
    appointments.check_displacements(session, NOW)

    found = appointments.suggestions(session, a1, NOW, per_engineer=2)
    shown = [(s.engineer.key, s.starts_at.astimezone(BERLIN).strftime("%d. %H:%M")) for s in found]
    assert shown == [
        ("jonas", "01. 13:00"),  # after the emergency (until 11:00) and a2
        ("jonas", "02. 08:00"),
        ("anna", "01. 12:00"),  # lena is the project lead, not a consultant
        ("anna", "02. 08:00"),
    ]  # fmt: skip


def test_reschedule_to_a_suggestion_tells_the_customer_in_german(
    session: Session, world: World
) -> None:
    a1 = world.appointment(session, "a1", world.mueller, "2026-12-01 10:00", "2026-12-01 11:00")
    session.commit()
    appointments.check_displacements(session, NOW)
    first = appointments.suggestions(session, a1, NOW)[0]

    appointments.reschedule(session, a1, first.starts_at, NOW, first.engineer)
    session.commit()

    assert a1.status == "rescheduled"
    assert a1.original_starts_at == at("2026-12-01 10:00")
    assert a1.starts_at == at("2026-12-01 11:30")  # the emergency, then 30 min travel
    link = session.scalars(select(Displacement)).one()
    assert (link.outcome, link.decided_at) == ("rescheduled", NOW)
    mail, sms = messages(session, "it@mueller.example") + messages(session, "+491701234567")
    assert mail.subject == "Ihr Termin wurde verschoben: neu am 01.12.2026 um 11:30 Uhr"
    assert "am 01.12.2026 um 10:00 Uhr verschieben" in mail.body
    assert "01.12.2026, 11:30 bis 12:30 Uhr vor Ort, mit Jonas Weber" in mail.body
    assert sms.channel == "sms" and "verschoben auf 01.12. 11:30-12:30" in sms.body


def test_moving_an_appointment_back_tells_the_customer_again(
    session: Session, world: World
) -> None:
    a1 = world.appointment(session, "a1", world.mueller, "2026-12-02 10:00", "2026-12-02 11:00")
    session.commit()
    for minutes, start in [
        (0, "2026-12-03 10:00"),
        (1, "2026-12-02 10:00"),
        (2, "2026-12-03 10:00"),
    ]:
        appointments.reschedule(session, a1, at(start), NOW + timedelta(minutes=minutes))
    session.commit()
    subjects = [m.subject for m in messages(session, "it@mueller.example")]
    assert subjects == [
        "Ihr Termin wurde verschoben: neu am 03.12.2026 um 10:00 Uhr",
        "Ihr Termin wurde verschoben: neu am 02.12.2026 um 10:00 Uhr",
        "Ihr Termin wurde verschoben: neu am 03.12.2026 um 10:00 Uhr",
    ]
    assert len(messages(session, "+491701234567")) == 3


def test_cancel_tells_the_customer_in_english(session: Session, world: World) -> None:
    a1 = world.appointment(session, "a1", world.acme, "2026-12-01 10:00", "2026-12-01 11:00")
    session.commit()
    appointments.check_displacements(session, NOW)
    appointments.cancel(session, a1, NOW)
    (mail,) = messages(session, "it@acme.example")
    assert mail.subject == "Your appointment on 01 Dec 2026 is cancelled"
    assert "an emergency needs our engineer" in mail.body
    with pytest.raises(AppointmentError, match="cancelled"):
        appointments.reschedule(session, a1, at("2026-12-02 10:00"), NOW)


def test_reschedule_and_reassign_refuse_a_clash(session: Session, world: World) -> None:
    a1 = world.appointment(session, "a1", world.mueller, "2026-12-01 10:00", "2026-12-01 11:00")
    world.appointment(session, "b1", world.acme, "2026-12-01 10:30", "2026-12-01 12:00",
                      engineer=world.anna)  # fmt: skip
    session.commit()
    appointments.check_displacements(session, NOW)
    busy = r"anna is busy then \(Tue 01\.12\.2026 10:30 - Tue 01\.12\.2026 12:00\)"
    with pytest.raises(AppointmentError, match=busy):  # in the provider's zone
        appointments.reassign(session, a1, world.anna, NOW)
    with pytest.raises(AppointmentError, match="jonas is busy"):  # the emergency itself
        appointments.reschedule(session, a1, at("2026-12-01 10:30"), NOW)
    assert a1.status == "at_risk"
    appointments.reassign(session, a1, world.lena, NOW)
    assert (a1.status, a1.engineer.key, a1.starts_at) == (
        "reassigned",
        "lena",
        at("2026-12-01 10:00"),
    )
    assert messages(session, "it@mueller.example") == []  # same time: nothing to tell


def test_keep_only_when_at_risk(session: Session, world: World) -> None:
    a1 = world.appointment(session, "a1", world.mueller, "2026-12-01 10:00", "2026-12-01 11:00")
    session.commit()
    with pytest.raises(AppointmentError, match="not at risk"):
        appointments.keep(session, a1, NOW)
    appointments.check_displacements(session, NOW)
    appointments.keep(session, a1, NOW)
    assert a1.status == "kept"


def test_resolution_returns_appointments_that_turned_out_fine(
    session: Session, world: World
) -> None:
    from hotline import billing

    soon = world.appointment(session, "a1", world.mueller, "2026-12-01 09:30", "2026-12-01 10:00")
    later = world.appointment(session, "a2", world.acme, "2026-12-01 10:30", "2026-12-01 11:30")
    session.commit()
    appointments.check_displacements(session, NOW)
    appointments.cancel(session, soon, NOW)

    billing.resolve(session, world.ticket, at("2026-12-01 09:40"), work_minutes=10, notes="ok")
    session.commit()

    assert (soon.status, later.status) == ("cancelled", "planned")
    released = session.scalars(select(Displacement).where(Displacement.appointment == later)).one()
    assert released.released_at == at("2026-12-01 09:40")
    resolved_mail = messages(session, "dispo@example.de")[-1]
    assert "wieder frei" in (resolved_mail.subject or "")


def test_a_corrected_resolution_tells_the_dispatcher_again(session: Session, world: World) -> None:
    from hotline import billing

    later = world.appointment(session, "a2", world.acme, "2026-12-01 10:30", "2026-12-01 11:30")
    session.commit()
    appointments.check_displacements(session, NOW)
    billing.resolve(session, world.ticket, at("2026-12-01 09:40"), work_minutes=10)
    billing.resolve(session, world.ticket, at("2026-12-01 11:00"), work_minutes=10)  # it was longer
    session.commit()
    assert later.status == "at_risk"
    subjects = [m.subject or "" for m in messages(session, "dispo@example.de")]
    assert len(subjects) == 3 and "wieder frei" in subjects[1] and "gefährdet" in subjects[2]


def test_resolution_before_the_first_check_uses_the_real_duration(
    session: Session, world: World
) -> None:
    from hotline import billing

    later = world.appointment(session, "a2", world.acme, "2026-12-01 10:30", "2026-12-01 11:30")
    billing.resolve(session, world.ticket, at("2026-12-01 09:20"), work_minutes=0)
    session.commit()
    appointments.check_displacements(session, NOW + timedelta(minutes=30))
    assert later.status == "planned"
    assert messages(session) == []


ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:evt-1@example
DTSTART;TZID=Europe/Berlin:20261202T100000
DTEND;TZID=Europe/Berlin:20261202T120000
SUMMARY:JourFixe 10077
LOCATION:Musterstr. 1, Berlin
END:VEVENT
BEGIN:VEVENT
UID:evt-2@example
DTSTART:20261203T090000Z
DURATION:PT1H
SUMMARY:Remote-Wartung
DESCRIPTION:Kunde 10088
LOCATION:Remote
END:VEVENT
BEGIN:VEVENT
UID:evt-3@example
DTSTART;VALUE=DATE:20261204
SUMMARY:Urlaub
END:VEVENT
BEGIN:VEVENT
UID:evt-4@example
DTSTART:20261204T090000Z
DTEND:20261204T100000Z
SUMMARY:Mittagessen
END:VEVENT
END:VCALENDAR
"""


def test_import_ics_matches_customers_by_number(session: Session, world: World) -> None:
    result = appointments.import_ics(session, "jonas", ICS)
    assert (result.created, result.updated, len(result.skipped)) == (2, 0, 2)
    onsite, remote = appointments.listing(session)
    assert (onsite.key, onsite.customer, onsite.onsite) == (
        "ics:evt-1@example",
        world.mueller,
        True,
    )
    assert onsite.starts_at == at("2026-12-02 10:00")
    assert (remote.customer, remote.onsite, remote.ends_at - remote.starts_at) == (
        world.acme, False, timedelta(hours=1),
    )  # fmt: skip
    again = appointments.import_ics(session, "jonas", ICS)
    assert (again.created, again.updated) == (0, 2)


def test_import_skips_rows_and_events_it_cannot_read_and_says_why(
    session: Session, world: World
) -> None:
    text = (
        "key;engineer;customer;start;end;title;onsite\n"
        "c1;anna\n"
        "c2;anna;10077;2026-12-03T10:00;2026-12-03T09:00;JourFixe;;extra\n"
        "c3;anna;10077;morgen;2026-12-03T09:00\n"
    )
    result = appointments.import_csv(session, text)
    assert result.created == 0
    assert result.skipped[:2] == ["line 2: no start, end", "line 3: c2 ends before it starts"]
    assert result.skipped[2].startswith("line 4: Invalid isoformat string: 'morgen'")
    ics = ICS.replace(b"DTEND;TZID=Europe/Berlin:20261202T120000", b"").replace(
        b"DTEND:20261204T100000Z", b"DTEND:20261204T080000Z\nDESCRIPTION:10077"
    )
    skipped = appointments.import_ics(session, "jonas", ics).skipped
    assert "evt-1@example: no end time" in skipped
    assert "evt-4@example: ics:evt-4@example ends before it starts" in skipped


def test_import_csv_with_wall_clock_times_across_dst(session: Session, world: World) -> None:
    text = (
        "key;engineer;customer;start;end;title;onsite\n"
        "c1;anna;10077;2026-03-27T09:00;2026-03-27T10:00;JourFixe;ja\n"
        "c2;anna;10077;2026-03-30T09:00;2026-03-30T10:00;JourFixe;\n"
        "c3;nobody;10077;2026-03-30T09:00;2026-03-30T10:00;x;\n"
    )
    result = appointments.import_csv(session, text)
    assert (result.created, result.skipped) == (2, ["line 4: no engineer 'nobody'"])
    c1, c2 = sorted(appointments.listing(session), key=lambda a: a.key)
    assert c1.starts_at == datetime(2026, 3, 27, 8, 0, tzinfo=UTC) and c1.onsite
    assert c2.starts_at == datetime(2026, 3, 30, 7, 0, tzinfo=UTC) and not c2.onsite

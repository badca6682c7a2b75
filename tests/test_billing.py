"""Resolution, waiver, the month-end run and its export, on both backends."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_appointments import NOW, World, at, build

from hotline import appointments, billing
from hotline.billing import BillingError
from hotline.models import BillingLine, BillingRun, Ticket

NEW_YEAR = datetime(2027, 1, 1, 0, 30, tzinfo=UTC)  # 01:30 on 1 January in Berlin


@pytest.fixture
def world(session: Session, clock: Any) -> World:
    clock.at = NOW
    return build(session)


def displacing_emergency(session: Session, world: World) -> None:
    """10099's emergency moves Müller's appointment: 10 min phone + 20 min work, §2 applies."""
    a1 = world.appointment(session, "a1", world.mueller, "2026-12-01 10:00", "2026-12-01 11:00")
    session.commit()
    appointments.check_displacements(session, NOW)
    appointments.reschedule(session, a1, at("2026-12-02 10:00"), NOW)
    billing.resolve(session, world.ticket, at("2026-12-01 09:50"), work_minutes=20)
    session.commit()


def test_month_end_bills_the_emergency_with_its_surcharge_and_quota(
    session: Session, world: World
) -> None:
    displacing_emergency(session, world)

    run = billing.run_month_end(session, NEW_YEAR)

    assert run.month == date(2026, 12, 1)
    (line,) = run.lines
    assert (line.phone_seconds, line.work_minutes, line.raw_minutes, line.billed_minutes) == (
        600, 20, 30, 30,
    )  # fmt: skip
    assert (line.quota_minutes, line.extra_minutes) == (30, 0)
    assert (line.amount, line.extra_amount, line.surcharge) == (
        Decimal("60.00"), Decimal("0.00"), Decimal("30.00"),
    )  # fmt: skip
    (named,) = line.displaced
    assert named["customer"] == "10077" and named["outcome"] == "rescheduled"
    assert named["starts_at"] == "2026-12-01T10:00:00+01:00"  # the original time


def test_running_twice_never_bills_twice_and_a_closed_month_stays(
    session: Session, world: World
) -> None:
    displacing_emergency(session, world)
    first = billing.run_month_end(session, NEW_YEAR)
    again = billing.run_month_end(session, NEW_YEAR + timedelta(hours=5))
    assert again.id == first.id
    assert len(session.scalars(select(BillingLine)).all()) == 1
    assert session.scalars(select(BillingRun)).one().closed_at == NEW_YEAR

    with pytest.raises(BillingError, match=r"is billed in the closed month 2026-12$"):
        billing.resolve(session, world.ticket, at("2026-12-01 11:00"), work_minutes=90)
    with pytest.raises(BillingError, match="closed month"):
        billing.waive(session, world.ticket, world.lena, "goodwill", NEW_YEAR)
    jan = billing.close(session, date(2027, 1, 1), datetime(2027, 2, 1, tzinfo=UTC))
    assert jan.lines == []


def test_a_month_that_has_not_ended_cannot_be_closed(session: Session, world: World) -> None:
    with pytest.raises(BillingError, match="2026-12 has not ended"):
        billing.close(session, date(2026, 12, 1), NEW_YEAR - timedelta(hours=2))  # 23:30 local


def test_late_resolution_goes_into_the_next_open_month(session: Session, world: World) -> None:
    billing.run_month_end(session, NEW_YEAR)  # December closed, the emergency still open
    billing.resolve(session, world.ticket, at("2027-01-02 10:00"), work_minutes=5)
    session.commit()
    run = billing.run_month_end(session, datetime(2027, 2, 1, 12, tzinfo=UTC))
    (line,) = run.lines
    assert (run.month, line.ticket_id, line.billed_minutes) == (
        date(2027, 1, 1),
        world.ticket.id,
        15,
    )


def test_only_a_project_lead_waives_with_a_reason(session: Session, world: World) -> None:
    displacing_emergency(session, world)
    with pytest.raises(BillingError, match="only a project lead"):
        billing.waive(session, world.ticket, world.jonas, "goodwill", NOW)
    with pytest.raises(BillingError, match="reason"):
        billing.waive(session, world.ticket, world.lena, "  ", NOW)
    billing.waive(session, world.ticket, world.lena, "Kulanz: Erstkunde", NOW)
    session.commit()
    (line,) = billing.run_month_end(session, NEW_YEAR).lines
    assert (line.surcharge, line.surcharge_waived_reason) == (Decimal("0.00"), "Kulanz: Erstkunde")
    assert line.displaced  # still traced: what was displaced, and why nothing was charged


def test_two_emergencies_displacing_one_appointment_charge_the_first_once(
    session: Session, world: World
) -> None:
    a1 = world.appointment(session, "a1", world.mueller, "2026-12-01 10:00", "2026-12-01 11:00")
    second = Ticket(
        call_sid="CA-emergency-2", customer=world.acme, arrived_at=NOW, accepted_by=world.jonas,
        accepted_at=NOW + timedelta(minutes=5), bridged_seconds=60,
    )  # fmt: skip
    session.add(second)
    session.commit()
    appointments.check_displacements(session, NOW + timedelta(minutes=5))
    appointments.cancel(session, a1, NOW + timedelta(minutes=10))
    for ticket in (world.ticket, second):
        billing.resolve(session, ticket, at("2026-12-01 10:30"), work_minutes=0)
    session.commit()
    lines = {x.ticket_id: x for x in billing.run_month_end(session, NEW_YEAR).lines}
    assert lines[world.ticket.id].surcharge == Decimal("15.00")  # 50 % of 15 min at 120
    assert lines[second.id].surcharge == Decimal("0.00")  # acme has no contract, nor is it first
    assert lines[second.id].displaced == []


def test_beyond_the_quota_is_extra_effort(session: Session, world: World) -> None:
    billing.resolve(session, world.ticket, at("2026-12-01 12:00"), work_minutes=125)  # 135 min
    session.commit()
    (line,) = billing.run_month_end(session, NEW_YEAR).lines
    assert (line.billed_minutes, line.quota_minutes, line.extra_minutes) == (135, 120, 15)
    assert line.extra_amount == Decimal("30.00")
    assert line.surcharge == Decimal("0.00")  # nothing displaced


def test_export_for_the_accountant(session: Session, world: World) -> None:
    displacing_emergency(session, world)
    with pytest.raises(BillingError, match="not closed"):
        billing.export_csv(session, date(2026, 12, 1))
    billing.run_month_end(session, NEW_YEAR)

    german = billing.export_csv(session, date(2026, 12, 1), semicolon=True).decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(german, newline=""), delimiter=";"))
    record = dict(zip(header, row, strict=True))
    assert record["customer"] == "10099" and record["accepted"] == "2026-12-01 09:00"
    assert (record["billed_hours"], record["amount"], record["surcharge"]) == (
        "0,50",
        "60,00",
        "30,00",
    )
    assert "10077" in record["displaced"] and "rescheduled" in record["displaced"]
    totals = billing.export_csv(session, date(2026, 12, 1), semicolon=True, totals=True)
    header, total = list(csv.reader(io.StringIO(totals.decode("utf-8-sig")), delimiter=";"))
    sums = dict(zip(header, total, strict=True))
    assert (sums["tickets"], sums["extra_hours"], sums["surcharge"]) == ("1", "0,00", "30,00")

    plain = billing.export_csv(session, date(2026, 12, 1)).decode("utf-8-sig")
    assert ",60.00,0.00,30.00," in plain.splitlines()[1]


def test_resolve_refuses_nonsense(session: Session, world: World) -> None:
    with pytest.raises(BillingError, match="before it was accepted"):
        billing.resolve(session, world.ticket, NOW - timedelta(minutes=1), work_minutes=0)
    with pytest.raises(BillingError, match="negative"):
        billing.resolve(session, world.ticket, NOW, work_minutes=-5)

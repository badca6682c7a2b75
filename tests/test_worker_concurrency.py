"""Two workers running the same job at once, on SQLite and PostgreSQL: each in its own thread,
app context and session, released together. The scheduler's lease normally keeps a job to one
worker; these jobs must be right without it (a lease that ran out, a second worker started by
hand, `flask check-displacements` or `billing-run` beside the worker). And a resolution that
races the worker's displacement check."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import select
from test_appointments import BERLIN, NOW, at, build
from test_voice_concurrency import together

from hotline import appointments, billing, db
from hotline.models import (
    Appointment,
    BillingLine,
    BillingRun,
    Contract,
    Customer,
    Displacement,
    Engineer,
    Event,
    Message,
    Team,
    Ticket,
)

ROUNDS = 4
EMERGENCIES = 4  # per round, each with its own engineer and two appointments in its way


def emergencies(app: Flask, round_: int, accepted_at: datetime) -> list[int]:
    """Accepted emergencies nobody has checked yet, each in the way of two appointments."""
    with app.app_context():
        session = db.session()
        team = session.scalars(select(Team)).first()
        customer = session.scalars(select(Customer).where(Customer.number == "10099")).one()
        ids = []
        for n in range(EMERGENCIES):
            engineer = Engineer(key=f"e{round_}-{n}", name=f"E {round_}-{n}", team=team,
                                role="consultant")  # fmt: skip
            ticket = Ticket(
                call_sid=f"CA-{round_}-{n}", customer=customer, state="connected",
                arrived_at=accepted_at - timedelta(minutes=1), accepted_by=engineer,
                accepted_at=accepted_at, bridged_seconds=300,
            )  # fmt: skip
            for k in range(2):
                session.add(
                    Appointment(
                        key=f"a{round_}-{n}-{k}", engineer=engineer, customer=customer,
                        starts_at=accepted_at + timedelta(minutes=30 + 40 * k),
                        ends_at=accepted_at + timedelta(minutes=60 + 40 * k),
                        title="Wartung", onsite=True,
                    )
                )  # fmt: skip
            session.add(ticket)
            session.flush()
            ids.append(ticket.id)
        session.commit()
        return ids


def test_two_workers_checking_displacements_at_once_put_each_appointment_at_risk_once(
    app: Flask, clock: Any
) -> None:
    clock.at = NOW
    with app.app_context():
        build(db.session())
        appointments.check_displacements(db.session(), NOW)  # the world's own emergency

    def check() -> int:
        with app.app_context():
            return appointments.check_displacements(db.session(), NOW + timedelta(seconds=30))

    for round_ in range(ROUNDS):
        ids = emergencies(app, round_, NOW - timedelta(minutes=5))
        first, second = together(check, check)
        assert first + second == EMERGENCIES  # every emergency checked, by one worker
        with app.app_context():
            session = db.session()
            links = session.execute(
                select(Displacement.ticket_id, Displacement.appointment_id).where(
                    Displacement.ticket_id.in_(ids)
                )
            ).all()
            assert len(links) == len(set(links)) == 2 * EMERGENCIES
            at_risk = session.scalars(
                select(Event.ticket_id).where(
                    Event.ticket_id.in_(ids), Event.kind == "appointment at risk"
                )
            ).all()
            assert Counter(at_risk) == dict.fromkeys(ids, 2)  # one line per appointment
            told = session.scalars(
                select(Message.ticket_id).where(
                    Message.ticket_id.in_(ids), Message.to == "dispo@example.de"
                )
            ).all()
            assert sorted(told) == sorted(ids)  # the dispatcher hears of each emergency once
            statuses = session.scalars(
                select(Appointment.status).where(Appointment.key.like(f"a{round_}-%"))
            ).all()
            assert statuses == ["at_risk"] * 2 * EMERGENCIES


def resolved_emergencies(app: Flask, month: date) -> list[int]:
    """Emergencies of two customers accepted and resolved in `month`."""
    with app.app_context():
        session = db.session()
        engineer = session.scalars(select(Engineer).where(Engineer.key == "jonas")).one()
        customers = session.scalars(select(Customer).order_by(Customer.number)).all()
        for customer in customers:
            if customer.contract is None:
                customer.contract = Contract(
                    monthly_hours=Decimal("1"), hourly_rate=Decimal("100.00"),
                    billing_increment_minutes=15, surcharge_percent=Decimal("0"),
                    surcharge_flat=Decimal("0"),
                )  # fmt: skip
        start = datetime(month.year, month.month, 3, 9, 0, tzinfo=BERLIN)
        ids = []
        for n, customer in enumerate(customers * 2):
            accepted = start + timedelta(days=n)
            ticket = Ticket(
                call_sid=f"CA-{month:%Y%m}-{n}", customer=customer, state="connected",
                arrived_at=accepted - timedelta(minutes=1), accepted_by=engineer,
                accepted_at=accepted, bridged_seconds=900, work_minutes=40,
                resolved_at=accepted + timedelta(hours=1), displacement_checked_at=accepted,
            )  # fmt: skip
            session.add(ticket)
            session.flush()
            ids.append(ticket.id)
        session.commit()
        return ids


def test_two_workers_closing_the_month_at_once_close_it_once_and_bill_each_emergency_once(
    app: Flask, clock: Any
) -> None:
    clock.at = NOW
    with app.app_context():
        build(db.session())
    month = date(2027, 1, 1)
    for _ in range(ROUNDS):
        ids = resolved_emergencies(app, month)
        after = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, 2, 0,
                         tzinfo=BERLIN)  # fmt: skip

        def close(after: datetime = after) -> tuple[int, int]:
            with app.app_context():
                run = billing.run_month_end(db.session(), after)
                return run.id, len(run.lines)

        first, second = together(close, close)
        assert first == second  # the same run, with the same lines, for both workers
        with app.app_context():
            session = db.session()
            (run,) = session.scalars(select(BillingRun).where(BillingRun.month == month)).all()
            assert first == (run.id, len(ids))
            billed = session.scalars(
                select(BillingLine.ticket_id).where(BillingLine.ticket_id.in_(ids))
            ).all()
            assert sorted(billed) == sorted(ids)
            every = session.scalars(select(BillingLine.ticket_id)).all()
            assert len(every) == len(set(every))  # no emergency billed twice, ever
        month = billing.next_month(month)


def test_closing_two_months_at_once_bills_each_emergency_once_and_closes_both(
    app: Flask, clock: Any
) -> None:
    """A month closed late (the worker was down) by hand (`billing-run --month`) while the
    worker's run closes it and the next one: both want the late month's emergencies. The first
    to commit bills them; the other finds the month closed, and the worker goes on in order."""
    clock.at = NOW
    with app.app_context():
        build(db.session())
        billing.close(db.session(), date(2026, 12, 1), datetime(2027, 1, 1, 2, tzinfo=BERLIN))
    month = date(2027, 1, 1)
    for _ in range(ROUNDS):
        late = resolved_emergencies(app, month)
        following = billing.next_month(month)
        current = resolved_emergencies(app, following)
        now = datetime(following.year + following.month // 12, following.month % 12 + 1, 1, 2,
                       tzinfo=BERLIN)  # fmt: skip

        def by_hand(which: date = month, now: datetime = now) -> list[int]:
            with app.app_context():
                return [x.ticket_id for x in billing.close(db.session(), which, now).lines]

        def worker(now: datetime = now) -> list[int]:
            with app.app_context():
                return [x.ticket_id for x in billing.run_month_end(db.session(), now).lines]

        first, second = together(by_hand, worker)
        assert sorted(first + second) == sorted(late + current)  # each billed once
        assert set(current) == set(second)  # the following month's are never in the late run
        with app.app_context():
            months = db.session().scalars(select(BillingRun.month)).all()
            assert {month, following} <= set(months)
        month = billing.next_month(following)


def test_a_resolution_racing_the_first_check_still_frees_what_the_real_duration_frees(
    app: Flask, clock: Any
) -> None:
    """The resolver loaded the ticket before the worker's first check committed: the
    resolution must see that check, or the appointments its real duration frees stay at risk.
    (On PostgreSQL this happens inside one transaction; SQLite's write lock serialises that
    case, so the resolver here commits between loading and resolving.)"""
    clock.at = NOW
    with app.app_context():
        world = build(db.session())
        world.appointment(db.session(), "a1", world.mueller, "2026-12-01 10:00",
                          "2026-12-01 11:00")  # fmt: skip
        db.session().commit()
        ticket_id = world.ticket.id
    with app.app_context():
        resolver = db.session()
        ticket = resolver.get_one(Ticket, ticket_id)
        assert ticket.displacement_checked_at is None
        resolver.commit()
        with db.new_session() as worker:
            assert appointments.check_displacements(worker, NOW) == 1
        billing.resolve(resolver, ticket, at("2026-12-01 09:10"), work_minutes=5)
        resolver.commit()
    with app.app_context():
        (status,) = db.session().scalars(select(Appointment.status)).all()
        assert status == "planned"  # over at 09:10, 30 min travel: 10:00 is kept after all

"""The demo provider: loaded through the directory import, deterministic, ready for a call."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from escalation import wallclock
from hotline import demo, roster
from hotline.callers import by_customer_number, identify
from hotline.directory import export_directory
from hotline.models import Appointment, Customer, Engineer, Provider, Team

DEMO_ZONE = wallclock.zone(demo.ZONE)


def local(at: Any) -> Any:
    return wallclock.local(at, DEMO_ZONE)


def test_demo_is_deterministic_for_a_clock(clock: Any) -> None:
    assert demo.directory(clock()) == demo.directory(clock())
    later = demo.directory(clock() + timedelta(weeks=1))
    assert later["appointments"] != demo.directory(clock())["appointments"]


def test_seed_loads_a_realistic_provider(app: Flask, session: Any, clock: Any) -> None:
    summary = demo.seed(session)
    assert summary.counts["customers"]["created"] == 12
    provider = session.scalars(select(Provider)).one()
    assert (provider.name, provider.central_number, provider.fallback_number) == (
        "Solutionbar IT-Service",
        "+49309876540",
        "+491715550000",
    )
    assert sorted(session.scalars(select(Team.key))) == ["blau", "gruen", "rot"]
    assert session.scalar(select(func.count()).select_from(Engineer)) == 10
    for team in session.scalars(select(Team)):
        assert team.project_lead is not None and team.project_lead.team_id == team.id
    assert not demo.seed(session).changed  # seeding again changes nothing


def test_demo_callers(app: Flask, session: Any) -> None:
    demo.seed(session)
    readme = identify(session, "+49301234567")  # "030 1234567", the README's example call
    assert (readme.customer.number, readme.customer.team.key, readme.method) == (
        "10042",
        "blau",
        "number",
    )
    assert "&" in readme.customer.name and "ü" in readme.customer.name
    block = identify(session, "+494055517")
    assert (block.customer.name, block.method) == ("Hafenlogistik Nord GmbH", "block")
    assert identify(session, "+49305550123").reason == "ambiguous"
    assert identify(session, "anonymous").reason == "withheld"
    assert identify(session, "+4917612345678").reason == "unknown"
    english = session.scalars(select(Customer).where(Customer.language == "en")).one()
    assert identify(session, english.phones[0].value).customer == english
    assert by_customer_number(session, "10044").pin == "4711"


def test_demo_has_someone_on_call_and_appointments_to_displace(
    app: Flask, session: Any, clock: Any
) -> None:
    demo.seed(session)
    now = clock()
    on_call = roster.on_call(session, now)
    for team in ("blau", "gruen", "rot"):
        layers = {o.layer for o in on_call if o.team == team}
        assert layers == {"primary", "secondary"}, (team, on_call)
    appointments = session.scalars(select(Appointment)).all()
    monday = local(now).date() - timedelta(days=local(now).weekday())
    days = {local(a.starts_at).date() for a in appointments}
    assert min(days) >= monday and max(days) < monday + timedelta(weeks=2)
    assert any(d >= monday + timedelta(weeks=1) for d in days)  # next week too
    for a in appointments:
        start, end = local(a.starts_at), local(a.ends_at)
        assert start.weekday() < 5 and start.hour >= 8 and end.hour <= 17
        assert a.customer_id is not None
    assert any(a.onsite for a in appointments) and any(not a.onsite for a in appointments)
    # the demo exports as a provider's own file would look
    exported = export_directory(session)
    assert exported["customers"][0]["name"] == "Müller & Söhne Maschinenbau GmbH"
    assert len(exported["overrides"]) == 1 and len(exported["absences"]) == 1


def test_seed_demo_for_a_fixed_week(app: Flask) -> None:
    """The README's walk-through: the week of 30 November 2026, whatever day it is run."""
    result = app.test_cli_runner().invoke(args=["seed-demo", "--week", "2026-12-02"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from hotline import db

        days = {local(a.starts_at).date() for a in db.session().scalars(select(Appointment))}
    assert min(days).isoformat() >= "2026-11-30"
    assert max(days).isoformat() <= "2026-12-11"
    assert all(day.weekday() < 5 for day in days)

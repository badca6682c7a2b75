"""Appointment commands: list them (at risk first), import calendars, decide on one."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select

from escalation.displacement import DECISIONS
from hotline import appointments, clock, db
from hotline.appointments import AppointmentError, Suggestion
from hotline.cli.at import at_option, wall_clock
from hotline.models import Appointment, Engineer

ACTIONS = ("keep", "reassign", "reschedule", "cancel")


@click.command("appointments")
@click.option("--engineer", help="only this engineer's (key)")
@click.option("--status", type=click.Choice(["planned", "at_risk", *DECISIONS]))
@click.option("--past", is_flag=True, help="include appointments that have ended")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@at_option("List as if it were this wall-clock time of the provider's zone: what has ended by "
           "then is left out (default: now).")  # fmt: skip
def list_appointments(engineer: str | None, status: str | None, past: bool, as_json: bool) -> None:
    """List appointments that have not ended (all with --past), those at risk first."""
    session = db.session()
    zone = appointments.planning(session).zone
    who = _engineer(engineer) if engineer else None
    found = appointments.listing(session, None if past else clock.now(), who, status)
    if as_json:
        click.echo(json.dumps([appointments.as_dict(a, zone) for a in found], indent=2))
        return
    for a in found:
        mark = "!" if a.status == "at_risk" else " "
        start, end = a.starts_at.astimezone(zone), a.ends_at.astimezone(zone)
        customer = f"{a.customer.number} {a.customer.name}" if a.customer else "-"
        click.echo(
            f"{mark} #{a.id:<4} {a.status:<11} {start:%a %d.%m.%Y %H:%M}-{end:%H:%M} "
            f"{a.engineer.key:<10} {customer}: {a.title}{' (on site)' if a.onsite else ''}"
        )
    if not found:
        click.echo("no appointments")


@click.command("appointment")
@click.argument("appointment_id", type=int)
@click.argument("action", required=False, type=click.Choice(ACTIONS))
@click.argument("value", required=False)
@click.option("--engineer", help="reschedule: the engineer of the given time")
@at_option()
def act(appointment_id: int, action: str | None, value: str | None, engineer: str | None) -> None:
    """Show an appointment with suggested slots, or decide on it.

    \b
    appointment 7                      show it and the suggestions, numbered
    appointment 7 keep                 the engineer makes it after all
    appointment 7 reassign anna        same time, another engineer
    appointment 7 reschedule 2         to suggestion 2
    appointment 7 reschedule 2026-12-02T10:00 [--engineer anna]   to a given time
    appointment 7 cancel
    The customer is told (e-mail, SMS where set) when it is rescheduled or cancelled.
    """
    session = db.session()
    now = clock.now()
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        raise click.ClickException(f"no appointment {appointment_id}")
    zone = appointments.planning(session).zone
    try:
        if action is None:
            _show(appointment, appointments.suggestions(session, appointment, now), zone)
            return
        if action == "keep":
            appointments.keep(session, appointment, now)
        elif action == "cancel":
            appointments.cancel(session, appointment, now)
        elif action == "reassign":
            appointments.reassign(session, appointment, _engineer(_needs(value, action)), now)
        else:
            start, who = _slot(appointment, _needs(value, action), engineer, now)
            appointments.reschedule(session, appointment, start, now, who)
    except AppointmentError as exc:
        raise click.ClickException(str(exc)) from exc
    session.commit()
    a = appointment
    click.echo(
        f"#{a.id} {a.status}: {a.starts_at.astimezone(zone):%a %d.%m.%Y %H:%M}, {a.engineer.key}"
    )


def _show(appointment: Appointment, found: list[Suggestion], zone: ZoneInfo) -> None:
    a = appointment
    start, end = a.starts_at.astimezone(zone), a.ends_at.astimezone(zone)
    customer = f"{a.customer.number} {a.customer.name}" if a.customer else "-"
    click.echo(f"#{a.id} {a.status}: {start:%a %d.%m.%Y %H:%M}-{end:%H:%M} {a.engineer.key}")
    click.echo(f"    {customer}: {a.title}{' (on site)' if a.onsite else ''}")
    click.echo("suggested slots (reschedule N):")
    for number, s in enumerate(found, start=1):
        begins = s.starts_at.astimezone(zone)
        click.echo(f"  {number}. {begins:%a %d.%m.%Y %H:%M} {s.engineer.key}")


def _slot(
    appointment: Appointment, value: str, engineer: str | None, now: datetime
) -> tuple[datetime, Engineer | None]:
    """A suggestion number, or a wall-clock time in the provider's zone."""
    if value.isdigit():
        found = appointments.suggestions(db.session(), appointment, now)
        if not 1 <= int(value) <= len(found):
            raise click.ClickException(f"no suggestion {value}: there are {len(found)}")
        chosen = found[int(value) - 1]
        return chosen.starts_at, chosen.engineer
    return wall_clock(value), _engineer(engineer) if engineer else None


def _needs(value: str | None, action: str) -> str:
    if not value:
        raise click.ClickException(f"{action} needs a value (see --help)")
    return value


def _engineer(key: str) -> Engineer:
    engineer = db.session().scalar(select(Engineer).where(Engineer.key == key))
    if engineer is None:
        raise click.ClickException(f"no engineer {key!r}")
    return engineer


@click.command("import-appointments")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--engineer", help="whose calendar an .ics file is (required for .ics)")
def import_appointments(file: Path, engineer: str | None) -> None:
    """Import appointments from an engineer's iCalendar export (.ics) or a CSV file.

    CSV columns: key;engineer;customer;start;end;title;onsite (`,` works too); times without an
    offset are wall-clock times in the provider's zone. Re-importing updates by key.
    """
    session = db.session()
    try:
        if file.suffix.lower() == ".ics":
            if not engineer:
                raise click.ClickException("an .ics file needs --engineer")
            result = appointments.import_ics(session, engineer, file.read_bytes())
        else:
            result = appointments.import_csv(session, file.read_text(encoding="utf-8-sig"))
    except AppointmentError as exc:
        raise click.ClickException(f"{file}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file} is not UTF-8 text: save it as UTF-8") from exc
    session.commit()
    click.echo(f"{result.created} created, {result.updated} updated, {len(result.skipped)} skipped")
    for reason in result.skipped:
        click.echo(f"  skipped {reason}")


@click.command("check-displacements")
@at_option()
def check_displacements() -> None:
    """Put the appointments of newly accepted emergencies at risk now (the worker does this)."""
    checked = appointments.check_displacements(db.session(), clock.now())
    click.echo(f"{checked} {'emergency' if checked == 1 else 'emergencies'} checked")


commands = [list_appointments, act, import_appointments, check_displacements]

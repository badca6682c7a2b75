"""Time entries from the command line: import a ticket system's CSV, list a month's hours."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select

from hotline import appointments, billing, clock, db, hours, timesheet
from hotline.cli.at import at_option
from hotline.cli.billing import month_arg
from hotline.models import Engineer


@click.command("import-hours")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@at_option()
def import_hours(file: Path) -> None:
    """Import time entries from a ticket system's CSV export, all rows or none.

    Columns (German or English headers, `;` or `,`): date/Datum, engineer/Mitarbeiter,
    customer/Kunde, minutes/Minuten or hours/Stunden (decimal comma), topic/Thema,
    ticket/Ticketnummer, billable/abrechenbar (optional, default yes). A row is found again by
    ticket, date and engineer: importing a file twice changes nothing.
    """
    session = db.session()
    try:
        result = timesheet.load(session, file.read_bytes(), f"import {file.name}", clock.now())
    except timesheet.TimesheetError as exc:
        session.rollback()
        raise click.ClickException(
            f"{file}: nothing imported, {len(exc.errors)} "
            f"{'error' if len(exc.errors) == 1 else 'errors'}:\n" + "\n".join(exc.errors)
        ) from exc
    session.commit()
    click.echo(f"{result.added} added, {result.updated} updated, {result.unchanged} unchanged")


@click.command("hours")
@click.option("--month", help="YYYY-MM; default this month")
@click.option("--engineer", help="one engineer's key")
@at_option()
def list_hours(month: str | None, engineer: str | None) -> None:
    """A month's time entries (emergencies are on their tickets: `flask tickets`)."""
    session = db.session()
    zone = appointments.planning(session).zone
    chosen = month_arg(month) or billing.month_of(clock.now(), zone)
    who = None
    if engineer:
        who = session.scalar(select(Engineer).where(Engineer.key == engineer))
        if who is None:
            raise click.ClickException(f"no engineer {engineer!r}")
    entries = hours.of_month(session, chosen, who)
    for e in entries:
        click.echo(
            f"{e.day:%d.%m.%Y}  {e.engineer.key:<10} {e.customer.number:<8} {e.minutes:>4} min "
            f"{'' if e.billable else '(not billable) '}{e.reference or '-'}  {e.topic}"
        )
    total = sum(e.minutes for e in entries if e.billable)
    click.echo(f"{len(entries)} entries in {chosen:%Y-%m}, {total} billable minutes")


commands = [import_hours, list_hours]

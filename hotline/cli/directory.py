"""Directory commands: import and export the YAML directory, load the demo provider."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select

from hotline import accounts, clock, db, demo
from hotline.directory import DirectoryError, dump, export_directory, export_file, import_file
from hotline.models import Provider, User


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--accept-warnings",
    is_flag=True,
    help="Import although numbers or blocks change which customer a caller reaches.",
)
@with_appcontext
def import_command(file: str, accept_warnings: bool) -> None:
    """Import a directory file (YAML): all of it, or nothing when it has errors."""
    try:
        summary = import_file(db.session(), file, accept_warnings)
    except DirectoryError as exc:
        if exc.errors:
            click.echo(
                f"{file}: not imported, nothing changed. {len(exc.errors)} error(s):", err=True
            )
            for error in exc.errors:
                click.echo(f"  {error}", err=True)
        if exc.warnings:
            click.echo(
                f"{file}: {'and ' if exc.errors else 'not imported, nothing changed. '}"
                f"{len(exc.warnings)} warning(s) to confirm with --accept-warnings:",
                err=True,
            )
            for warning in exc.warnings:
                click.echo(f"  {warning}", err=True)
        raise SystemExit(1) from None
    for line in summary.lines():
        click.echo(line)


@click.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def export_command(file: str | None) -> None:
    """Write the directory as YAML to FILE, or to standard output."""
    if file:
        export_file(db.session(), file)
        click.echo(f"directory written to {file}")
    else:
        click.echo(dump(export_directory(db.session())), nl=False)


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when a provider exists already.")
@click.option(
    "--week",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Build the demo for the week of this date (default: this week).",
)
@click.option(
    "--zammad",
    metavar="URL",
    help="Also tell this Zammad of every ticket (e.g. http://127.0.0.1:8765, where "
    "`flask zammad-standin` listens; docs/webhooks.md).",
)
@with_appcontext
def seed_demo(if_empty: bool, week: datetime | None, zammad: str | None) -> None:
    """Load the demo provider "Solutionbar IT-Service" (dates relative to today or --week)."""
    session = db.session()
    if if_empty and Provider.one(session):
        click.echo("a provider exists: demo data not loaded")
    else:
        for line in demo.seed(session, week.date() if week else None, zammad).lines():
            click.echo(line)
    if if_empty and session.scalar(select(func.count(User.id))):
        return  # an instance with accounts of its own gets no demo accounts
    made = accounts.seed_demo(session, clock.now())
    session.commit()
    for user in made:
        click.echo(f"demo account {user.email} ({user.role}), password: "
                   f"{accounts.DEMO[user.email][3]}")  # fmt: skip


commands: list[click.Command] = [import_command, export_command, seed_demo]

"""The rota on the command line: `oncall`, `chain`, `gaps`, `swap`.

Times are wall-clock times in the provider's zone (`2026-12-24T03:00`) unless they carry an
offset; without `--at`, now.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select

from escalation import wallclock
from escalation.rota import swap
from escalation.wallclock import instant, wall
from hotline import clock, db, roster
from hotline import models as m
from hotline.cli.at import at_option

AT_HELP = "Wall-clock time of the provider's zone, e.g. 2026-12-24T03:00 (default: now)."


def parse_time(text: str | None, zone: ZoneInfo) -> datetime:
    """`--at` as an instant: ISO date-time, wall-clock in `zone` unless it has an offset."""
    if not text:
        return clock.now()
    try:
        return wallclock.parse(text, zone)
    except (ValueError, OverflowError):
        raise click.BadParameter(f"{text!r}: expected YYYY-MM-DDTHH:MM") from None


def shown(at: datetime, zone: ZoneInfo) -> str:
    return wall(at, zone).strftime("%Y-%m-%d %H:%M")


@click.command("oncall")
@at_option(AT_HELP)
@click.option("--team", help="Only this team (key).")
def oncall(team: str | None) -> None:
    """Who is on call, per team and layer, and why."""
    session = db.session()
    zone = clock.zone(session)
    at = clock.now()
    people = roster.people(session)
    teams = session.scalars(select(m.Team.key).order_by(m.Team.key)).all()
    if team and team not in teams:
        raise click.BadParameter(f"no team {team!r}", param_hint="--team")
    found = roster.on_call(session, at, team)
    click.echo(f"On call at {shown(at, zone)} ({zone.key}):")
    for key in [team] if team else teams:
        entries = [o for o in found if o.team == key]
        if not entries:
            click.echo(f"  {key:12} nobody on call")
        for o in entries:
            person = people.get(o.engineer)
            name = person.name if person else "?"
            mobile = (person.mobile if person else None) or "no mobile"
            click.echo(f"  {key:12} {o.layer:10} {o.engineer:12} {name:24} {mobile:16} {o.reason}")


@click.command("chain")
@click.argument("customer_number", required=False)
@at_option(AT_HELP)
def chain(customer_number: str | None) -> None:
    """The escalation chain a call would walk (no CUSTOMER_NUMBER: an unidentified caller)."""
    session = db.session()
    zone = clock.zone(session)
    at = clock.now()
    customer = None
    if customer_number:
        customer = session.scalars(
            select(m.Customer).where(m.Customer.number == customer_number)
        ).first()
        if customer is None:
            raise click.BadParameter(f"no customer {customer_number!r}")
    result = roster.chain_for(session, customer, at)
    who = f"{customer.number} {customer.name}" if customer else "an unidentified caller"
    click.echo(f"Chain for {who} at {shown(at, zone)} ({zone.key}):")
    for i, e in enumerate(result.entries, start=1):
        key = e.engineer or "-"
        click.echo(
            f"  {i:2}. {e.level:14} {key:12} {e.name:24} {e.number:16} {e.timeout:3} s  {e.reason}"
        )
    if not result.entries:
        click.echo("  nobody, and no fallback number: set HOTLINE_FALLBACK_NUMBER")
    if result.skipped:
        click.echo("Skipped:")
        for s in result.skipped:
            click.echo(f"      {s.level:14} {s.engineer:12} {s.reason}")


@click.command("gaps")
@click.option(
    "--days", default=30, show_default=True, type=click.IntRange(1, 366), help="How far ahead."
)
@click.option("--from", "from_text", metavar="TIME", help="Start (default now).")
@click.option("--json", "as_json", is_flag=True, help="As JSON.")
def gaps(days: int, from_text: str | None, as_json: bool) -> None:
    """Periods where a team or the cross-team pool has nobody reachable on call."""
    session = db.session()
    zone = clock.zone(session)
    start = parse_time(from_text, zone)
    end = instant(wall(start, zone) + timedelta(days=days), zone)  # days of the wall clock
    report = roster.gap_report(session, start, end)
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2))
        return
    click.echo(f"Rota from {shown(start, zone)} to {shown(end, zone)} ({zone.key}):")
    for g in report.gaps:
        where = f"team {g.team}" if g.team else "cross-team pool"
        span = f"{shown(g.starts_at, zone)} - {shown(g.ends_at, zone)}"
        click.echo(f"  gap          {span}  {where}: nobody reachable on call")
    for u in report.unreachable:
        span = f"{shown(u.starts_at, zone)} - {shown(u.ends_at, zone)}"
        click.echo(f"  unreachable  {span}  {u.engineer} ({u.team} {u.layer}): {u.reason}")
    if not report.gaps and not report.unreachable:
        click.echo("  no gaps")


@click.command("swap")
@click.argument("rotation_key")
@click.argument("first")
@click.argument("second")
def swap_command(rotation_key: str, first: str, second: str) -> None:
    """Print the two overrides that swap the shifts holding FIRST and SECOND (paste them into
    the directory file's `overrides`)."""
    session = db.session()
    zone = clock.zone(session)
    current = roster.load_rota(session, clock.now())
    rotation = next((r for r in current.rotations if r.key == rotation_key), None)
    if rotation is None:
        raise click.BadParameter(f"no rotation {rotation_key!r}")
    try:
        overrides = swap(rotation, parse_time(first, zone), parse_time(second, zone), zone)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("overrides:")
    for o in overrides:
        click.echo(f"  - engineer: {o.engineer}\n    replaces: {o.replaces}\n    team: {o.team}")
        click.echo(f"    layer: {o.layer}")
        click.echo(f'    from: "{wall(o.starts_at, zone).isoformat(timespec="minutes")}"')
        click.echo(f'    until: "{wall(o.ends_at, zone).isoformat(timespec="minutes")}"')


commands: list[click.Command] = [oncall, chain, gaps, swap_command]

"""JourFixe commands: each customer's rhythm and next status e-mail, the GL-JourFixe report."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from sqlalchemy import select

from escalation.jourfixe import Half
from hotline import clock, db, glreport, jourfixe
from hotline.cli.at import at_option
from hotline.models import Customer


def _customer(number: str) -> Customer:
    found = db.session().scalar(select(Customer).where(Customer.number == number))
    if found is None:
        raise click.ClickException(f"no customer {number!r}")
    return found


@click.command("jourfixe")
@click.argument("number", required=False)
@click.option("--cancel", "cancel_day", type=click.DateTime(["%Y-%m-%d"]),
              help="the JourFixe of this day (YYYY-MM-DD) does not take place")  # fmt: skip
@click.option("--reinstate", "reinstate_day", type=click.DateTime(["%Y-%m-%d"]),
              help="the customer's JourFixe of this day takes place after all")  # fmt: skip
@at_option()
def show(number: str | None, cancel_day: datetime | None, reinstate_day: datetime | None) -> None:
    """Each customer's JourFixe: the rhythm, the last and next one, the coming days it does not
    take place, who sends the status e-mail to whom, which JourFixe the next one reports, and
    the GL-JourFixe dates. With --cancel or --reinstate: change one day of NUMBER's rhythm."""
    session = db.session()
    now, zone = clock.now(), clock.zone(session)
    if cancel_day or reinstate_day:
        if not number:
            raise click.UsageError("--cancel and --reinstate need the customer's NUMBER")
        _change(_customer(number), cancel_day, reinstate_day)
    customers = [_customer(number)] if number else session.scalars(
        select(Customer).order_by(Customer.number)
    ).all()  # fmt: skip

    def shown(at: object) -> str:
        return "-" if at is None else f"{clock.local(at, zone):%a %d.%m.%Y %H:%M}"  # type: ignore[arg-type]

    for c in customers:
        rhythm = jourfixe.rhythm(c)
        lead = jourfixe.lead(c)
        click.echo(f"{c.number} {c.name}")
        if rhythm is None:
            click.echo("  no JourFixe rhythm: status e-mails on request and at quota notices")
        else:
            target = jourfixe.target(session, c, now)
            state = "queued" if target and jourfixe.queued(session, c, target) else "not yet queued"
            last, following = rhythm.latest(now, zone), rhythm.following(now, zone)
            click.echo(f"  {rhythm.said('en')}, {rhythm.minutes} min; last {shown(last)}, "
                       f"next {shown(following)}")  # fmt: skip
            click.echo(f"  next status e-mail: for the JourFixe of {shown(target)} ({state})")
            off = [_off(d) for d in jourfixe.upcoming(session, c, now) if d.cancelled or d.holiday]
            if off:
                click.echo(f"  does not take place: {', '.join(off)}")
        to = ", ".join(jourfixe.recipients(c)) or "-"
        click.echo(f"  from {lead.key if lead else '-'} to {to}")
        if c.gl_jourfixes:
            click.echo(f"  GL-JourFixe: {', '.join(shown(g.at) for g in c.gl_jourfixes)}")


def _off(day: jourfixe.Day) -> str:
    why = f"cancelled by {day.cancelled.by}" if day.cancelled else "public holiday"
    return f"{day.day:%d.%m.%Y} ({why})"


def _change(customer: Customer, cancel: datetime | None, reinstate: datetime | None) -> None:
    session = db.session()
    if reinstate:
        day = reinstate.date()
        found = jourfixe.reinstate(customer, day)
        click.echo(f"the JourFixe of {day} takes place" + ("" if found else " (was not cancelled)"))
    if cancel:
        day = cancel.date()
        refusal = jourfixe.cancel(session, customer, day, "command line", clock.now())
        if refusal is not None:
            raise click.ClickException(refusal)
        click.echo(f"the JourFixe of {day} does not take place: no status e-mail for it")
    session.commit()


@click.command("gl-report")
@click.argument("number")
@click.option("--half", "half_text", required=True, help="the half-year, e.g. 2026-H2")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="the PDF file (default: gl-CUSTOMER-HALF.pdf)")  # fmt: skip
@at_option()
def gl_report(number: str, half_text: str, output: Path | None) -> None:
    """The half-year report for a customer's GL-JourFixe as a PDF: hours per month against the
    quota, emergencies and surcharges, displaced appointments, charts."""
    try:
        half = Half.parse(half_text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--half") from None
    session = db.session()
    customer = _customer(number)
    data = glreport.pdf(session, glreport.report(session, customer, half, clock.now()))
    path = output or Path(f"gl-{customer.number}-{half}.pdf")
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror}") from exc
    click.echo(f"written to {path} ({len(data)} bytes)")


commands = [show, gl_report]

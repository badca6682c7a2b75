"""Billing commands: resolve and waive, the month-end run, its export, the status e-mails."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from sqlalchemy import select

from hotline import appointments, billing, clock, db, reports
from hotline.billing import BillingError
from hotline.cli.at import at_option
from hotline.models import Customer, Engineer, Ticket


def _ticket(ticket_id: int) -> Ticket:
    ticket = db.session().get(Ticket, ticket_id)
    if ticket is None:
        raise click.ClickException(f"no ticket {ticket_id}")
    return ticket


def month_arg(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(f"{value}-01")
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is no month (YYYY-MM)") from exc


@click.command("resolve")
@click.argument("ticket_id", type=int)
@click.option("--work-minutes", type=int, required=True, help="work logged after the call")
@click.option("--notes", help="what was done")
@at_option()
def resolve(ticket_id: int, work_minutes: int, notes: str | None) -> None:
    """Resolve an emergency: its real duration settles its appointments, its time is billed."""
    session = db.session()
    ticket = _ticket(ticket_id)
    try:
        billing.resolve(session, ticket, clock.now(), work_minutes, notes)
    except BillingError as exc:
        raise click.ClickException(str(exc)) from exc
    session.commit()
    click.echo(f"ticket {ticket.id} resolved, {work_minutes} min work logged")


@click.command("waive")
@click.argument("ticket_id", type=int)
@click.option("--by", "by", required=True, help="the project lead's engineer key")
@click.option("--reason", required=True, help="why; it goes into the export")
@at_option()
def waive(ticket_id: int, by: str, reason: str) -> None:
    """Waive an emergency's §2 surcharge (project leads only)."""
    session = db.session()
    lead = session.scalar(select(Engineer).where(Engineer.key == by))
    if lead is None:
        raise click.ClickException(f"no engineer {by!r}")
    try:
        billing.waive(session, _ticket(ticket_id), lead, reason, clock.now())
    except BillingError as exc:
        raise click.ClickException(str(exc)) from exc
    session.commit()
    click.echo(f"surcharge of ticket {ticket_id} waived by {lead.key}")


@click.command("billing-run")
@click.option("--month", help="YYYY-MM; default the month that just ended")
@at_option()
def billing_run(month: str | None) -> None:
    """Bill and close a month; a closed month is shown as it was, never billed twice.

    Closing is final: an emergency resolved later goes into the next month's run.
    """
    session = db.session()
    now = clock.now()
    chosen = month_arg(month)
    try:
        run = billing.close(session, chosen, now) if chosen else billing.run_month_end(session, now)
    except BillingError as exc:
        raise click.ClickException(str(exc)) from exc
    zone = appointments.planning(session).zone
    click.echo(f"{run.month:%Y-%m} closed at {run.closed_at.astimezone(zone):%d.%m.%Y %H:%M}")
    for line in run.lines:
        displaced = ", ".join(f"#{d['id']} {d['customer']}" for d in line.displaced)
        what = f"ticket {line.ticket_id}" if line.ticket_id else f"entry {line.time_entry_id}"
        click.echo(
            f"  {line.customer.number} {what}: {line.billed_minutes} min "
            f"(quota {line.quota_minutes}, extra {line.extra_minutes}), "
            f"surcharge {line.surcharge} EUR"
            + (f" for {displaced}" if displaced else "")
            + (f" waived: {line.surcharge_waived_reason}" if line.surcharge_waived_reason else "")
        )
    if not run.lines:
        click.echo("  nothing to bill")


@click.command("billing-export")
@click.option("--month", required=True, help="YYYY-MM, a closed month")
@click.option("--semicolon", is_flag=True, help="';' and decimal commas (German spreadsheets)")
@click.option("--totals", is_flag=True, help="one row per customer: the month's sums")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
def billing_export(month: str, semicolon: bool, totals: bool, output: Path | None) -> None:
    """Export a closed month as CSV (UTF-8 with BOM), one row per emergency, or with --totals
    one row per customer; a column's sum counts each emergency once in either."""
    chosen = month_arg(month)
    assert chosen is not None
    try:
        data = billing.export_csv(db.session(), chosen, semicolon, totals)
    except BillingError as exc:
        raise click.ClickException(str(exc)) from exc
    if output is None:
        click.echo(data, nl=False)  # bytes go out as they are: the file's, BOM included
        return
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror}") from exc
    click.echo(f"written to {output}")


@click.command("status-emails")
@click.option("--show", "number", help="print one customer's next status e-mail, not sending it")
@click.option("--due", is_flag=True, help="only what the worker's job queues now: after a "
              "JourFixe, at a quota notice")  # fmt: skip
@at_option(
    "Act as if it were this wall-clock time of the provider's zone (default: now): the e-mails "
    "report that time's month, and are queued at that time."
)
def status_emails(number: str | None, due: bool) -> None:
    """Queue this month's status e-mail for every customer with a contract, now (at most once a
    day). The worker queues them by itself after each JourFixe and at 80 % / 100 % of the
    quota (`--due` does what it does); `send-pending` sends them at once."""
    session = db.session()
    now = clock.now()
    if number:
        customer = session.scalar(select(Customer).where(Customer.number == number))
        if customer is None:
            raise click.ClickException(f"no customer {number!r}")
        mail = reports.preview(session, customer, now)
        click.echo(
            f"From: {mail.sender}\nReply-To: {mail.reply_to or '-'}\n"
            f"To: {', '.join(mail.to) or '(no address: not sent)'}\n"
            f"Subject: {mail.subject}\n\n{mail.text}"
        )
        return
    queued = reports.queue_status_emails(session, now, everyone=not due)
    click.echo(f"{queued} status {'e-mail' if queued == 1 else 'e-mails'} queued")


commands = [resolve, waive, billing_run, billing_export, status_emails]

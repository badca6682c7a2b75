"""`simulate-repage`: a voicemail re-paged by voice until someone calls the customer back."""

from __future__ import annotations

import logging

import click
from flask import current_app
from sqlalchemy import select

from escalation.callflow import State
from hotline import db, tickets
from hotline.cli.simulate import behaviours
from hotline.cli.tickets import render
from hotline.models import Ticket
from hotline.simulated_repage import BEHAVIOURS, Script, simulate


@click.command("simulate-repage")
@click.argument("ticket_id", metavar="[TICKET]", type=int, required=False)
@click.option(
    "--engineer",
    "engineers",
    multiple=True,
    metavar="KEY=BEHAVIOUR",
    help=f"What an engineer does when called: {', '.join(BEHAVIOURS)}.",
)
@click.option(
    "--others",
    default="no-answer",
    show_default=True,
    type=click.Choice(BEHAVIOURS),
    help="What every engineer not named with --engineer does.",
)
@click.option("--customer-away", is_flag=True, help="The customer does not answer the call-back.")
@click.option("--talk", default=240, show_default=True, help="Seconds the call-back lasts.")
def simulate_repage(ticket_id: int | None, engineers: tuple[str, ...], others: str,
                    customer_away: bool, talk: int) -> None:  # fmt: skip
    """Play the voice re-page of ticket TICKET's voicemail (default: the newest one waiting
    for a call-back, e.g. left by `simulate-call ... --others no-answer`): from the moment it
    was left, on a simulated clock, the worker's checks call the chain again
    (HOTLINE_REPAGE_MINUTES, HOTLINE_REPAGE_ROUNDS) until an engineer takes it and calls the
    customer back through the central number.

    Twilio's REST API is simulated for its duration (no account needed, nobody's phone rings,
    the SMS are printed); the calls, legs and timeline are real to the database.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["TWILIO_ACCOUNT_SID"]:
        raise click.ClickException("a Twilio account is configured: simulate on a demo instance")
    script = Script(behaviours(engineers, BEHAVIOURS), others, not customer_away, talk)
    if ticket_id is None:
        ticket_id = db.session().scalar(
            select(Ticket.id)
            .where(Ticket.state == State.CALLBACK_PENDING, Ticket.acknowledged_at.is_(None))
            .order_by(Ticket.arrived_at.desc(), Ticket.id.desc())
            .limit(1)
        )
        if ticket_id is None:
            raise click.ClickException("no voicemail waits for a call-back (flask tickets)")
    db.session().close()  # no transaction open while the webhooks run
    quiet = logging.getLogger("hotline.webhooks")  # the transcript says every step already
    level = quiet.level
    quiet.setLevel(max(level, logging.WARNING))
    try:
        simulate(app, ticket_id, script, click.echo)
    except LookupError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        quiet.setLevel(level)
    session = db.session()
    session.expire_all()
    ticket = session.get(Ticket, ticket_id)
    assert ticket is not None
    click.echo("\n" + render(tickets.as_dict(ticket)))


commands = [simulate_repage]

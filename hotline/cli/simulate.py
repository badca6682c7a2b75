"""`simulate-call`: play an emergency call through the real webhooks, no Twilio account needed."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import click
from flask import current_app
from sqlalchemy import select

from escalation import wallclock
from hotline import db, notify, phones, tickets
from hotline.cli.tickets import render
from hotline.clock import now, zone
from hotline.models import Delivery, Message, Provider, Ticket
from hotline.outbound import deliver
from hotline.simulator import BEHAVIOURS, Clock, Script, Simulator


def behaviours(values: tuple[str, ...], allowed: tuple[str, ...] = BEHAVIOURS) -> dict[str, str]:
    """`--engineer KEY=BEHAVIOUR` options as a mapping, each behaviour one of `allowed`."""
    found = {}
    for value in values:
        key, _, behaviour = value.partition("=")
        if behaviour not in allowed:
            raise click.BadParameter(
                f"{value!r}: use KEY=BEHAVIOUR with one of {', '.join(allowed)}"
            )
        found[key] = behaviour
    return found


def _as_twilio_sends(raw: str) -> str:
    """Twilio sends a real caller ID in E.164 and anything else as it came."""
    try:
        return phones.normalize(raw)
    except ValueError:
        return raw


def _silent(line: str) -> None:
    """--json prints only the ticket."""


def start(text: str, zone: ZoneInfo) -> datetime:
    """When the simulated call starts: `--at` as every `--at`, wall-clock time in the provider's
    zone unless it has an offset."""
    try:
        return wallclock.parse(text, zone)
    except (ValueError, OverflowError):
        raise click.BadParameter(
            f"{text!r}: expected YYYY-MM-DDTHH:MM", param_hint="--at"
        ) from None


@click.command("simulate-call")
@click.option(
    "--from",
    "from_",
    default="anonymous",
    show_default=True,
    help="Caller ID as Twilio would send it (any format; 'anonymous' for withheld).",
)
@click.option("--to", default=None, help="The number called (default: the central number).")
@click.option(
    "--press",
    "presses",
    multiple=True,
    help="The caller's answer to the next question, in order: a customer number, a PIN, "
    "1 or 2 (repeat the option; '' for silence). Default: 1.",
)
@click.option(
    "--engineer",
    "engineers",
    multiple=True,
    metavar="KEY=BEHAVIOUR",
    help=f"What an engineer (or 'fallback') does: {', '.join(BEHAVIOURS)}.",
)
@click.option(
    "--others",
    default="accept",
    show_default=True,
    type=click.Choice(BEHAVIOURS),
    help="What every engineer not named with --engineer does.",
)
@click.option("--talk", default=600, show_default=True, help="Seconds an accepted call lasts.")
@click.option(
    "--message",
    default=20,
    show_default=True,
    help="Seconds of voicemail the caller leaves when asked (0: none).",
)
@click.option(
    "--hangup-after",
    type=float,
    metavar="SECONDS",
    help="The caller hangs up at this second of the call (the simulator's clock), wherever the "
    "call is: a prompt, a ringing phone, the talk, the message.",
)
@click.option(
    "--at",
    "at_text",
    help="Start the call at this wall-clock time of the provider's zone, e.g. 2026-12-24T03:00 "
    "(default: now).",
)
@click.option(
    "--conference",
    is_flag=True,
    help="The bridge is a conference: the caller holds while the engineers' legs are placed "
    "through Twilio's REST API (simulated here too); a level with `ring: simultaneous` rings "
    "all at once.",
)
@click.option(
    "--rest-fails",
    is_flag=True,
    help="With --conference: the REST API refuses every call (the call falls back to <Dial>).",
)
@click.option(
    "--star-after",
    type=int,
    metavar="SECONDS",
    help="With --conference: the accepting engineer presses * after this long and pulls in "
    "someone (--pull).",
)
@click.option(
    "--pull",
    type=click.Choice(["1", "2"]),
    default="2",
    show_default=True,
    help="After *: 1 the next person of the chain, 2 the project lead.",
)
@click.option("--json", "as_json", is_flag=True, help="Print only the resulting ticket as JSON.")
@click.option(
    "--webhook-log",
    is_flag=True,
    help="Also log each webhook's one-line record (INFO), as the server writes it.",
)
@click.option(
    "--live",
    is_flag=True,
    help="Play the call even though a Twilio account is configured (its SMS page real people).",
)
def simulate_call(
    from_: str,
    to: str | None,
    presses: tuple[str, ...],
    engineers: tuple[str, ...],
    others: str,
    talk: int,
    message: int,
    hangup_after: float | None,
    at_text: str | None,
    conference: bool,
    rest_fails: bool,
    star_after: int | None,
    pull: str,
    as_json: bool,
    webhook_log: bool,
    live: bool,
) -> None:
    """Play a call: print what the caller hears, which phones ring, and the resulting ticket.

    The call is real to the database: it makes a ticket and queues its SMS. On the embedded
    default (no Twilio account) this command delivers what is due itself, as the call runs
    (DRY RUN: logged, on standard error), so they show here, at the call's simulated time.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    dry_run = not app.config["TWILIO_ACCOUNT_SID"]
    if not dry_run and not live:
        raise click.ClickException(
            "a Twilio account is configured: this call's SMS would reach real engineers. "
            "Pass --live to play it anyway."
        )
    clock = Clock(start(at_text, zone(db.session())) if at_text else now())
    real_clock, app.config["CLOCK"] = app.config["CLOCK"], clock
    provider = Provider.one(db.session())
    to = to or (provider.central_number if provider else None) or "+4930000000"
    db.session().close()  # no transaction open while the webhooks (other threads) run
    script = Script(
        presses=list(presses) or ["1"],
        engineers=behaviours(engineers),
        default=others,
        talk=talk,
        message=message,
        hangup_after=hangup_after,
        conference=conference,
        rest_fails=rest_fails,
        star_after=star_after,
        pull=pull,
    )
    # The transcript goes out line by line as the call runs (click.echo flushes each), so the
    # log on standard error (the DRY RUN SMS after the call) follows it in order, never inside it.
    say = _silent if as_json else click.echo

    def worker() -> None:
        """The worker's delivery, right after each webhook: a message goes out (as a DRY RUN
        log line) at the moment of the call it was queued in, and says so in the outbox; a
        ticket system the directory names hears of the ticket as it happens."""
        with db.new_session() as session:
            notify.deliver_due(session, clock())
            deliver.deliver(session, clock())

    # The transcript tells every step; the webhooks' one-line records (INFO) would say each again.
    voice_log = logging.getLogger("hotline.webhooks")  # hotline/voice/guard.py
    level = voice_log.level
    if not webhook_log:
        voice_log.setLevel(max(level, logging.WARNING))
    try:
        simulator = Simulator(app, clock, script, say, worker if dry_run else None)
        result = simulator.run(_as_twilio_sends(from_), to)
    finally:
        app.config["CLOCK"] = real_clock
        voice_log.setLevel(level)
    session = db.session()
    session.expire_all()
    ticket = session.get(Ticket, result.ticket_id) if result.ticket_id else None
    if as_json:
        click.echo(
            json.dumps(tickets.as_dict(ticket) if ticket else None, indent=2, ensure_ascii=False)
        )
        return
    if result.speech_before_ring is not None:
        click.echo(
            f"\nThe caller heard {result.speech_before_ring:.1f} s of speech before the "
            "first engineer's phone rang."
        )
    if ticket is not None:
        click.echo("\n" + render(tickets.as_dict(ticket)))
        queued = session.scalars(select(Message).where(Message.ticket_id == ticket.id)).all()
        for m in queued:
            state = "sent (DRY RUN, logged)" if m.external_id == notify.DRY_RUN else m.status
            click.echo(f"  {m.channel} to {m.to}, {state}: {m.subject or m.body}")
        for d in session.scalars(select(Delivery).where(Delivery.ticket_id == ticket.id)):
            code = f" (HTTP {d.last_status})" if d.last_status else ""
            click.echo(f"  webhook {d.event} to {d.target}, {d.status}{code}")


commands = [simulate_call]

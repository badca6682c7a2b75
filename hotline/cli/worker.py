"""The worker and the outbox: `worker`, `outbox`, `send-pending`."""

from __future__ import annotations

import json
from typing import Any

import click
from flask import current_app
from sqlalchemy import case, func, select

from hotline import clock, db, notify, production, scheduler
from hotline.cli.at import at_option
from hotline.models import Message


@click.command("worker")
def worker() -> None:
    """Run the scheduler process: sends messages, runs the periodic jobs (Procfile `worker`)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        production.refuse(app)  # its SMS carry links signed with the secret key
    except production.Refused as exc:
        raise click.ClickException(str(exc)) from None
    scheduler.serve(app)


@click.command("send-pending")
@at_option()
def send_pending() -> None:
    """Deliver the messages that are due now, once, SMS first (the worker's two delivery jobs)."""
    session = db.session()
    sent = notify.deliver_due(session, clock.now())
    counts = dict(
        session.execute(select(Message.status, func.count()).group_by(Message.status)).all()
    )
    click.echo(f"{sent} sent; outbox: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))


@click.command("outbox")
@click.option("--status", type=click.Choice(["pending", "sent", "failed"]), help="Only these.")
@click.option(
    "--limit",
    default=30,
    show_default=True,
    type=click.IntRange(min=1),
    help="How many, newest first.",
)
@click.option("--json", "as_json", is_flag=True, help="Everything, as JSON.")
def outbox(status: str | None, limit: int, as_json: bool) -> None:
    """List SMS and e-mails: pending, sent (or only logged: dry-run) and failed, newest first by
    the time shown (sent at, or due at), then by id."""
    query = select(Message).order_by(SHOWN_AT.desc(), Message.id.desc()).limit(limit)
    if status:
        query = query.where(Message.status == status)
    messages = db.session().scalars(query).all()
    zone = clock.zone(db.session())  # times are shown in the provider's zone
    if as_json:
        click.echo(json.dumps([as_dict(m) for m in messages], indent=2, ensure_ascii=False))
        return
    if not messages:
        click.echo("outbox is empty")
    for m in messages:
        when = shown_at(m)
        state = "DRY-RUN (logged, not sent)" if m.external_id == notify.DRY_RUN else m.status
        to = m.to or "(erased)"  # the retention purge empties old messages
        click.echo(
            f"#{m.id:<5} {clock.local(when, zone):%Y-%m-%d %H:%M} {m.channel:5} {to:24} {state}"
            f" (tries {m.tries}){' ticket ' + str(m.ticket_id) if m.ticket_id else ''}"
        )
        click.echo(f"       {m.subject + ': ' if m.subject else ''}{_line(m.body)}")
        if m.last_error:
            click.echo(f"       last error: {m.last_error}")


# The time a message is listed by: when it went out, or when it is (or was last) due.
SHOWN_AT = case((Message.status == "sent", Message.sent_at), else_=Message.next_try_at)


def shown_at(m: Message) -> Any:
    return m.sent_at if m.status == "sent" else m.next_try_at


def _line(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def as_dict(m: Message) -> dict[str, Any]:
    def iso(at: Any) -> str | None:
        return at.isoformat() if at else None

    return {
        "id": m.id,
        "key": m.dedupe_key,
        "channel": m.channel,
        "to": m.to,
        "subject": m.subject,
        "body": m.body,
        "html": m.html,
        "ticket_id": m.ticket_id,
        "status": m.status,
        # whether it went out as a dry run is decided when it is sent: unknown while pending
        "dry_run": None if m.status == "pending" else m.external_id == notify.DRY_RUN,
        "tries": m.tries,
        "next_try_at": iso(m.next_try_at),
        "sent_at": iso(m.sent_at),
        "external_id": m.external_id,
        "last_error": m.last_error,
        "created_at": iso(m.created_at),
    }


commands = [worker, send_pending, outbox]

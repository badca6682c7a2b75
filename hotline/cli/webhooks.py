"""The ticket systems' webhooks: `webhooks` (the delivery log, `--retry`, `--send`) and
`zammad-standin` (a local Zammad to watch them arrive)."""

from __future__ import annotations

import contextlib
import json
import signal
import threading
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hotline import clock, db
from hotline.cli.at import at_option
from hotline.models import Delivery
from hotline.outbound import deliver, standin, targets


@click.command("webhooks")
@click.argument("delivery_id", required=False, type=int)
@click.option("--status", type=click.Choice(["pending", "delivered", "failed"]), help="Only these.")
@click.option("--ticket", "ticket_id", type=int, help="Only the deliveries of this ticket.")
@click.option("--limit", default=30, show_default=True, type=click.IntRange(min=1),
              help="How many, newest first.")  # fmt: skip
@click.option(
    "--retry",
    "retry_id",
    type=int,
    metavar="ID",
    help="Send this delivery again (pending, due now, tries counted afresh).",
)
@click.option("--send", is_flag=True, help="Send what is due now, once (the worker's job).")
@click.option("--json", "as_json", is_flag=True, help="The deliveries with their tries, as JSON.")
@at_option()
def webhooks(delivery_id: int | None, status: str | None, ticket_id: int | None, limit: int,
             retry_id: int | None, send: bool, as_json: bool) -> None:  # fmt: skip
    """The delivery log of the ticket systems' webhooks (docs/webhooks.md): the targets, then
    each delivery, newest first, with its tries; DELIVERY_ID shows one with every try."""
    session = db.session()
    now = clock.now()
    if retry_id is not None:
        found = session.get(Delivery, retry_id)
        if found is None:
            raise click.ClickException(f"no delivery {retry_id}")
        deliver.retry(session, found, now)
        session.commit()
        click.echo(f"delivery {retry_id} ({found.event} to {found.target}) is due again")
    if send or retry_id is not None:
        sent = deliver.deliver(session, now)
        click.echo(f"{sent} delivered")
    query = (
        select(Delivery)
        .options(selectinload(Delivery.attempts))
        .order_by(Delivery.id.desc())
        .limit(limit)
    )
    if delivery_id is not None:
        query = query.where(Delivery.id == delivery_id)
    if status:
        query = query.where(Delivery.status == status)
    if ticket_id is not None:
        query = query.where(Delivery.ticket_id == ticket_id)
    found_all = session.scalars(query).all()
    if as_json:
        click.echo(json.dumps([as_dict(d) for d in found_all], indent=2, ensure_ascii=False))
        return
    zone = clock.zone(session)
    if delivery_id is None and not (retry_id or send):
        for target in targets.targets(session):
            secret = "secret set" if targets.setting(target.secret) else "no secret"
            if target.secret and secret == "no secret":
                secret = f"{target.secret} NOT SET"
            click.echo(f"target {target.key}: {target.format} {target.url} ({secret})")
    if not found_all:
        click.echo("no deliveries")
    for d in found_all:
        when = clock.local(d.delivered_at or d.next_try_at, zone)
        what = {"delivered": "delivered", "failed": "FAILED"}.get(d.status, "pending, next try")
        code = f" HTTP {d.last_status}" if d.last_status else ""
        zammad = f" (Zammad ticket {d.external_id})" if d.external_id else ""
        click.echo(
            f"#{d.id:<5} {d.event:19} to {d.target:12} ticket {d.ticket_id or '-':<5} "
            f"{what} {when:%Y-%m-%d %H:%M:%S}{code}, tries {d.tries}{zammad}"
        )
        if d.last_error and delivery_id is None:
            click.echo(f"       last error: {d.last_error}")
        if delivery_id is not None:
            for a in d.attempts:
                said = f"HTTP {a.status_code}" if a.status_code else "no answer"
                error = f": {a.error}" if a.error else ""
                click.echo(f"       try {clock.local(a.at, zone):%Y-%m-%d %H:%M:%S} "
                           f"{said} in {a.milliseconds} ms{error}")  # fmt: skip


def as_dict(d: Delivery) -> dict[str, Any]:
    def iso(at: Any) -> str | None:
        return at.isoformat() if at else None

    return {
        "id": d.id,
        "event": d.event,
        "target": d.target,
        "ticket_id": d.ticket_id,
        "status": d.status,
        "tries": d.tries,
        "next_try_at": iso(d.next_try_at),
        "delivered_at": iso(d.delivered_at),
        "last_status": d.last_status,
        "last_error": d.last_error,
        "external_id": d.external_id,
        "body": json.loads(d.body) if d.body else None,
        "attempts": [
            {"at": iso(a.at), "status": a.status_code, "error": a.error, "ms": a.milliseconds}
            for a in d.attempts
        ],
    }


@click.command("zammad-standin")
@click.option("--port", default=8765, show_default=True, help="Port on 127.0.0.1.")
@click.option("--target", "key", help="The zammad webhook of the directory whose token and "
              "secret it checks (default: the first).")  # fmt: skip
def zammad_standin(port: int, key: str | None) -> None:
    """A local Zammad (in memory) that takes the hotline's tickets and shows them on
    http://127.0.0.1:PORT/: the token and signature it checks are the ones the directory's
    zammad webhook names. Ctrl-C ends it."""
    session = db.session()
    found = [t for t in targets.targets(session) if t.format == "zammad" and key in (None, t.key)]
    session.close()
    if not found or found[0].zammad is None:
        raise click.ClickException(
            "no zammad webhook in the directory: `flask seed-demo --zammad "
            f"http://127.0.0.1:{port}` adds one to the demo (docs/webhooks.md)"
        )
    target = found[0]
    assert target.zammad is not None
    token = targets.setting(target.zammad.token)
    if token is None:
        raise click.ClickException(f"set {target.zammad.token}: the token Zammad checks")
    secret = targets.setting(target.secret) if target.secret else None
    if target.secret and secret is None:
        raise click.ClickException(f"set {target.secret}: the secret the signature is made with")
    server = standin.Standin(token, secret, port, say=lambda line: click.echo(line)).start()
    click.echo(
        f"Zammad stand-in on {server.url}/ for webhook {target.key!r} "
        f"(token {target.zammad.token}, signature {target.secret or 'not checked'})"
    )
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C stops the stand-in like SIGTERM
            stop.wait()
    finally:
        server.stop()


commands = [webhooks, zammad_standin]

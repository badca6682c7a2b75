"""`tickets` and `ticket`: the emergency tickets and their whole timeline, as text or JSON."""

from __future__ import annotations

import json
from typing import Any

import click
from sqlalchemy import select

from hotline import db, tickets
from hotline.cli.at import at_option
from hotline.clock import now
from hotline.models import Engineer, Ticket


@click.command("tickets")
@click.option("--limit", default=20, show_default=True, help="How many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def list_tickets(limit: int, as_json: bool) -> None:
    """List recent emergency tickets."""
    rows = db.session().scalars(select(Ticket).order_by(Ticket.id.desc()).limit(limit)).all()
    if as_json:
        click.echo(json.dumps([summary(t) for t in rows], indent=2, ensure_ascii=False))
        return
    for t in rows:
        s = summary(t)
        click.echo(
            f"#{s['id']:<5} {s['arrived_at'][:16]}  {state(s):<20} {s['customer'] or '-':<34} "
            f"{s['accepted_by'] or '-':<10} {s['call_sid']}"
        )


@click.command("ticket")
@click.argument("ident")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def show_ticket(ident: str, as_json: bool) -> None:
    """Show one ticket (by id or CallSid) with its chain, attempts and timeline."""
    ticket = tickets.find(db.session(), ident)
    if ticket is None:
        raise click.ClickException(f"no ticket {ident}")
    data = tickets.as_dict(ticket)
    click.echo(json.dumps(data, indent=2, ensure_ascii=False) if as_json else render(data))


@click.command("acknowledge")
@click.argument("ident")
@click.option("--by", "engineer_key", required=True, help="Key of the engineer who calls back.")
@at_option()
def acknowledge(ident: str, engineer_key: str) -> None:
    """Acknowledge a voicemail (the page's "Ich übernehme den Rückruf"): stops the
    re-announcements."""
    session = db.session()
    ticket = tickets.find(session, ident)
    engineer = session.scalar(select(Engineer).where(Engineer.key == engineer_key))
    if ticket is None or engineer is None:
        raise click.ClickException("unknown ticket or engineer")
    tickets.acknowledge(session, ticket, engineer, now())
    session.commit()
    click.echo(f"ticket #{ticket.id} acknowledged by {engineer.name}")


def summary(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "call_sid": ticket.call_sid,
        "arrived_at": tickets.shown(ticket.arrived_at),
        "state": ticket.state,
        "customer": ticket.customer.name if ticket.customer else None,
        "accepted_by": ticket.accepted_by.key if ticket.accepted_by else None,
        "resolved_at": tickets.shown(ticket.resolved_at),
    }


def state(data: dict[str, Any]) -> str:
    """The call's state, and whether the emergency was resolved since: a resolved ticket keeps
    the state its call ended in (connected, callback_pending ...)."""
    return f"{data['state']}, resolved" if data.get("resolved_at") else data["state"]


def render(data: dict[str, Any]) -> str:
    """A ticket as a person reads it."""
    customer = data["customer"]
    lines = [
        f"Ticket #{data['id']}  {state(data)}  (CallSid {data['call_sid']})",
        f"  caller      {data['caller'] or 'withheld'}  (as sent: {data['caller_as_sent']!r})",
        f"  customer    {customer['name'] + ' (' + customer['number'] + ')' if customer else '-'}"
        f"  identified by {data['identified_by'] or '-'}",
        f"  arrived     {data['arrived_at']}",
    ]
    for label, key in (
        ("confirmed", "confirmed_at"),
        ("accepted", "accepted_at"),
        ("ended", "ended_at"),
        ("resolved", "resolved_at"),
    ):
        if data[key]:
            lines.append(f"  {label:<11} {data[key]}")
    if data["accepted_by"]:
        talked = data["bridged_seconds"] or 0
        lines.append(f"  accepted by {data['accepted_by']}, bridged {talked} s")
    if data.get("callback_seconds"):
        lines.append(f"  called back {data['callback_seconds']} s through the hotline (phone time)")
    if data["voicemail_url"]:
        lines.append(f"  voicemail   {data['voicemail_seconds']} s  {data['voicemail_url']}")
    for again in data.get("repeat_calls", []):  # the same number while the ticket was open
        message = (f", left a {again['message_seconds']} s message  {again['message_url']}"
                   if again["message_url"] else "")  # fmt: skip
        lines.append(f"  called again {again['arrived_at']} ({again['joins']}){message}")
    if data["chain"]:
        lines.append("  chain (frozen at confirmation):")
        for i, entry in enumerate(data["chain"], 1):
            lines.append(
                f"    {i}. {entry['level']:<14} {entry['name']:<22} {entry['number']:<15} "
                f"{entry['timeout']} s  {entry['reason']}"
            )
        for skip in data["chain_skipped"] or []:
            lines.append(f"       skipped {skip['engineer']} ({skip['level']}): {skip['reason']}")
    if data["attempts"]:
        lines.append("  attempts:")
        for a in data["attempts"]:
            lines.append(
                f"    {a['seq']}. {a['engineer'] or 'fallback':<10} {a['number']:<15} "
                f"{a['outcome']:<13} rang {a['ring_seconds']} s, talked {a['talk_seconds'] or 0} s"
            )
    if data.get("legs"):
        lines.append("  legs (placed through the REST API):")
        for leg in data["legs"]:
            lines.append("    " + _leg(leg))
    lines.append("  timeline:")
    for event in data["timeline"]:
        details = ", ".join(f"{k}={v}" for k, v in event.items() if k not in ("at", "event"))
        lines.append(
            f"    {event['at'][11:19]}  {event['event']}" + (f"  ({details})" if details else "")
        )
    return "\n".join(lines)


def _leg(leg: dict[str, Any]) -> str:
    """One leg: who, from/to, what became of it, when it joined and left the conference."""
    times = [f"{name} {leg[f'{name}_at'][11:19]}" for name in ("answered", "joined", "left")
             if leg[f"{name}_at"]]  # fmt: skip
    pressed = f", pressed {leg['pressed']}" if leg["pressed"] else ""
    pressed += f", round {leg['round']}" if leg.get("round") else ""
    pressed += f", talked {leg['talk_seconds']} s" if leg.get("talk_seconds") else ""
    error = f" ({leg['error']})" if leg["error"] else ""
    return (f"{leg['id']}. {leg['purpose']:<6} {leg['engineer'] or '-':<10} {leg['from'] or '-'}"
            f" -> {leg['to'] or 'the caller'}  {leg['status']}{error}{pressed}"
            + (f"; {', '.join(times)}" if times else ""))  # fmt: skip


commands = [list_tickets, show_ticket, acknowledge]

"""`check`: is this deployment ready to take calls? And what to enter in the Twilio console."""

from __future__ import annotations

import click
from flask import current_app

from hotline import db, readiness
from hotline.clock import now


@click.command("check")
@click.option("--days", default=7, show_default=True, help="How far ahead to look for rota gaps.")
def check(days: int) -> None:
    """Check settings, directory and rota; exit 1 when a call could fail."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    findings = readiness.check(app, db.session(), now(), days)
    findings += readiness.twilio(app, db.session())
    for finding in findings:
        click.echo(f"{finding.level:<5} {finding.text}")
    base = app.config["HOTLINE_PUBLIC_URL"]
    click.echo(
        "\nIn the Twilio console, on the central number (all HTTP POST):\n"
        f"  A call comes in         {base}/voice/incoming\n"
        f"  Primary handler fails   {base}/voice/fallback\n"
        f"  Call status changes     {base}/voice/status\n"
        f"  A message comes in      {base}/sms/incoming\n"
        "or let `flask --app hotline twilio-setup` set them, with a fallback Twilio serves itself."
    )
    if any(f.level == readiness.FAIL for f in findings):
        raise SystemExit(1)


commands = [check]

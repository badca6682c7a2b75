"""`twilio-setup`: point the central number at this deployment, with a fallback Twilio serves."""

from __future__ import annotations

import click
from flask import current_app
from twilio.base.exceptions import TwilioException

from hotline import db, fallback, notify, twilio_setup
from hotline.models import Provider


@click.command("twilio-setup")
def setup() -> None:
    """Configure the central number through Twilio's REST API (Voice, Fallback, status and SMS
    URLs) and publish the fallback on Twilio Serverless; a second run changes nothing."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not app.config["HOTLINE_PUBLIC_URL"].startswith("https://"):
        raise click.ClickException(
            f"HOTLINE_PUBLIC_URL {app.config['HOTLINE_PUBLIC_URL']} is not an https URL Twilio "
            "can call: set the one it should call"
        )
    client = notify.twilio_client()
    if client is None:
        raise click.ClickException("TWILIO_ACCOUNT_SID is not set: there is no account to set up")
    provider = Provider.one(db.session())
    if provider is None:
        raise click.ClickException("no directory imported: `flask --app hotline import FILE`")
    central, number = provider.central_number, fallback.number(app)
    if number is None or number == central:
        raise click.ClickException(
            "no usable fallback number (HOTLINE_FALLBACK_NUMBER, or the directory's, and not the "
            "central number): the fallback would reach nobody"
        )
    try:
        published = twilio_setup.publish(client, app, number, central)
        changes = twilio_setup.configure(client, app, central, published.url)
    except (twilio_setup.SetupError, TwilioException) as exc:
        raise click.ClickException(str(exc)) from None
    state = "published" if published.changed else "unchanged"
    click.echo(f"fallback {state}: {published.url} (dials {number}, then takes a voicemail)")
    for change in changes:
        click.echo(
            f"set {change.label}: {change.live or '(empty)'} -> {change.wanted or '(empty)'}"
        )
    if not changes:
        click.echo(
            f"number {central} unchanged: already points at {app.config['HOTLINE_PUBLIC_URL']}"
        )
    if not published.changed and not changes:
        click.echo("nothing changed")


commands = [setup]

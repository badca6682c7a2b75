"""Running it: the schema, the settings, the web server."""

from __future__ import annotations

import click
from flask import current_app

from hotline import config, migrate


@click.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema (Alembic `upgrade head`)."""
    migrate.upgrade(current_app.config["DATABASE_URL"])
    click.echo("database at head")


@click.command("settings")
@click.option("--defaults", is_flag=True, help="The defaults only, not the values in effect.")
def settings(defaults: bool) -> None:
    """Every setting: the value in effect, where it came from, and what it means."""
    click.echo(config.describe(None if defaults else current_app.config))


@click.command("serve")
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", type=int, help="Default: the PORT setting.")
def serve(host: str, port: int | None) -> None:
    """Serve the app for Twilio and people (the Procfile's `web`), with waitress."""
    from hotline import production, server

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        production.refuse(app)
    except production.Refused as exc:
        raise click.ClickException(str(exc)) from None
    server.serve(app, host, port or int(app.config["PORT"]))


commands = [init_db, settings, serve]

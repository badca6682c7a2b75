"""Database commands: create or upgrade the schema."""

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
def settings() -> None:
    """List every setting with its default and meaning."""
    click.echo(config.describe())


commands = [init_db, settings]

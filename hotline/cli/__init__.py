"""`flask --app hotline ...` commands, one module per concern; each exports `commands`."""

from __future__ import annotations

import importlib

import click
from flask import Flask
from flask.cli import with_appcontext

MODULES = [
    "database",
    "directory",
    "tickets",
    "simulate",
    "repage",
    "rota",
    "appointments",
    "billing",
    "jourfixe",
    "hours",
    "worker",
    "webhooks",
    "check",
    "users",
    "report",
    "twilio",
]


def init_app(app: Flask) -> None:
    for name in MODULES:
        module = importlib.import_module(f"hotline.cli.{name}")
        for command in module.commands:
            app.cli.add_command(_in_app_context(command))


def _in_app_context(command: click.Command) -> click.Command:
    """Run a plain click command inside the app context, as `app.cli.command` would."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _in_app_context(sub)
    elif command.callback is not None and not getattr(command.callback, "_in_app", False):
        command.callback = with_appcontext(command.callback)
        command.callback._in_app = True  # type: ignore[attr-defined]
    return command

"""`flask --app hotline ...` commands, one module per concern; each exports `commands`."""

from __future__ import annotations

import importlib

from flask import Flask

MODULES = [
    "database",
    "directory",
    "tickets",
    "simulate",
    "rota",
    "appointments",
    "billing",
    "worker",
]


def init_app(app: Flask) -> None:
    for name in MODULES:
        module = importlib.import_module(f"hotline.cli.{name}")
        for command in module.commands:
            app.cli.add_command(command)

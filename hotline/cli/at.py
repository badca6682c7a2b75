"""`--at`: run a command as if it were another time of the provider's zone.

The option sets the injected clock (`app.config["CLOCK"]`) for the whole command, not only the
time the command decides by: every row the command writes (an outbox message, a ticket's
timeline, a decision on an appointment) carries that time, as a simulated call's rows carry the
simulator's. So `flask outbox` after a walk-through with `--at` reads as one consistent story.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click
from flask import current_app

from escalation import wallclock
from hotline import clock, db

F = TypeVar("F", bound=Callable[..., Any])

HELP = (
    "Act as if it were this wall-clock time of the provider's zone, e.g. 2026-12-01T09:30 "
    "(default: now); what the command writes carries this time."
)


def wall_clock(text: str, zone: ZoneInfo | None = None) -> datetime:
    """A time typed by a person: without an offset, wall-clock time in the provider's zone."""
    try:
        return wallclock.parse(text, zone or clock.zone(db.session()))
    except (ValueError, OverflowError) as exc:
        raise click.BadParameter(f"{text!r} is no time (YYYY-MM-DDTHH:MM)") from exc


def at_option(help_text: str = HELP) -> Callable[[F], F]:
    """Add `--at TIME` to a command: while it runs, `clock.now()` is that time (one fixed
    instant, so its output is the same whenever it is run)."""

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def run(*args: Any, at_text: str | None = None, **kwargs: Any) -> Any:
            if not at_text:
                return command(*args, **kwargs)
            fixed = wall_clock(at_text)
            app = current_app._get_current_object()  # type: ignore[attr-defined]
            saved, app.config["CLOCK"] = app.config["CLOCK"], lambda: fixed
            try:
                return command(*args, **kwargs)
            finally:
                app.config["CLOCK"] = saved

        option = click.option("--at", "at_text", metavar="TIME", help=help_text)
        return option(run)  # type: ignore[return-value]

    return decorate

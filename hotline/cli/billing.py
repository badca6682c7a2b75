"""Commands of this concern (being built)."""

import click

commands: list[click.Command] = []

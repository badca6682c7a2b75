"""The call walks exactly the chain the rota shows, on the demo provider, DST night included."""

from __future__ import annotations

import json

import pytest
from flask import Flask


def run(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(
    ("week", "at"),
    [
        ("2026-11-30", "2026-12-01T03:00"),  # a weekday night
        ("2026-11-30", "2026-12-05T14:00"),  # a Saturday afternoon
        ("2026-10-26", "2026-10-25T02:30"),  # the hour that happens twice (CEST -> CET)
    ],
)
def test_the_call_walks_the_chain_the_rota_shows(app: Flask, week: str, at: str) -> None:
    run(app, "seed-demo", "--week", week)
    shown = run(app, "chain", "10042", "--at", at)
    rows = [line.split() for line in shown.splitlines()]
    keys = [row[2] for row in rows if row and row[0].rstrip(".").isdigit()]
    ticket = json.loads(
        run(app, "simulate-call", "--live", "--from", "030 1234567", "--at", at,
            "--others", "no-answer", "--message", "0", "--json")
    )  # fmt: skip
    assert [e["engineer"] or "-" for e in ticket["chain"]] == keys
    walked = [a["engineer"] or "-" for a in ticket["attempts"]]
    assert walked == keys[: len(walked)]  # in order, until the hold time ran out
    assert len(walked) >= 3

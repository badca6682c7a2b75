"""`/report`: the month's operations figures with simple charts (inline SVG, no script), for
project leads (Permission.BILLING: on-call hours pay people, calls per customer bill them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import render_template, request
from flask.typing import ResponseReturnValue

from escalation.access import Permission
from hotline import billing, db, report
from hotline.clock import now, zone
from hotline.web import access, problem, web

WIDTH = 420  # the charts' bar area in SVG units
FILLS = {"day": "#9bbbd4", "night": "#2f4b7c", "weekend": "#f28e2b", "holiday": "#c23b3b"}


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    fill: str
    label: str


def scale(values: list[float]) -> float:
    """SVG units per unit of value: the largest value fills the width."""
    top = max(values, default=0)
    return WIDTH / top if top > 0 else 0.0


@web.get("/report", endpoint="report")
@access.needs(Permission.BILLING)
def report_page() -> ResponseReturnValue:
    session = db.session()
    chosen = request.args.get("month", "")
    try:
        first = report.month(chosen) if chosen else billing.month_of(now(), zone(session))
    except ValueError:
        return problem(400, "Kein Monat", "Bitte den Monat als JJJJ-MM angeben, z. B. 2026-12.")
    found = report.build(session, first)
    per_hour = scale([float(report.hours(e.hours.total)) for e in found.on_call])
    stacks = []
    for e in found.on_call:
        x, bars = 0.0, []
        for kind in report.KINDS:
            value = float(report.hours(e.hours.of(kind)))
            bars.append(Bar(x, value * per_hour, FILLS[kind.value], f"{value:.1f}"))
            x += value * per_hour
        stacks.append((e, bars))
    per_call = scale([float(c.calls) for c in found.customers])
    calls = [(c, c.calls * per_call) for c in found.customers]
    return render_template(
        "report.html", r=found, report=report, stacks=stacks, calls=calls, fills=FILLS,
        width=WIDTH, previous=(first - timedelta(days=1)).replace(day=1),
        following=billing.next_month(first),
    )  # fmt: skip

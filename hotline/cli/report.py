"""`report`: the month's operations figures (hotline/report.py)."""

from __future__ import annotations

import click

from hotline import db, report


@click.command("report")
@click.option("--month", "chosen", required=True, help="YYYY-MM, in the provider's zone")
@click.option("--csv", "as_csv", is_flag=True, help="CSV (UTF-8 with BOM): one row per figure")
@click.option("--semicolon", is_flag=True, help="with --csv: ';' and decimal commas")
def report_(chosen: str, as_csv: bool, semicolon: bool) -> None:
    """MTTA, MTTR, on-call hours per engineer (days, nights, weekends, holidays), calls per
    customer, the voicemail and fallback rates of one month; the same as the page /report."""
    try:
        first = report.month(chosen)
    except ValueError as exc:
        raise click.BadParameter(f"{chosen!r} is no month (YYYY-MM)", param_hint="--month") from exc
    found = report.build(db.session(), first)
    if as_csv:
        click.echo(report.csv(found, semicolon), nl=False)
        return
    click.echo(text(found))


def text(r: report.Report) -> str:
    def show(value: object, unit: str = "") -> str:
        return "-" if value is None else f"{value}{unit}"

    lines = [
        f"Report {r.month:%Y-%m} ({r.zone.key})",
        f"calls {r.calls}, emergencies {r.emergencies}, accepted {r.accepted}, "
        f"resolved {r.resolved}",
        f"MTTA {show(report.minutes(r.mtta), ' min')}, MTTR {show(report.minutes(r.mttr), ' min')}",
        f"voicemails {r.voicemails} ({show(report.percent(r.voicemail_rate), ' %')}), "
        f"fallbacks {r.fallbacks} ({show(report.percent(r.fallback_rate), ' %')})",
        "",
        f"{'on call (hours)':24} " + " ".join(f"{k:>8}" for k in [*report.KINDS, "total"]),
    ]
    for e in r.on_call:
        kinds = " ".join(f"{report.hours(e.hours.of(k)):>8}" for k in report.KINDS)
        lines.append(f"{e.name[:24]:24} {kinds} {report.hours(e.hours.total):>8}")
    lines += ["", f"{'calls per customer':40} {'calls':>6}"]
    for c in r.customers:
        lines.append(f"{(c.number or '-') + ' ' + c.name:40.40} {c.calls:>6}")
    return "\n".join(lines)


commands = [report_]

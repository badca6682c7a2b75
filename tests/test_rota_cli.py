"""`oncall`, `chain`, `gaps` and `swap` on the command line, on both backends."""

from __future__ import annotations

import json
from typing import Any

from test_roster import directory

from hotline import models as m


def run(app: Any, *args: str) -> Any:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_oncall_per_team_and_layer(app: Any, session: Any) -> None:
    directory(session)
    out = run(app, "oncall", "--at", "2026-12-24T03:00")
    assert "On call at 2026-12-24 03:00 (Europe/Berlin)" in out
    # Week of 21 Dec is shift 7: lena primary, jonas secondary; rot: tim (no mobile).
    assert "blau         primary    lena" in out
    assert "blau         secondary  jonas" in out
    assert "rot          primary    tim" in out and "no mobile" in out
    only = run(app, "oncall", "--team", "rot")  # now: the conftest clock, 1 Dec 03:00
    assert "sara" in only and "blau" not in only


def test_chain_with_reasons_and_skips(app: Any, session: Any) -> None:
    directory(session)
    out = run(app, "chain", "10042", "--at", "2026-12-24T03:00")
    lines = out.splitlines()
    assert lines[0] == "Chain for 10042 Müller at 2026-12-24 03:00 (Europe/Berlin):"
    assert "own-primary" in lines[1] and "lena" in lines[1] and "rotation blau-primary" in lines[1]
    assert "fallback" in lines[-3] and "+491715550000" in lines[-3]
    assert lines[-2] == "Skipped:"
    assert "tim" in lines[-1] and "no usable mobile" in lines[-1]
    pool = run(app, "chain", "--at", "2026-12-24T03:00")
    assert "unidentified caller" in pool and "own-primary" not in pool
    bad = app.test_cli_runner().invoke(args=["chain", "99999"])
    assert bad.exit_code != 0 and "no customer" in bad.output


def test_gaps_text_and_json(app: Any, session: Any) -> None:
    rows = directory(session)
    rows["sara"].active = False  # rot's rotation: sara inactive, tim without mobile
    session.commit()
    out = run(app, "gaps", "--days", "14", "--from", "2026-12-01T00:00")
    assert "team rot: nobody reachable on call" in out
    assert "sara (rot primary): inactive" in out
    assert "cross-team pool" not in out
    data = json.loads(run(app, "gaps", "--days", "14", "--from", "2026-12-01T00:00", "--json"))
    assert data["gaps"] == [
        {
            "team": "rot",
            "starts_at": "2026-11-30T23:00:00+00:00",
            "ends_at": "2026-12-14T23:00:00+00:00",
        }
    ]
    assert {(u["engineer"], u["reason"]) for u in data["unreachable"]} == {
        ("sara", "inactive"),
        ("tim", "no usable mobile"),
    }


def test_gaps_show_the_pool_when_nobody_at_all(app: Any, session: Any) -> None:
    directory(session)
    for rotation in session.query(m.Rotation).all():
        session.delete(rotation)
    session.commit()
    out = run(app, "gaps", "--days", "1", "--from", "2026-12-01T00:00")
    assert "cross-team pool: nobody reachable" in out
    assert "team blau" in out and "team rot" in out


def test_swap_prints_two_overrides(app: Any, session: Any) -> None:
    directory(session)
    out = run(app, "swap", "blau-primary", "2026-12-01T12:00", "2026-12-08T12:00")
    assert out.splitlines() == [
        "overrides:",
        "  - engineer: lena", "    replaces: jonas", "    team: blau", "    layer: primary",
        '    from: "2026-11-30T08:00"', '    until: "2026-12-07T08:00"',
        "  - engineer: jonas", "    replaces: lena", "    team: blau", "    layer: primary",
        '    from: "2026-12-07T08:00"', '    until: "2026-12-14T08:00"',
    ]  # fmt: skip


def test_gaps_counts_wall_clock_days_across_daylight_saving(app: Any, session: Any) -> None:
    """30 days from 20 March 00:00 end on 19 April 00:00 in Berlin, not at 01:00 (UTC days)."""
    directory(session)
    out = run(app, "gaps", "--days", "30", "--from", "2027-03-20T00:00")
    assert out.splitlines()[0] == "Rota from 2027-03-20 00:00 to 2027-04-19 00:00 (Europe/Berlin):"


def test_gaps_refuses_an_empty_window(app: Any, session: Any) -> None:
    """`--days 0` or a negative number used to answer "no gaps" for a window of nothing."""
    directory(session)
    for days in ("0", "-3"):
        result = app.test_cli_runner().invoke(args=["gaps", "--days", days])
        assert result.exit_code == 2 and "--days" in result.output

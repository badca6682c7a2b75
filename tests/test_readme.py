"""The README's settings table names every setting there is, and its walk-through gives what it
promises, on any day and on a second run."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from readme_blocks import commands, shell
from sqlalchemy import create_engine, text

from hotline import create_app, db
from hotline.config import SETTINGS

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_every_setting_is_documented() -> None:
    for name in SETTINGS:
        short = name.removeprefix("HOTLINE_SMTP")  # grouped as `_PORT`, `_USER` ... in one row
        assert f"`{name}`" in README or f"`{short}`" in README, name


# --- the walk-through, run as the README lists it --------------------------------------------

WALKTHROUGH = "## An emergency that displaces an appointment, to the month-end export"
CALL_SID = re.compile(r"CA[0-9a-f]{32}")
LINK_TOKEN = re.compile(r"\?k=[\w.-]+")


def run_walkthrough(folder: Path, today: datetime, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each command as the shell would run it, `flask` as a fresh app (a process of its own)
    whose clock says `today`; returns what each `flask` command printed."""
    monkeypatch.chdir(folder)
    monkeypatch.setenv("PWD", str(folder))
    printed = []
    for command in commands(WALKTHROUGH):
        if shell(command, folder, monkeypatch):
            continue
        match command:
            case ["flask", *args]:
                app = create_app({"CLOCK": lambda: today})
                result = app.test_cli_runner().invoke(args=args)
                with app.app_context():
                    db.engine().dispose()
                assert result.exit_code == 0, (command, result.output)
                printed.append(result.output)
            case _:
                pytest.fail(f"the test does not know how to run {command}: teach it, or fix it")
    return printed


def check_promises(out: dict[str, str], folder: Path) -> None:
    """What the README's comments promise of each command."""
    assert "caller and jonas are connected" in out["simulate-call"]  # Jonas accepts
    assert out["check-displacements"] == "1 emergency checked\n"
    first = out["appointments"].splitlines()[0]  # at risk first: #10, Jonas at 10:00
    assert first.startswith("! #10") and "Tue 01.12.2026 10:00" in first and "jonas" in first
    assert "suggested slots" in out["appointment 10"]
    assert out["appointment 10 reschedule"].startswith("#10 rescheduled: Tue 01.12.2026")
    assert out["send-pending 1"].startswith("2 sent; outbox: 5 sent")  # nothing left pending
    listed = [line for line in out["outbox"].splitlines() if line.startswith("#")]
    assert [line.split()[0] for line in listed] == ["#5", "#4", "#3", "#2", "#1"]  # newest first
    assert [line.split()[2] for line in listed] == ["08:36", "08:36"] + ["08:30"] * 3  # --at times
    assert "it-10044@kunde.example" in listed[0]  # the customer was told
    assert "ticket 1 resolved" in out["resolve"]
    assert "connected, resolved" in out["tickets"]
    assert out["status-emails"] == "12 status e-mails queued\n"
    assert out["send-pending 2"] == "12 sent; outbox: 17 sent\n"  # none left pending
    assert "2026-12 closed at 01.01.2027 06:00" in out["billing-run"]  # closes December
    assert "surcharge 23.75 EUR for #10 10044" in out["billing-run"]
    csv = out["billing-export"].lstrip("\ufeff").splitlines()
    assert csv[0].startswith("month;customer;customer_name;ticket;")
    assert csv[1].startswith("2026-12;10043;Bäckerei Körner KG;1;2026-12-01 08:30;")
    report = f"sqlite:///{folder / 'instance' / 'walkthrough' / 'hotline.db'}"
    engine = create_engine(report)
    with engine.connect() as conn:
        body = conn.execute(
            text("SELECT body FROM messages WHERE subject LIKE 'Statusbericht 12/2026: Bäckerei%'")
        ).scalar_one()
    engine.dispose()
    assert "#1 01.12.2026 08:30" in body  # Körner's December report names emergency #1


def by_name(printed: list[str]) -> dict[str, str]:
    """Each flask command's output under its name (`appointment 10 reschedule` for the
    decision, `send-pending 1` and `send-pending 2` for the two sends)."""
    names = []
    for command in commands(WALKTHROUGH):
        if command[0] != "flask":
            continue
        name = command[1]
        if name == "appointment":
            name = "appointment 10 reschedule" if "reschedule" in command else "appointment 10"
        if name == "send-pending":
            name = f"send-pending {sum(n.startswith('send-pending') for n in names) + 1}"
        names.append(name)
    assert len(names) == len(printed) == len(set(names))
    return dict(zip(names, printed, strict=True))


def test_the_walkthrough_gives_what_it_promises_any_day_and_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in SETTINGS:  # the embedded default: no Twilio, no SMTP, no other database
        monkeypatch.delenv(name, raising=False)
    demo = tmp_path / "instance" / "fallback.json"
    demo.parent.mkdir()
    demo.write_text('{"fallback_number": "+4930999999"}')  # the demo's, left alone

    before = run_walkthrough(tmp_path, datetime(2026, 11, 20, 9, 0, tzinfo=UTC), monkeypatch)
    check_promises(by_name(before), tmp_path)
    again = run_walkthrough(tmp_path, datetime(2031, 6, 15, 23, 0, tzinfo=UTC), monkeypatch)
    check_promises(by_name(again), tmp_path)

    def same(outputs: list[str]) -> list[str]:
        return [LINK_TOKEN.sub("?k=…", CALL_SID.sub("CA…", out)) for out in outputs]

    assert same(again) == same(before)  # the same result another day, on a second run
    assert demo.read_text() == '{"fallback_number": "+4930999999"}'
    assert (tmp_path / "instance" / "walkthrough" / "fallback.json").exists()

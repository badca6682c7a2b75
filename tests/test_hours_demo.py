"""The README's hours demo, run as it stands: the example CSV of a German spreadsheet pushes
Müller & Söhne past 80 % of December's quota, a second import changes nothing."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from readme_blocks import commands, shell

from hotline import create_app, db
from hotline.config import SETTINGS

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Support hours from the ticket system, against the quota"


def test_the_example_csv_pushes_a_demo_customer_past_80_percent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "docs" / "examples").mkdir(parents=True)
    shutil.copy(ROOT / "docs" / "examples" / "hours.csv", tmp_path / "docs" / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PWD", str(tmp_path))
    today = datetime(2026, 11, 28, 9, tzinfo=UTC)
    out: list[str] = []
    for command in commands(SECTION):
        if shell(command, tmp_path, monkeypatch):
            continue
        match command:
            case ["flask", *args]:
                app = create_app({"CLOCK": lambda: today})
                result = app.test_cli_runner().invoke(args=args)
                with app.app_context():
                    db.engine().dispose()
                assert result.exit_code == 0, (command, result.output)
                out.append(result.output)
            case _:
                pytest.fail(f"unknown command {command}")
    *_, first, again, listed, status = out
    assert first == "7 added, 0 updated, 0 unchanged\n"
    assert again == "0 added, 0 updated, 7 unchanged\n"
    assert "7 entries in 2026-12, 825 billable minutes" in listed
    assert "8,50 Std. von 10,00 Std. Stundenkontingent (85 %)" in status
    assert "zu 85 % verbraucht" in status
    assert (tmp_path / "instance" / "hours" / "hotline.db").exists()

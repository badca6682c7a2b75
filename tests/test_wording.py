"""What people read says one thing of one and many of many."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_chain import build, situation

from hotline import config, create_app
from hotline.config import SETTINGS


def test_the_chain_counts_one_planned_appointment_in_the_singular() -> None:
    pool = [e for e in build(situation(displaced={"uwe": 2, "sara": 1})).entries
            if e.level == "pool"]  # fmt: skip
    reasons = {e.engineer: e.reason for e in pool}
    assert reasons["tim"].endswith("; 0 planned appointments in the window")
    assert reasons["sara"].endswith("; 1 planned appointment in the window")
    assert reasons["uwe"].endswith("; 2 planned appointments in the window")


def test_settings_keep_every_value_in_its_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "postgresql://hotline:s3cret@db.internal.example.de:5432/hotline_production"
    monkeypatch.setenv("DATABASE_URL", url)
    app = create_app({"INSTANCE_PATH": tmp_path})
    names = max(len(name) for name in SETTINGS)
    value_end = names + 1 + 34  # the value column, then one space before the source
    lines = config.describe(app.config).splitlines()
    for i, line in enumerate(lines):
        name = line.split()[0]
        if name not in SETTINGS:
            continue
        assert line[len(name) : names + 1].isspace(), line  # the name fits its column
        alone = len(line.split()) == 2  # a long value on a line of its own ...
        assert alone or line[value_end] == " ", line
        if alone:  # ... and its source and meaning on the next, in their columns
            assert lines[i + 1][: value_end + 1].isspace()
            assert lines[i + 1].split()[0] in ("environment", "default")
    assert any("hotline:***@db.internal" in line for line in lines)

"""`flask --app hotline settings` shows each value in effect and where it came from."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline import config, create_app


def test_settings_show_value_and_source_with_secrets_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "settings.py").write_text('HOTLINE_MAX_HOLD = 180\nSECRET_KEY = "x" * 40\n')
    monkeypatch.setenv("HOTLINE_RING_TIMEOUT", "25")
    monkeypatch.setenv("DATABASE_URL", "postgresql://hotline:s3cret@db.example.de/hotline")
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    app = create_app({"INSTANCE_PATH": tmp_path, "HOTLINE_UNIDENTIFIED": "refer"})
    lines = {line.split()[0]: line for line in config.describe(app.config).splitlines()}
    assert (
        "180" in lines["HOTLINE_MAX_HOLD"] and "instance/settings.py" in lines["HOTLINE_MAX_HOLD"]
    )
    assert "25" in lines["HOTLINE_RING_TIMEOUT"] and "environment" in lines["HOTLINE_RING_TIMEOUT"]
    assert "create_app()" in lines["HOTLINE_UNIDENTIFIED"]
    assert "s3cret" not in lines["DATABASE_URL"] and "hotline:***@" in lines["DATABASE_URL"]
    assert "x" * 10 not in lines["SECRET_KEY"]
    assert "generated" in lines["TWILIO_AUTH_TOKEN"]
    assert "default" in lines["HOTLINE_VOICEMAIL_MAX"]


def test_a_served_demo_lives_in_the_demo_week_only_in_development(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    start = {"INSTANCE_PATH": str(tmp_path), "HOTLINE_CLOCK_START": "2026-03-29T03:30"}
    with pytest.raises(RuntimeError, match="HOTLINE_DEVELOPMENT"):
        create_app(start)
    app = create_app({**start, "HOTLINE_DEVELOPMENT": True})
    shown = app.config["CLOCK"]()
    # 03:30 Berlin on the day summer time begins is 01:30 UTC; the clock runs on from there
    assert (
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC) <= shown < datetime(2026, 3, 29, 1, 31, tzinfo=UTC)
    )

"""The docs say what the schema says: docs/directory.md's tables are generated from it, and the
settings table of docs/billing.md and the runs' defaults agree with it."""

from __future__ import annotations

import re
from datetime import time, timedelta
from pathlib import Path

from hotline.appointments import Planning, planning
from hotline.directory import docs, schema
from hotline.models import Provider

ROOT = Path(__file__).resolve().parents[1]


def test_the_directory_docs_are_generated_from_the_schema() -> None:
    text = (ROOT / "docs" / "directory.md").read_text(encoding="utf-8")
    assert docs.documented(text) == text, "run: python -m hotline.directory.docs"


def test_every_field_of_every_section_is_in_the_docs() -> None:
    text = (ROOT / "docs" / "directory.md").read_text(encoding="utf-8")
    for _, model, _ in docs.TABLES:
        for name in schema.file_names(model):
            assert f"| `{name}` |" in text, (model.__name__, name)
    for section in schema.SECTIONS:
        assert f"`{section}` (" in text, section
    for region in ("BE", "BY-catholic", "BY-Augsburg", "SN-catholic", "TH-catholic"):
        assert f"| `{region}` |" in text


def test_billing_docs_and_the_runs_use_the_schemas_settings() -> None:
    """docs/billing.md lists the same settings, and planning() falls back to the same
    defaults as the schema documents."""
    text = (ROOT / "docs" / "billing.md").read_text(encoding="utf-8")
    section = text[text.index("## Settings") : text.index("## Appointments")]
    keys = re.findall(r"^\| `(\w+)` \|", section, re.MULTILINE)
    assert keys == list(schema.Settings.model_fields)
    defaults = schema.Settings()
    hours = schema.WorkingHoursSettings()
    plan: Planning = planning_without_settings()
    assert plan.emergency == timedelta(minutes=defaults.emergency_minutes)
    assert plan.travel == timedelta(minutes=defaults.travel_minutes)
    assert plan.step == timedelta(minutes=defaults.slot_minutes)
    assert (plan.hours.start, plan.hours.end) == (
        time.fromisoformat(hours.start),
        time.fromisoformat(hours.end),
    )
    assert plan.hours.days == frozenset(hours.days)


def planning_without_settings() -> Planning:
    class NoSession:
        info: dict[object, object] = {}  # noqa: RUF012 - Provider.one keeps what it read here

        def scalars(self, *_: object) -> NoSession:
            return self

        def first(self) -> Provider:
            return Provider(name="x", settings={}, timezone="Europe/Berlin", holiday_region="BE")

    return planning(NoSession())  # type: ignore[arg-type]

"""docs/directory.md's tables of every key, generated from the schema so they cannot drift.

`python -m hotline.directory.docs` rewrites the generated part of docs/directory.md;
tests/test_directory_docs.py fails when it differs from what the schema says.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic_core import PydanticUndefined

from escalation import regions
from hotline.directory import schema

DOC = Path(__file__).resolve().parents[2] / "docs" / "directory.md"
BEGIN = "<!-- generated from hotline/directory/schema.py by python -m hotline.directory.docs -->"
END = "<!-- end of generated tables -->"

TABLES: list[tuple[str, type[schema.Entry], str]] = [
    ("`provider`", schema.ProviderEntry, "required, a mapping"),
    ("`provider.settings`", schema.Settings, "planning and billing, docs/billing.md"),
    ("`provider.settings.working_hours`", schema.WorkingHoursSettings, "wall-clock times"),
    ("`provider.webhooks`", schema.WebhookEntry, "list; docs/webhooks.md"),
    ("`provider.webhooks[].zammad`", schema.ZammadSettings, "for `format: zammad`"),
    ("`teams`", schema.TeamEntry, "list"),
    ("`engineers`", schema.EngineerEntry, "list"),
    ("`engineers[].phones`", schema.EngineerPhoneEntry, "list, in the order rung after the mobile"),
    ("`customers`", schema.CustomerEntry, "list"),
    ("`customers[].phones`", schema.PhoneEntry, "list; each has `number` or `block`"),
    ("`customers[].contract`", schema.ContractEntry, "a mapping"),
    ("`customers[].contract.quota_history`", schema.QuotaStep, "list, oldest first"),
    ("`customers[].jourfixe`", schema.JourFixeEntry, "a mapping; docs/jourfixe.md"),
    ("`rotations`", schema.RotationEntry, "list; rules in docs/rota.md"),
    ("`overrides`", schema.OverrideEntry, "list"),
    ("`absences`", schema.AbsenceEntry, "list"),
    ("`appointments`", schema.AppointmentEntry, "list"),
]


def _default(value: Any) -> str:
    if value is PydanticUndefined or value is None:
        return ""
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, Decimal):
        return f"`{value}`"
    if isinstance(value, str):
        return f'`"{value}"`' if ":" in value else f"`{value}`"
    return f"`{value}`"


def table(model: type[schema.Entry]) -> list[str]:
    lines = ["| key | required | default | meaning |", "| --- | --- | --- | --- |"]
    for name, field in model.model_fields.items():
        if not field.description:
            raise ValueError(f"{model.__name__}.{name} has no description for the docs")
        required = "yes" if field.is_required() else ""
        key = field.alias or name
        lines.append(f"| `{key}` | {required} | {_default(field.default)} | {field.description} |")
    return lines


def tables() -> str:
    """The generated part of docs/directory.md, markers included."""
    lines = [BEGIN, ""]
    for title, model, note in TABLES:
        lines += [f"{title} ({note})", "", *table(model), ""]
    lines += [
        "### Holiday regions",
        "",
        "`holiday_region` (of the provider, or a team's own) is one of these names "
        "(escalation/regions.py):",
        "",
        "| region | holidays of |",
        "| --- | --- |",
        *(f"| `{r.name}` | {r.meaning} |" for r in regions.REGIONS.values()),
        "",
        END,
    ]
    return "\n".join(lines)


def documented(text: str) -> str:
    """`text` (docs/directory.md) with its generated part as the schema says it now."""
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[:start] + tables() + text[end:]


if __name__ == "__main__":
    DOC.write_text(documented(DOC.read_text(encoding="utf-8")), encoding="utf-8")

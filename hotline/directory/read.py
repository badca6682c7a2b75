"""Reading a directory: the whole file checked against the schema before anything is written.

All errors of a file are collected, each naming its entry and field (`customers[3] (10042).
phones[0].number: ...`), so a provider fixes the file in one pass; the result (the "plan") holds
only clean values: E.164 numbers, UTC instants, Decimals, references still as the file's keys.
The rules themselves live in `schema`; here they are applied and their errors worded.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from escalation import routing
from hotline.directory import loader
from hotline.directory.schema import (
    DEFAULT_ZONE,
    IDENTITY,
    SECTIONS,
    Context,
    Directory,
    entry_name,
    file_names,
    model_at,
    shown,
    unprintable,
    zone_name,
)

__all__ = ["SECTIONS", "DirectoryError", "checked", "load", "routing_review", "validated"]

Loc = tuple[str | int, ...]


class DirectoryError(ValueError):
    """A directory file that cannot be imported: `errors` lists every problem found, and
    `warnings` what would change routing and was not confirmed (`accept_warnings`)."""

    def __init__(self, errors: list[str], warnings: list[str] | None = None) -> None:
        self.errors = errors
        self.warnings = warnings or []
        text = "\n".join(errors + self.warnings)
        super().__init__(
            f"{len(errors)} error(s), {len(self.warnings)} warning(s) in the directory:\n{text}"
        )


def load(path: str | Path) -> Any:
    """A YAML file as data (loader.py: bounded, no duplicate keys); a file that cannot be
    read is reported like any other error."""
    data, problem = loader.read(path)
    if problem:
        raise DirectoryError([f"{path}: {problem}"])
    return data


def _context(data: Mapping[str, Any]) -> Context:
    """The zone and the keys references may name, taken from the raw file (stripped, as the
    keys are stored: a reference `" blau"` must find the team `blau`)."""

    def keys(section: str) -> set[str]:
        items = data.get(section)
        field = IDENTITY[section]
        if not isinstance(items, list):
            return set()
        return {str(i.get(field)).strip() for i in items if isinstance(i, Mapping) and field in i}

    provider = data.get("provider")
    zone = provider.get("timezone") if isinstance(provider, Mapping) else None
    try:
        name = zone_name(zone) if zone else DEFAULT_ZONE
    except ValueError:
        name = DEFAULT_ZONE  # its own error is reported
    return Context(ZoneInfo(name), keys("teams"), keys("engineers"), keys("customers"))


def validated(data: Any) -> Directory:
    """The directory as typed entries; DirectoryError listing every problem."""
    if not isinstance(data, Mapping):
        raise DirectoryError(
            ["the directory must be a mapping with the sections " + ", ".join(SECTIONS)]
        )
    found: list[tuple[Loc, str]] = list(_unprintable(data))
    directory = None
    try:
        directory = Directory.model_validate(data, context=_context(data))
    except ValidationError as exc:
        found.extend((tuple(e["loc"]), _message(e)) for e in exc.errors())
    if found or directory is None:
        raise DirectoryError(_worded(found, data))
    return directory


def checked(data: Any, accept_warnings: bool = False) -> dict[str, Any]:
    """The checked, normalised directory as the plan `apply` writes, with the routing warnings
    it accepted under "warnings"; raises DirectoryError for errors and for warnings not
    accepted."""
    directory = validated(data)
    errors, warnings = routing_review(directory)
    if errors or (warnings and not accept_warnings):
        raise DirectoryError(errors, warnings)
    return plan(directory) | {"warnings": warnings}


def routing_review(directory: Directory) -> tuple[list[str], list[str]]:
    """(errors, warnings): where the file's numbers and blocks change which customer a caller
    reaches, or take the calls of an engineer or of the provider's own lines (routing.py)."""
    listed = [
        routing.Listed(
            c.number,
            phone.kind,
            phone.number or phone.block or "",
            f"{entry_name('customers', i, {'number': c.number})}.phones[{j}].{phone.kind}",
        )
        for i, c in enumerate(directory.customers)
        for j, phone in enumerate(c.phones)
    ]
    p = directory.provider
    known = [
        routing.Known(number, f"provider.{name}", central=name == "central_number")
        for name, number in (
            ("central_number", p.central_number),
            ("fallback_number", p.fallback_number),
            ("office_number", p.office_number),
        )
        if number
    ] + [
        routing.Known(number, f"{entry_name('engineers', i, {'key': e.key})}.{where}")
        for i, e in enumerate(directory.engineers)
        for where, number in [
            ("mobile", e.mobile),
            *((f"phones[{j}]", p.number) for j, p in enumerate(e.phones)),
        ]
        if number
    ]
    found = routing.findings(listed, known)
    errors = [f"{f.where}: {f.text}" for f in found if f.level == routing.ERROR]
    return errors, [f"{f.where}: {f.text}" for f in found if f.level == routing.WARNING]


def _message(error: Any) -> str:
    """Our words for pydantic's errors; our own checks' messages as they are."""
    kind, loc = error["type"], tuple(error["loc"])
    if kind == "value_error":
        return str(error["ctx"]["error"])
    if kind == "missing":
        if loc == ("provider",):
            return "is required (a mapping with at least name and fallback_number)"
        return "is required"
    if kind == "extra_forbidden":
        if len(loc) == 1:
            return f"unknown section (known: {', '.join(SECTIONS)})"
        model = model_at(loc)
        known = f" (known: {', '.join(sorted(file_names(model)))})" if model else ""
        return f"unknown field{known}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "expected a mapping"
    if kind == "list_type":
        return "expected a list"
    return str(error["msg"])


def _unprintable(data: Any) -> Iterator[tuple[Loc, str]]:
    """Every text of the file, field names and free-form parts (policy, settings) included."""
    stack: list[tuple[Loc, Any]] = [((), data)]
    while stack:
        loc, value = stack.pop()
        if isinstance(value, str):
            problem = unprintable(value)
            if problem:
                yield loc, problem
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if isinstance(key, str) and unprintable(key):
                    yield (*loc, key), f"the field name {unprintable(key)}"
                stack.append(((*loc, key), item))
        elif isinstance(value, list):
            stack.extend(((*loc, i), item) for i, item in enumerate(value))


def where(loc: Loc, data: Any) -> str:
    """`customers[3] (10042).phones[0].number` for an error's location."""
    text, node = "", data
    for depth, part in enumerate(loc):
        item = None
        if isinstance(node, Mapping) and not isinstance(part, int):
            item = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            item = node[part]
        if isinstance(part, int):
            section = str(loc[0])
            text += entry_name(section, part, item)[len(section) :] if depth == 1 else f"[{part}]"
        else:
            name = str(part)
            name = name if name.isprintable() and name.isascii() else shown(name)
            text += f".{name}" if text else name
        node = item
    return text


def _worded(found: list[tuple[Loc, str]], data: Any) -> list[str]:
    """`where: message`, in the order of the file's sections and entries, each once."""

    def order(entry: tuple[Loc, str]) -> tuple[int, int]:
        loc = entry[0]
        section = SECTIONS.index(loc[0]) if loc and loc[0] in SECTIONS else len(SECTIONS)
        index = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else -1
        return section, index

    lines: list[str] = []
    for loc, message in sorted(found, key=order):
        line = f"{where(loc, data)}: {message}" if loc else message
        if line not in lines:
            lines.append(line)
    return lines


def plan(directory: Directory) -> dict[str, Any]:
    """The clean values in the shape `apply` writes: column names, references as keys."""
    p = directory.provider
    settings = p.settings.model_dump(mode="json", exclude_unset=True) if p.settings else None
    webhooks = [w.model_dump(mode="json", exclude_unset=True) for w in p.webhooks] or None
    return {
        "provider": p.model_dump(exclude={"settings", "webhooks"})
        | {"settings": settings, "webhooks": webhooks},
        "teams": [t.model_dump() for t in directory.teams],
        "engineers": [e.model_dump() for e in directory.engineers],
        "customers": [
            c.model_dump(exclude={"phones", "contract", "jourfixe", "status_recipients"})
            | {
                "phones": [(ph.kind, ph.number or ph.block, ph.label) for ph in c.phones],
                "contract": c.contract.model_dump() if c.contract else None,
                "jourfixe": c.jourfixe.model_dump() if c.jourfixe else None,
                "status_recipients": c.status_recipients or None,
            }
            for c in directory.customers
        ],
        "rotations": [r.model_dump() for r in directory.rotations],
        "overrides": [o.model_dump() for o in directory.overrides],
        "absences": [a.model_dump() for a in directory.absences],
        "appointments": [a.model_dump() | {"title": a.title or ""} for a in directory.appointments],
    }

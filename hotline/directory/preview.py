"""What an import would change, before anything changes: the file against the directory as it
stands, entry by entry (the browser's import shows it before the admin applies the file).

Both sides go through the same reading (`read.validated`, `read.plan`): the directory as it
stands is exported and read back (export -> import changes nothing), so an entry counts as
changed only where the import would really write something. What happens to an entry the file
no longer lists follows `apply`: teams and customers are kept, engineers deactivated,
rotations end, appointments stay, and overrides and absences keep their past
(`escalation.rota.unlisted`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from escalation import rota
from hotline.directory.export import dump, export_directory
from hotline.directory.read import checked, plan, validated
from hotline.directory.schema import SECTIONS, wall_clock

# The identity of an entry per section (overrides and absences have none: they are compared
# whole).
KEYS = {"teams": "key", "engineers": "key", "customers": "number", "rotations": "key",
        "appointments": "key"}  # fmt: skip


@dataclass(frozen=True)
class Change:
    section: str
    name: str  # the entry as people find it in the file: a key, a customer number and name
    kind: str  # added | changed | ended | deactivated | kept (not in the file, left as it is)
    fields: tuple[str, ...] = ()  # what changed, as the plan names it


@dataclass
class Preview:
    changes: list[Change] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # routing warnings to confirm

    def of(self, section: str) -> list[Change]:
        return [c for c in self.changes if c.section == section]

    @property
    def changed(self) -> bool:
        return any(c.kind != "kept" for c in self.changes)


def fingerprint(session: Session) -> str:
    """The directory as it stands, in a few characters: a preview applies only to it."""
    return hashlib.sha256(dump(export_directory(session)).encode()).hexdigest()[:20]


def preview(session: Session, data: Any, now: datetime) -> Preview:
    """The changes importing `data` would make; DirectoryError (as import raises it) for a
    file with errors. Routing warnings are listed, not raised: the admin confirms them."""
    new = checked(data, accept_warnings=True)
    current = export_directory(session)
    old = plan(validated(current)) if "provider" in current else {}
    zone = ZoneInfo(new["provider"]["timezone"])
    found = Preview(warnings=list(new["warnings"]))
    if old.get("provider") != new["provider"]:
        fields = _differ(old.get("provider") or {}, new["provider"])
        kind = "changed" if old else "added"
        found.changes.append(Change("provider", new["provider"]["name"], kind, fields))
    for section in SECTIONS[1:]:
        if section in KEYS:
            found.changes.extend(_keyed(section, old.get(section, []), new[section]))
        else:
            found.changes.extend(_whole(section, old.get(section, []), new[section], now, zone))
    return found


def _differ(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(n for n in new if old.get(n) != new[n])


def _name(section: str, entry: Mapping[str, Any]) -> str:
    if section == "customers":
        return f"{entry['number']} {entry['name']}"
    return str(entry[KEYS[section]])


def _keyed(section: str, old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[Change]:
    key = KEYS[section]
    before = {e[key]: e for e in old}
    changes = []
    for entry in new:
        earlier = before.pop(entry[key], None)
        if earlier is None:
            changes.append(Change(section, _name(section, entry), "added"))
        elif earlier != entry:
            changes.append(Change(section, _name(section, entry), "changed",
                                  _differ(earlier, entry)))  # fmt: skip
    for entry in before.values():  # what the file no longer lists
        if section in ("teams", "customers"):
            changes.append(Change(section, _name(section, entry), "kept"))
        elif section == "engineers" and entry["active"]:
            changes.append(Change(section, _name(section, entry), "deactivated"))
        elif section == "rotations":
            changes.append(Change(section, _name(section, entry), "ended"))
    return changes


def _whole(
    section: str, old: list[dict[str, Any]], new: list[dict[str, Any]], now: datetime,
    zone: ZoneInfo,
) -> list[Change]:  # fmt: skip
    """Overrides and absences: an entry equal to one that stands changes nothing."""
    spare = list(old)
    changes = []
    for entry in new:
        if entry in spare:
            spare.remove(entry)
        else:
            changes.append(Change(section, _period(entry, zone), "added"))
    for entry in spare:
        fate = rota.unlisted(entry["starts_at"], entry["ends_at"], now.replace(microsecond=0))
        if fate != "kept":  # one that is over stays as history
            changes.append(Change(section, _period(entry, zone), fate))
    return changes


def _period(entry: Mapping[str, Any], zone: ZoneInfo) -> str:
    who = entry["engineer"]
    where = f" ({entry['team']})" if entry.get("team") else ""
    start, end = wall_clock(entry["starts_at"], zone), wall_clock(entry["ends_at"], zone)
    return f"{who}{where} {start} – {end}"

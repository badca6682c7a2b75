"""The last resort, known without the database: the fallback number, and the spool.

A voice handler that fails (or Twilio's Fallback URL) must still reach a human, so the number
comes from the settings (HOTLINE_FALLBACK_NUMBER) or else from `instance/fallback.json`, which
the directory import rewrites whenever the provider's fallback number changes. Whatever that file
holds, a bad value is logged and ignored, never an exception on the fallback path.

What happens on the fallback path (the call fell to it, the fallback number took it, a voicemail
was left) cannot go into a database that may be down: it is spooled, one JSON file a record, in
`instance/spool/`, and the worker replays the spool into tickets (`hotline.calls.replay`).
Only the standard library here: this module must work when everything else is broken.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Flask

log = logging.getLogger(__name__)
FILE = "fallback.json"
SPOOL = "spool"
E164 = re.compile(r"^\+[1-9]\d{4,14}$")


def remember(instance_path: str | Path, number: str | None) -> None:
    """Keep the directory's fallback number beside the database (atomic rewrite)."""
    _write(Path(instance_path), FILE, {"fallback_number": number})


def number(app: Flask) -> str | None:
    """The fallback number, or None when nobody configured a usable one (logged: a real gap)."""
    for source, value in (
        ("HOTLINE_FALLBACK_NUMBER", app.config.get("HOTLINE_FALLBACK_NUMBER")),
        (FILE, _stored(Path(app.instance_path) / FILE)),
    ):
        if isinstance(value, str) and E164.match(value.strip()):
            return value.strip()
        if value:
            log.error("fallback number from %s is not an E.164 number: ignored", source)
    log.error("no fallback number: set HOTLINE_FALLBACK_NUMBER or import a directory")
    return None


def _stored(file: Path) -> Any:
    try:
        stored = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stored.get("fallback_number") if isinstance(stored, dict) else stored


def _write(folder: Path, name: str, data: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f)
        f.flush()
        os.fsync(f.fileno())
    target = folder / name
    os.replace(tmp, target)
    return target


# --- the spool -------------------------------------------------------------------------------


def spool(instance_path: str | Path, kind: str, **record: Any) -> Path:
    """Keep one record of the fallback path: `kind` is "fallback", "bridged" or "voicemail"."""
    stamp = re.sub(r"\D", "", str(record.get("at", "")))[:20]  # sorts oldest first
    name = f"{stamp}-{uuid.uuid4().hex}.json"
    return _write(Path(instance_path) / SPOOL, name, {"kind": kind, **record})


def spooled(instance_path: str | Path, holder: str) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The spooled records, oldest first, each claimed for `holder` by an atomic rename (two
    workers never replay one record); a record that cannot be read is set aside, not lost."""
    folder = Path(instance_path) / SPOOL
    if not folder.is_dir():
        return
    for file in sorted(folder.glob("*.json")):
        claimed = file.with_suffix(f".{re.sub(r'[^A-Za-z0-9]', '-', holder)}.claimed")
        try:
            file.rename(claimed)
        except OSError:
            continue  # another worker took it
        try:
            data = json.loads(claimed.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not an object")
        except (OSError, ValueError) as exc:
            log.error("spooled record %s cannot be read (%s): kept as .bad", file.name, exc)
            claimed.rename(file.with_suffix(".bad"))
            continue
        yield claimed, data


def release(claimed: Path, done: bool) -> None:
    """A replayed record is deleted; one whose replay failed goes back for the next run."""
    if done:
        claimed.unlink(missing_ok=True)
    else:
        claimed.rename(claimed.with_name(claimed.name.split(".", 1)[0] + ".json"))

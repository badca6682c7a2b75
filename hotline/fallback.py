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
import time
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
        written = _e164(value) if isinstance(value, str) else None
        if written:
            return written
        if value:
            log.error("fallback number from %s is not an E.164 number: ignored", source)
    log.error("no fallback number: set HOTLINE_FALLBACK_NUMBER or import a directory")
    return None


def _e164(value: str) -> str | None:
    """An international number as people write it ("+49 171 555-0000", "0049 171 5550000")
    in E.164, with the standard library only; None when it is not one."""
    text = re.sub(r"[\s\-/().]", "", value)
    text = "+" + text[2:] if text.startswith("00") else text
    return text if E164.match(text) else None


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


STALE_CLAIM = 300  # seconds: a claim older than this belongs to a worker that died
TRIES = 5  # replays that fail before a record is set aside (`.bad`) and reported


def spool(instance_path: str | Path, kind: str, **record: Any) -> Path:
    """Keep one record of the fallback path: `kind` is "fallback", "bridged", "accepted",
    "voicemail" or "message". The file name carries the call, so a request of the same call
    (its status callback) can replay the call's records first (`spooled(..., call_sid=...)`)."""
    stamp = re.sub(r"\D", "", str(record.get("at", "")))[:20]  # sorts oldest first
    sid = re.sub(r"[^A-Za-z0-9]", "", str(record.get("call_sid") or ""))[:64] or "nosid"
    name = f"{stamp}-{sid}-{uuid.uuid4().hex}.json"
    folder = Path(instance_path) / SPOOL
    try:
        return _write(folder, name, {"kind": kind, **record})
    except OSError:
        for leftover in folder.glob(".tmp-*"):  # a full disk leaves half-written files
            leftover.unlink(missing_ok=True)
        raise


def spooled(
    instance_path: str | Path, holder: str, call_sid: str | None = None
) -> Iterator[tuple[Path, dict[str, Any]]]:
    """The spooled records (of one call, if given), oldest first, each claimed for `holder` by
    an atomic rename (two workers never replay one record). A claim a dead worker left behind
    is taken back after `STALE_CLAIM`; a record that cannot be read is set aside, not lost."""
    folder = Path(instance_path) / SPOOL
    if not folder.is_dir():
        return
    _reclaim(folder)
    sid = re.sub(r"[^A-Za-z0-9]", "", call_sid or "")
    pattern = f"*-{sid}-*.json" if call_sid is not None else "*.json"
    for file in sorted(folder.glob(pattern)):
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


def _reclaim(folder: Path) -> None:
    now = time.time()
    for claimed in folder.glob("*.claimed"):
        try:
            if now - claimed.stat().st_mtime > STALE_CLAIM:
                claimed.rename(_original(claimed))
                log.warning("spooled record %s: its worker died; taken back", claimed.name)
        except OSError:
            continue  # another worker took it back first


def _original(claimed: Path) -> Path:
    return claimed.with_name(claimed.name.split(".", 1)[0] + ".json")


def release(claimed: Path, done: bool) -> None:
    """A replayed record is deleted; one whose replay failed goes back for the next run, until
    it has failed `TRIES` times: then it is set aside as `.bad` and reported loudly."""
    if done:
        claimed.unlink(missing_ok=True)
        return
    try:
        data = json.loads(claimed.read_text(encoding="utf-8"))
        data["tries"] = int(data.get("tries", 0)) + 1
        claimed.write_text(json.dumps(data), encoding="utf-8")
    except (OSError, ValueError, TypeError):
        data = {"tries": TRIES}
    if data["tries"] >= TRIES:
        bad = claimed.with_name(claimed.name.split(".", 1)[0] + ".bad")
        claimed.rename(bad)
        log.error("spooled record %s failed %d replays: set aside as %s for a person to look at",
                  claimed.name, data["tries"], bad.name)  # fmt: skip
        return
    claimed.rename(_original(claimed))

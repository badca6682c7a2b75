"""An uploaded directory file between its preview and its import.

The admin sees the preview of exactly the bytes that will be imported: the upload is kept in
the instance folder (which every web server of a deployment shares) under its SHA-256, so the
form that applies it carries a name, not a megabyte, and cannot swap the file. Files older than
a day are removed whenever a new one is staged.
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

FOLDER = "directory-uploads"
KEEP_SECONDS = 24 * 3600
NAME = re.compile(r"^[0-9a-f]{64}$")


def _folder(instance: str | Path) -> Path:
    return Path(instance) / FOLDER


def stage(instance: str | Path, text: str) -> str:
    """Keep `text`; its name (the SHA-256 of its UTF-8 bytes)."""
    folder = _folder(instance)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.yaml"):
        try:
            if time.time() - old.stat().st_mtime > KEEP_SECONDS:
                old.unlink()
        except OSError:
            continue  # another server removed it first
    raw = text.encode("utf-8")
    name = hashlib.sha256(raw).hexdigest()
    (folder / f"{name}.yaml").write_bytes(raw)
    return name


def staged(instance: str | Path, name: str) -> str | None:
    """The staged text called `name`, or None (unknown, removed, or not a name at all)."""
    if not NAME.match(name):
        return None
    try:
        return (_folder(instance) / f"{name}.yaml").read_text(encoding="utf-8")
    except OSError:
        return None


def drop(instance: str | Path, name: str) -> None:
    if NAME.match(name):
        (_folder(instance) / f"{name}.yaml").unlink(missing_ok=True)

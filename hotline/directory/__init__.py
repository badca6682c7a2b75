"""The directory file: a provider's whole setup as one YAML document (directory-format.md).

The file's shape is one typed schema (`schema`): import reads the YAML safely (`loader`), checks
the whole file against the schema before it touches the database and reports every error with
the entry and field it concerns (`read`), and warns where numbers change routing; only a clean
file is applied, in one transaction, as an upsert by keys and customer numbers (`apply`), so a
second import of the same file changes nothing. Export dumps the same models (`export`), so that
export -> import is a no-op. docs/directory.md's tables are generated from the schema (`docs`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from hotline import clock, fallback
from hotline.directory.apply import Summary, apply
from hotline.directory.export import dump, export_directory, export_file
from hotline.directory.read import DirectoryError, checked, load

__all__ = [
    "DirectoryError",
    "Summary",
    "dump",
    "export_directory",
    "export_file",
    "import_directory",
    "import_file",
]


def import_directory(session: Session, data: Any, accept_warnings: bool = False) -> Summary:
    """Check `data` whole, then upsert it in one transaction; DirectoryError changes nothing.

    A file whose numbers change routing (the same number for two customers, a block inside
    another's ...) is imported only with `accept_warnings`; the summary repeats the warnings."""
    plan = checked(data, accept_warnings)
    try:
        summary = apply(session, plan, clock.now())
        summary.notes.extend(f"accepted warning: {w}" for w in plan["warnings"])
        session.commit()
    except Exception:
        session.rollback()
        raise
    fallback.remember(current_app.instance_path, plan["provider"]["fallback_number"])
    return summary


def import_file(session: Session, path: str | Path, accept_warnings: bool = False) -> Summary:
    """Import a YAML file; a YAML syntax error is reported like any other error."""
    return import_directory(session, load(path), accept_warnings)

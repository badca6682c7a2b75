"""The log's format: every line starts with its time in ISO 8601 with the offset, so a reader
never has to guess the zone (tickets and messages are shown in the provider's zone; the log is
kept in UTC, like the database)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class Formatter(logging.Formatter):
    """`asctime` as e.g. 2026-12-01T07:30:11.204+00:00."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


def configure() -> None:
    """Log INFO and up to standard error (standard output is the commands' own), unless the
    process configured logging already."""
    handler = logging.StreamHandler()  # sys.stderr
    handler.setFormatter(Formatter(FORMAT))
    logging.basicConfig(level=logging.INFO, handlers=[handler])

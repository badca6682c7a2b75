"""Path parameters that can only match what the database can look up: an id fits a 32-bit
column (a longer number would be a database error, not a 404), a key or customer number is
printable text of the column's length."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import BaseConverter, IntegerConverter

from hotline.api import api

LARGEST_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    def __init__(self, url_map: Any) -> None:
        super().__init__(url_map, min=1, max=LARGEST_ID)


class KeyConverter(BaseConverter):
    """A customer number or an engineer or team key: printable, no slash, at most 32."""

    regex = r"[^/\x00-\x1f\x7f-\x9f]{1,32}"


SCHEMAS: dict[str, dict[str, Any]] = {
    "id": {"type": "integer", "minimum": 1, "maximum": LARGEST_ID},
    "key": {
        "type": "string",
        "minLength": 1,
        "maxLength": 32,
        "pattern": f"^{KeyConverter.regex}$",
    },
}


@api.record_once
def _converters(state: Any) -> None:
    state.app.url_map.converters.setdefault("id", IdConverter)
    state.app.url_map.converters.setdefault("key", KeyConverter)

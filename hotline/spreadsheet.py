"""CSV that spreadsheet programs open safely and read as meant.

- **Encoding**: UTF-8 with a byte order mark, on stdout as in a file: Excel reads a CSV without
  one in the Windows code page, and "Bäckerei" turns into "BÃ¤ckerei".
- **Two variants**, one rule each: `GERMAN` separates with `;` and writes decimal commas
  ("60,00"), as Excel and LibreOffice in a German locale expect; `INTERNATIONAL` separates with
  `,` and writes decimal points ("60.00"), for an English locale and for programs. Integers are
  plain digits, decimals never use scientific notation or thousands separators.
- **No formulas from data**: a text cell that begins with `=`, `+`, `-`, `@`, a tab or a line
  break is a formula to a spreadsheet (`=HYPERLINK(...)` in a customer's name would be a live
  link in the accountant's sheet). Such a cell gets a leading `'` (OWASP, CSV injection), which
  spreadsheets show as it is. Numbers we write ourselves are never changed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
BOM = "\ufeff"

Cell = str | int | Decimal | None


@dataclass(frozen=True)
class Variant:
    delimiter: str
    decimal: str


GERMAN = Variant(delimiter=";", decimal=",")
INTERNATIONAL = Variant(delimiter=",", decimal=".")


def text(value: str) -> str:
    """Text as a spreadsheet must take it: never as the start of a formula."""
    return f"'{value}" if value.startswith(TRIGGERS) else value


def cell(value: Cell, variant: Variant) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError("a truth value has no spreadsheet form here")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", variant.decimal)
    return text(value)


def write(header: Sequence[str], rows: Iterable[Sequence[Cell]], variant: Variant) -> bytes:
    """The whole file: BOM, header, one record per row (line breaks in a cell stay quoted)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=variant.delimiter, lineterminator="\r\n")
    writer.writerow([cell(name, variant) for name in header])
    writer.writerows([cell(value, variant) for value in row] for row in rows)
    return (BOM + out.getvalue()).encode("utf-8")

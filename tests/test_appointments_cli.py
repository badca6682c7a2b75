"""The demo path through the CLI: at risk, suggestions, reschedule to one, the customer told,
resolve, the month-end run and the export."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_appointments import NOW, World, build

from hotline.models import Message


@pytest.fixture
def world(session: Session, clock: Any) -> World:
    clock.at = NOW
    return build(session)


def run(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_the_demo_from_the_readme(
    app: Flask, session: Session, world: World, clock: Any, tmp_path: Path
) -> None:
    mine = world.appointment(session, "a1", world.mueller, "2026-12-01 10:00", "2026-12-01 11:00")
    world.appointment(session, "a2", world.acme, "2026-12-01 14:00", "2026-12-01 15:00")
    session.commit()

    assert "1 emergency checked" in run(app, "check-displacements")
    listed = run(app, "appointments")
    assert listed.splitlines()[0].startswith(f"! #{mine.id}")
    assert json.loads(run(app, "appointments", "--json"))[0]["status"] == "at_risk"

    shown = run(app, "appointment", str(mine.id))
    assert "1. Tue 01.12.2026 11:30 jonas" in shown
    assert "anna" in shown

    assert "rescheduled: Tue 01.12.2026 11:30, jonas" in run(
        app, "appointment", str(mine.id), "reschedule", "1"
    )
    session.expire_all()
    to_customer = session.scalars(select(Message).where(Message.to == "it@mueller.example")).one()
    assert "neu am 01.12.2026 um 11:30 Uhr" in (to_customer.subject or "")

    clock.at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert "resolved" in run(app, "resolve", str(world.ticket.id), "--work-minutes", "20")

    clock.at = datetime(2027, 1, 1, 5, 0, tzinfo=UTC)
    billed = run(app, "billing-run")
    assert "2026-12 closed" in billed
    assert "surcharge 30.00 EUR for #" in billed
    assert run(app, "billing-run") == billed  # idempotent

    out = tmp_path / "2026-12.csv"
    run(app, "billing-export", "--month", "2026-12", "--semicolon", "-o", str(out))
    text = out.read_text(encoding="utf-8-sig")
    assert text.startswith("month;customer;")
    assert ";60,00;0,00;30,00;" in text


def test_decisions_and_errors(app: Flask, session: Session, world: World) -> None:
    a1 = world.appointment(session, "a1", world.mueller, "2026-12-01 10:00", "2026-12-01 11:00")
    session.commit()
    run(app, "check-displacements")
    runner = app.test_cli_runner()
    failed = runner.invoke(args=["appointment", str(a1.id), "reassign", "nobody"])
    assert failed.exit_code != 0 and "no engineer 'nobody'" in failed.output
    clash = runner.invoke(args=["appointment", str(a1.id), "reschedule", "2026-12-01T10:30"])
    assert clash.exit_code != 0 and "jonas is busy" in clash.output
    assert "reassigned" in run(app, "appointment", str(a1.id), "reassign", "anna")
    lead = runner.invoke(args=["waive", str(world.ticket.id), "--by", "jonas", "--reason", "x"])
    assert lead.exit_code != 0 and "only a project lead" in lead.output
    assert "waived by lena" in run(app, "waive", str(world.ticket.id), "--by", "lena",
                                   "--reason", "Kulanz")  # fmt: skip


def test_import_and_status_preview(
    app: Flask, session: Session, world: World, tmp_path: Path
) -> None:
    file = tmp_path / "a.csv"
    file.write_text("key,engineer,customer,start,end,title,onsite\nx1,anna,10077,"
                    "2026-12-03T09:00,2026-12-03T10:00,JourFixe,1\n")  # fmt: skip
    assert "1 created, 0 updated, 0 skipped" in run(app, "import-appointments", str(file))
    preview = run(app, "status-emails", "--show", "10099")
    assert "\nSubject: Statusbericht 12/2026: Bäckerei Brot\n" in preview
    assert "1 status e-mail queued" in run(app, "status-emails")


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"", "no header line"),
        (b"key engineer\nx1 anna\n", "no header line"),
        (b"key;engineer;start\nx1;anna;2026-12-03T09:00\n", "lacks the column(s) end"),
        (b"\xff\xfe\x00", "is not UTF-8 text"),
    ],
)
def test_a_bad_csv_file_is_a_clear_error(
    app: Flask, world: World, tmp_path: Path, content: bytes, error: str
) -> None:
    file = tmp_path / "termine.csv"
    file.write_bytes(content)
    result = app.test_cli_runner().invoke(args=["import-appointments", str(file)])
    assert result.exit_code == 1 and error in result.output, result.output


def test_a_bad_ics_file_is_a_clear_error(app: Flask, world: World, tmp_path: Path) -> None:
    file = tmp_path / "jonas.ics"
    file.write_text("garbage")
    result = app.test_cli_runner().invoke(
        args=["import-appointments", str(file), "--engineer", "jonas"]
    )
    assert result.exit_code == 1 and "not an iCalendar file" in result.output, result.output


def test_a_bad_reschedule_time_is_a_clear_error(app: Flask, session: Session, world: World) -> None:
    a1 = world.appointment(session, "a1", world.mueller, "2026-12-01 10:00", "2026-12-01 11:00")
    session.commit()
    result = app.test_cli_runner().invoke(args=["appointment", str(a1.id), "reschedule", "friday"])
    assert result.exit_code == 2 and "'friday' is no time" in result.output, result.output


def test_export_to_a_missing_folder_and_a_negative_limit_are_clear_errors(
    app: Flask, session: Session, world: World, clock: Any, tmp_path: Path
) -> None:
    clock.at = datetime(2027, 1, 1, 5, 0, tzinfo=UTC)
    run(app, "billing-run")
    runner = app.test_cli_runner()
    target = tmp_path / "missing" / "2026-12.csv"
    failed = runner.invoke(args=["billing-export", "--month", "2026-12", "-o", str(target)])
    assert failed.exit_code == 1 and "cannot write" in failed.output, failed.output
    limit = runner.invoke(args=["outbox", "--limit", "-1"])
    assert limit.exit_code == 2 and "--limit" in limit.output, limit.output

"""Time entries on both backends: the ticket system's CSV, the quota they use with the
emergencies, the month-end run that bills them once, in order, with the quota in force."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from builders import small_provider
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import billing, hours, reports, timesheet
from hotline.billing import BillingError
from hotline.models import BillingLine, Customer, Engineer, Message, TimeEntry

DECEMBER = datetime(2026, 12, 20, 12, tzinfo=UTC)
NEW_YEAR = datetime(2027, 1, 1, 6, tzinfo=UTC)

GERMAN = (
    "\ufeffDatum;Mitarbeiter;Kunde;Stunden;Thema;Ticketnummer;abrechenbar\n"
    "03.12.2026;Jonas;10042;1,5;Drucker im Empfang;T-4711;ja\n"
    "04.12.2026;jonas;10042;0,25;Rückfrage Drucker;T-4711;ja\n"
    "04.12.2026;Jonas;10042;2;Schulung;T-4720;nein\n"
    '07.12.26;anna;10042;6,5;"Migration; Teil 1";T-4800;x\n'
)


@pytest.fixture
def world(session: Session, clock: Any) -> dict[str, Any]:
    clock.at = DECEMBER
    built = small_provider(session)
    session.expire_all()  # read back as stored: Decimal amounts
    return built


def test_a_german_spreadsheet_export_becomes_entries_once(
    session: Session, world: dict[str, Any]
) -> None:
    result = timesheet.load(session, GERMAN.encode(), "import test", DECEMBER)
    session.commit()
    assert (result.added, result.updated, result.unchanged) == (4, 0, 0)
    entries = session.scalars(select(TimeEntry).order_by(TimeEntry.day, TimeEntry.id)).all()
    assert [(e.day, e.engineer.key, e.minutes, e.reference, e.billable) for e in entries] == [
        (date(2026, 12, 3), "jonas", 90, "T-4711", True),
        (date(2026, 12, 4), "jonas", 15, "T-4711", True),
        (date(2026, 12, 4), "jonas", 120, "T-4720", False),
        (date(2026, 12, 7), "anna", 390, "T-4800", True),
    ]
    assert entries[3].topic == "Migration; Teil 1"

    again = timesheet.load(session, GERMAN.encode(), "import test", DECEMBER)
    session.commit()
    assert (again.added, again.updated, again.unchanged) == (0, 0, 4)
    assert len(session.scalars(select(TimeEntry)).all()) == 4

    changed = GERMAN.lstrip("\ufeff").replace("1,5;Drucker", "1,75;Drucker")  # Excel: cp1252
    third = timesheet.load(session, changed.encode("cp1252"), "import test", DECEMBER)
    session.commit()
    assert (third.added, third.updated, third.unchanged) == (0, 1, 3)
    assert session.scalars(select(TimeEntry.minutes).where(TimeEntry.reference == "T-4711",
                                                           TimeEntry.day == date(2026, 12, 3))
                           ).one() == 105  # fmt: skip


def test_english_comma_iso_and_rows_of_one_ticket_day_and_engineer_add_up(
    session: Session, world: dict[str, Any]
) -> None:
    data = (
        "date,engineer,customer,minutes,topic,ticket\n"
        "2026-12-02,jonas,10042,20,VPN,T-1\n"
        "2026-12-02,Jonas,10042,25,VPN,T-1\n"
        "2026-12-02,jonas,10042,10,Firewall,T-1\n"
    )
    timesheet.load(session, data.encode(), "import test", DECEMBER)
    session.commit()
    (entry,) = session.scalars(select(TimeEntry)).all()
    assert (entry.minutes, entry.topic, entry.billable) == (55, "VPN; Firewall", True)
    timesheet.load(session, data.encode(), "import test", DECEMBER)
    assert session.scalars(select(TimeEntry.minutes)).one() == 55


def test_a_bad_file_imports_nothing_and_names_each_line_and_field(
    session: Session, world: dict[str, Any]
) -> None:
    data = (
        "Datum;Mitarbeiter;Kunde;Minuten;Thema;Ticketnummer\n"
        "03.12.2026;jonas;10042;30;gut;T-1\n"
        "31.02.2026;jonas;10042;30;kein Tag;T-2\n"
        "04.12.2026;niemand;99999;7,5;;T-3\n"
        "24.12.2026;jonas;10042;30;Zukunft;T-4\n"
    )
    with pytest.raises(timesheet.TimesheetError) as caught:
        timesheet.load(session, data.encode(), "import test", DECEMBER)
    assert caught.value.errors == [
        'line 3, Datum: "31.02.2026" is no date (dd.mm.yyyy or yyyy-mm-dd)',
        'line 4, Mitarbeiter: no engineer "niemand"',
        'line 4, Kunde: no customer number "99999"',
        "line 4, Thema: empty, expected what was done",
        'line 4, Minuten: "7,5" is not a whole number of minutes',
        "line 5, Datum: 24.12.2026 lies in the future",
    ]
    assert session.scalars(select(TimeEntry)).all() == []

    with pytest.raises(timesheet.TimesheetError, match="line 1: no column for ticket, minutes"):
        timesheet.load(session, b"Datum;Mitarbeiter;Kunde;Thema\n", "import test", DECEMBER)


def test_the_command_imports_and_refuses_with_a_clear_message(
    app: Flask, world: dict[str, Any], tmp_path: Path
) -> None:
    good, bad = tmp_path / "zeiten.csv", tmp_path / "kaputt.csv"
    good.write_bytes(GERMAN.encode())
    bad.write_bytes(GERMAN.replace("T-4800", "").encode())
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-hours", str(bad), "--at", "2026-12-20T13:00"])
    assert result.exit_code == 1
    assert "nothing imported, 1 error:\nline 5, Ticketnummer: empty" in result.output
    result = runner.invoke(args=["import-hours", str(good), "--at", "2026-12-20T13:00"])
    assert result.exit_code == 0, result.output
    assert "4 added, 0 updated, 0 unchanged" in result.output
    result = runner.invoke(args=["hours", "--month", "2026-12", "--engineer", "anna"])
    assert "07.12.2026  anna" in result.output and "1 entries in 2026-12, 390 billable" in (
        result.output
    )


def entry(session: Session, who: str, day: date, minutes: int, ref: str | None = None) -> None:
    engineer = session.scalars(select(Engineer).where(Engineer.key == who)).one()
    customer = session.scalars(select(Customer).where(Customer.number == "10042")).one()
    work = hours.Work(customer, engineer, day, minutes, "Support", ref)
    hours.add(session, work, "test", datetime.combine(day, datetime.min.time(), UTC))


def test_entries_count_against_the_quota_in_the_status_and_the_run(
    session: Session, world: dict[str, Any]
) -> None:
    entry(session, "jonas", date(2026, 12, 2), 7 * 60 + 40)  # 7 h 45 of 10 h: 77.5 %
    session.commit()
    mueller = world["mueller"]
    assert reports.status(session, mueller, DECEMBER).notice is None
    entry(session, "anna", date(2026, 12, 3), 10)  # rounded to 15: 8 h = 80 %
    session.commit()
    mail = reports.status(session, mueller, DECEMBER)
    assert mail.notice == "near" and "8,00 Std. von 10,00 Std." in mail.text

    run = billing.run_month_end(session, NEW_YEAR)
    assert sorted((x.time_entry_id is not None, x.billed_minutes) for x in run.lines) == [
        (True, 15), (True, 465),
    ]  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(billing.export_csv(session, run.month).decode(
        "utf-8-sig"))))  # fmt: skip
    assert [(r["kind"], r["engineer"], r["date"], r["ticket"]) for r in rows] == [
        ("support", "jonas", "2026-12-02", ""), ("support", "anna", "2026-12-03", ""),
    ]  # fmt: skip
    (total,) = csv.DictReader(io.StringIO(
        billing.export_csv(session, run.month, totals=True).decode("utf-8-sig")))  # fmt: skip
    assert (total["tickets"], total["entries"], total["billed_hours"]) == ("0", "2", "8.00")

    with pytest.raises(hours.HoursError, match="abgerechneten Monat"):
        entry(session, "jonas", date(2026, 12, 30), 30)
    december = session.scalars(select(TimeEntry)).first()
    assert december is not None
    with pytest.raises(hours.HoursError, match="abgerechneten Monat"):
        hours.remove(session, december)


def test_each_month_is_billed_with_the_quota_in_force_then(
    session: Session, world: dict[str, Any]
) -> None:
    world["mueller"].contract.monthly_hours = Decimal("4")
    world["mueller"].contract.quota_history = [
        {"since": "2026-11", "hours": "6"}, {"since": "2027-01", "hours": "4"},
    ]  # fmt: skip
    entry(session, "jonas", date(2026, 12, 2), 5 * 60)
    entry(session, "jonas", date(2027, 1, 5), 5 * 60)
    session.commit()
    december = billing.close(session, date(2026, 12, 1), NEW_YEAR)
    january = billing.close(session, date(2027, 1, 1), datetime(2027, 2, 1, 6, tzinfo=UTC))
    (dec,), (jan,) = december.lines, january.lines
    assert (dec.monthly_hours, dec.extra_minutes) == (Decimal("6.00"), 0)
    assert (jan.monthly_hours, jan.extra_minutes) == (Decimal("4.00"), 60)


def test_months_close_in_order_once(session: Session, world: dict[str, Any]) -> None:
    entry(session, "jonas", date(2026, 11, 20), 30)
    session.commit()
    billing.close(session, date(2026, 11, 1), NEW_YEAR)
    with pytest.raises(BillingError, match="2027-01 cannot be closed before 2026-12"):
        billing.close(session, date(2027, 1, 1), datetime(2027, 2, 2, tzinfo=UTC))
    with pytest.raises(BillingError, match="2026-10 cannot be closed: months are closed in order"):
        billing.close(session, date(2026, 10, 1), NEW_YEAR)
    assert billing.close(session, date(2026, 11, 1), NEW_YEAR).lines[0].billed_minutes == 30
    # The worker was down in January: its run on 1 March closes January, then February.
    feb = billing.run_month_end(session, datetime(2027, 3, 1, 6, tzinfo=UTC))
    assert feb.month == date(2027, 2, 1)
    assert billing.last_closed(session) == date(2027, 2, 1)
    assert len(session.scalars(select(BillingLine)).all()) == 1


def test_three_months_beyond_the_quota_tell_the_project_lead_once(
    app: Flask, session: Session, world: dict[str, Any], clock: Any
) -> None:
    world["engineers"]["anna"].email = "anna@example.de"
    world["mueller"].contract.monthly_hours = Decimal("1")
    for month in (10, 11, 12):
        clock.at = datetime(2026, month, 15, 12, tzinfo=UTC)
        entry(session, "jonas", date(2026, month, 2), 90)
        session.commit()
    for month in (date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)):
        billing.close(session, month, NEW_YEAR)
    clock.at = datetime(2027, 1, 15, 12, tzinfo=UTC)
    entry(session, "jonas", date(2027, 1, 2), 90)
    session.commit()
    billing.close(session, date(2027, 1, 1), datetime(2027, 2, 1, 6, tzinfo=UTC))
    (message,) = session.scalars(select(Message)).all()
    assert message.to == "anna@example.de" and message.dedupe_key == "over-quota:10042:2026-10"
    assert "3 Monate in Folge" in (message.subject or "")
    assert "- 12/2026: 1,50 h von 1,00 h Kontingent, Mehraufwand 0,50 h (60,00 EUR)" in (
        message.body
    )

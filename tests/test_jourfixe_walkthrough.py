"""The README's JourFixe walk-through, run exactly as it stands: support hours imported from the
example CSV push Müller & Söhne past 80 %, an urgent request stays open, the status e-mail after
Tuesday's JourFixe is previewed on the web (as the dispatcher, at the time the README previews
it), then queued once by the worker's job and found in the outbox, read back by a strict e-mail
parser; the GL-JourFixe PDF is read by a second PDF reader."""

from __future__ import annotations

import html
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from email_reader import strict
from office import client_as
from pypdf import PdfReader
from readme_blocks import commands, shell
from sqlalchemy import create_engine, text

from escalation.wallclock import parse, zone
from hotline import create_app, db, notify
from hotline.config import SETTINGS

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## The status e-mail after a JourFixe"


def preview_on_the_web(at: str) -> str:
    """The JourFixe page's preview of 10042 at `at` (wall-clock, as the command's --at), as the
    demo dispatcher sees it."""
    when = parse(at, zone(None))
    app = create_app({"CLOCK": lambda: when})
    page = client_as(app, "dispatcher").get("/jourfixe/10042")
    with app.app_context():
        db.engine().dispose()
    assert page.status_code == 200
    return html.unescape(page.get_data(as_text=True))


def run(folder: Path, today: datetime, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.chdir(folder)
    monkeypatch.setenv("PWD", str(folder))
    out: dict[str, Any] = {"flask": []}
    for command in commands(SECTION):
        if shell(command, folder, monkeypatch):
            continue
        match command:
            case ["flask", *args]:
                app = create_app({"CLOCK": lambda: today})
                result = app.test_cli_runner().invoke(args=args)
                with app.app_context():
                    db.engine().dispose()
                assert result.exit_code == 0, (command, result.output)
                out["flask"].append((args, result.output))
                if args[:2] == ["status-emails", "--show"]:
                    out["web"] = preview_on_the_web(args[args.index("--at") + 1])
            case _:
                pytest.fail(f"the test does not know how to run {command}: teach it, or fix it")
    return out


def test_the_jourfixe_walkthrough_gives_what_it_promises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "docs" / "examples").mkdir(parents=True)
    shutil.copy(ROOT / "docs" / "examples" / "hours.csv", tmp_path / "docs" / "examples")
    out = run(tmp_path, datetime(2027, 3, 14, 9, tzinfo=UTC), monkeypatch)  # any other day
    said = {" ".join(args[:2]) + (" " + args[-1] if args[0] == "status-emails" else ""): text
            for args, text in out["flask"]}  # fmt: skip

    assert "next Tue 08.12.2026 10:00" in said["jourfixe 10042"]
    assert (
        "from anna to it@mueller-soehne.example, gf@mueller-soehne.example"
        in said["jourfixe 10042"]
    )
    assert said["import-hours docs/examples/hours.csv"] == "7 added, 0 updated, 0 unchanged\n"
    assert said["status-emails --due 2026-12-04T16:40"] == "1 status e-mail queued\n"  # notice
    preview = said["status-emails --show 2026-12-07T09:00"]
    for promised in (
        "From: Anna Schmidt (Solutionbar IT-Service)",
        "Reply-To: anna@solutionbar.example",
        "To: it@mueller-soehne.example, gf@mueller-soehne.example",
        "Subject: Statusbericht zum JourFixe am 08.12.2026: Müller & Söhne Maschinenbau GmbH",
        "Geleistete Stunden seit dem letzten JourFixe (ab 25.11.2026): 12,00 Std.",
        "8,50 Std. von 10,00 Std. Stundenkontingent (85 %)",
        "Hinweis: Ihr Stundenkontingent für diesen Monat ist zu 85 % verbraucht.",
        "- #1 04.12.2026 16:30: dringende Anfrage per Telefon",
        "- Server-Migration: 5,50 Std.",
        "Der nächste JourFixe: 22.12.2026, 10:00 Uhr.",
    ):
        assert promised in preview, promised
    web = out["web"]  # the same e-mail on the JourFixe page, with its button
    assert "Statusbericht zum JourFixe am 08.12.2026" in web and "Jetzt senden" in web
    assert "dringende Anfrage per Telefon" in web and "zu 85 % verbraucht" in web
    assert "Anna Schmidt (Solutionbar IT-Service) <hotline@localhost>" in web
    assert said["status-emails --due 2026-12-08T12:10"] == "1 status e-mail queued\n"
    assert said["status-emails --due 2026-12-08T12:20"] == "0 status e-mails queued\n"
    assert said["send-pending --at"].startswith("2 sent;")
    assert "Statusbericht zum JourFixe am 08.12.2026" in said["outbox --limit"]

    engine = create_engine(f"sqlite:///{tmp_path / 'instance' / 'jourfixe' / 'hotline.db'}")
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT dedupe_key, \"to\", sender_name, reply_to, subject, body, html "
                 "FROM messages WHERE dedupe_key LIKE 'status:10042:%' ORDER BY id")
        ).all()  # fmt: skip
    engine.dispose()
    assert [r[0] for r in rows] == [
        "status:10042:2026-12-01:near", "status:10042:jourfixe:2026-12-08T09:00Z"
    ]  # fmt: skip
    key, to, sender, reply_to, subject, body, markup = rows[1]
    assert body in preview  # the e-mail that went out is the one previewed
    mail = strict(notify.wire(notify.compose(
        f"{sender} <hotline@solutionbar.example>", to, subject, body, markup,
        datetime(2026, 12, 8, 12, 20, tzinfo=UTC), reply_to=reply_to,
    )))  # fmt: skip
    assert mail["Reply-To"] == "anna@solutionbar.example"
    assert [a.addr_spec for a in mail["To"].addresses] == [
        "it@mueller-soehne.example", "gf@mueller-soehne.example"
    ]  # fmt: skip
    assert "dringende Anfrage" in mail.get_body(("html",)).get_content()

    pdf = PdfReader(tmp_path / "instance" / "jourfixe" / "gl-10042.pdf")
    words = " ".join(page.extract_text() for page in pdf.pages)
    assert "Müller & Söhne Maschinenbau GmbH" in words and "2. Halbjahr 2026" in words
    assert "8,50" in words and "85 %" in words and "17.12.2026 14:00" in words

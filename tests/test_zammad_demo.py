"""The README's Zammad demo, run as it stands: the stand-in (`flask zammad-standin`, a process
of its own, as `&` starts it) gets the emergency as a ticket, the message that is no emergency
as another, and the emergency's resolution closes its ticket; the delivery log says so."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from readme_blocks import commands, shell
from sqlalchemy import create_engine, text

from hotline import create_app, db
from hotline.config import SETTINGS

SECTION = "## The ticket system: an emergency arrives in Zammad"
PORT = "8765"


def free_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def listening(port: str, process: subprocess.Popen[str]) -> None:
    """Wait until the stand-in takes connections (it needs a moment to start Python)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            socket.create_connection(("127.0.0.1", int(port)), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)  # readiness of another process, not the test's clock
    pytest.fail("the stand-in did not start")


def test_the_readme_demo_puts_the_emergency_and_the_message_into_the_stand_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in SETTINGS:  # the embedded default: no Twilio, no SMTP, no other database
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PWD", str(tmp_path))
    port = free_port()  # the README's 8765 may be taken on this machine
    today = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    background: list[subprocess.Popen[str]] = []
    printed: dict[str, str] = {}
    try:
        for command in commands(SECTION):
            command = [part.replace(PORT, port) for part in command]
            if shell(command, tmp_path, monkeypatch):
                continue
            match command:
                case ["flask", *args, "&"]:
                    flask = [sys.executable, "-m", "flask", "--app", "hotline", *args]
                    out = subprocess.PIPE
                    started = subprocess.Popen(
                        flask, stdout=out, stderr=subprocess.STDOUT, text=True
                    )
                    background.append(started)
                    listening(port, background[-1])
                case ["kill", "%1"]:
                    background[0].terminate()
                    printed["zammad-standin"] = background[0].communicate(timeout=30)[0]
                case ["flask", *args]:
                    app = create_app({"CLOCK": lambda: today})
                    result = app.test_cli_runner().invoke(args=args)
                    with app.app_context():
                        db.engine().dispose()
                    assert result.exit_code == 0, (command, result.output)
                    printed.setdefault(" ".join(args[:2]), result.output)  # the first
                case _:
                    pytest.fail(f"the test does not know how to run {command}: teach it")
    finally:
        for process in background:
            if process.poll() is None:
                process.kill()
                process.communicate()

    zammad = printed["zammad-standin"]
    assert "Zammad: ticket #31001 (id 1) created: Notfall: Müller & Söhne" in zammad, zammad
    assert "Zammad: ticket id 1, article 2: Notfall angenommen von Jonas Weber" in zammad
    assert "Zammad: ticket #31002 (id 2) created: Telefonnachricht von Bäckerei Körner" in zammad
    assert "Zammad: ticket id 1 is now closed" in zammad
    assert "refused" not in zammad  # token and signature were right every time
    emergency = printed["simulate-call --from"]
    assert "webhook emergency.opened to zammad, delivered (HTTP 201)" in emergency
    assert "1 delivered" in printed["webhooks --send"]
    log = printed["webhooks"]
    assert log.count("delivered") == 4 and "pending" not in log and "FAILED" not in log
    database = create_engine(f"sqlite:///{tmp_path / 'instance' / 'zammad' / 'hotline.db'}")
    with database.connect() as conn:
        subjects = conn.execute(text("SELECT subject FROM messages")).scalars().all()
    database.dispose()
    assert not any(s and "Telefonnachricht" in s for s in subjects)  # no e-mail: Zammad has it

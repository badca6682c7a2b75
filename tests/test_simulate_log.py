"""`simulate-call` in a real process, standard output and the log in one pipe (as a terminal
shows them): the transcript line by line, the log of an SMS where the call sent it, never inside
a line, and each log line says its zone."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from hotline.config import SETTINGS

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00 (INFO|WARNING|ERROR) ")
SHOWN = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d")  # any time stamp of a log line


# One process runs the three commands (one start-up, not three), its standard output and error
# the real ones, as `flask` would have them.
SCRIPT = """
import sys
from flask.cli import ScriptInfo
from hotline import create_app

app = create_app()
call = ["simulate-call", "--from", "030 2345678", "--at", "2026-12-01T08:30"]
for args in (["init-db"], ["seed-demo", "--week", "2026-11-30"], call):
    print("=== " + args[0], flush=True)
    app.cli.main(args, standalone_mode=False, obj=ScriptInfo(create_app=lambda: app))
"""


def test_the_transcript_and_the_log_never_share_a_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env["HOTLINE_INSTANCE"] = str(tmp_path / "instance")
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout
    out = done.stdout.split("=== simulate-call\n")[1]
    lines = out.splitlines()
    logged = [i for i, line in enumerate(lines) if LOG_LINE.match(line)]
    assert logged, out  # the DRY RUN SMS is logged
    for line in lines:  # a log line's time only ever starts a line
        found = SHOWN.search(line)
        assert found is None or found.start() == 0 or not LOG_LINE.match(line[found.start() :]), (
            line
        )
    pressed = next(i for i, line in enumerate(lines) if line.endswith("jonas presses 1"))
    ended = next(i for i, line in enumerate(lines) if line.endswith("call ended"))
    assert pressed < logged[0] < ended  # sent when Jonas accepted, and told in that order
    assert "SMS" in lines[logged[0]] and "Notfall #1 angenommen" in lines[logged[0] + 1]

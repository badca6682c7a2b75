"""A README section's shell block as the commands it runs, so a test that plays a section runs
exactly what a reader would type: `a && b` is two commands, `# ...` is a comment."""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def commands(section: str) -> list[list[str]]:
    """The commands of the first ```sh block after the heading `section`, in order."""
    block = README.split(section, 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    found: list[list[str]] = []
    for line in block.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        command: list[str] = []
        for token in lexer:
            if token == "&&":
                found.append(command)
                command = []
            else:
                command.append(token)
        if command:
            found.append(command)
    return found


def shell(command: list[str], folder: Path, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Run a README command that only sets up the shell (activate, export, unset, rm -rf in the
    reader's folder) as the test's own environment; False for anything else (the caller's)."""
    match command:
        case [".", ".venv/bin/activate"]:
            return True  # the README activates the venv; the tests run in it already
        case ["export", *assignments]:
            for assignment in assignments:
                name, _, value = assignment.partition("=")
                monkeypatch.setenv(name, os.path.expandvars(value))
            return True
        case ["unset", name]:
            monkeypatch.delenv(name, raising=False)
            return True
        case ["rm", "-rf", path]:
            assert not Path(path).is_absolute() and ".." not in path
            shutil.rmtree(folder / path, ignore_errors=True)
            return True
    return False

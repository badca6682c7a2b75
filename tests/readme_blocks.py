"""A README section's shell block as the commands it runs, so a test that plays a section runs
exactly what a reader would type: `a && b` is two commands, `# ...` is a comment."""

from __future__ import annotations

import shlex
from pathlib import Path

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

"""An install carries everything the app reads at run time: a wheel built from the checkout
holds every file of the packages (templates in subfolders, static files, migrations), as the
container image installs it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_holds_every_file_of_the_packages(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a clean copy: a stale egg-info or build/ would hide a gap
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        "*.egg-info", "build", ".venv", ".git", "__pycache__", "instance", ".*cache", "tests",
        "docs", "bench", ".hypothesis",
    ))  # fmt: skip
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
         "--quiet", "--wheel-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("hotline-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        held = set(archive.namelist())
    wanted = {
        str(file.relative_to(ROOT))
        for package in ("hotline", "escalation")
        for file in (ROOT / package).rglob("*")
        if file.is_file() and "__pycache__" not in file.parts and file.suffix != ".pyc"
    }
    assert "hotline/web/templates/auth/login.html" in wanted
    assert wanted - held == set()

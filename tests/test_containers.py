"""The container files: compose.yaml read by a strict reader of the Compose Specification
(compose-spec, after interpolation as Compose does it: Docker is not available where the tests
run, so no image is built here), the Dockerfile's promises, and the compose start sequence played
on this host with the compose file's own commands: migrate, then web and worker, until the web
service's own healthcheck passes (`/healthz` 200: migrated, worker heartbeat fresh)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from compose_spec import PyCompose
from conftest import PG_ADMIN
from realserver import free_port
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
ENV = {  # what an operator puts in .env
    "POSTGRES_PASSWORD": "pg-secret",
    "SECRET_KEY": "a-long-production-secret",
    "TWILIO_AUTH_TOKEN": "the-accounts-auth-token",
    "HOTLINE_PUBLIC_URL": "https://hotline.example.de",
    "HOTLINE_FALLBACK_NUMBER": "+491715550000",
}


class Missing(ValueError):
    """A variable the compose file requires (`${NAME:?...}`) is not set."""


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error},
    ${VAR?error}, $$ for a dollar."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name"), match.group("op") or "", match.group("arg") or ""
        unset = name not in env or (op.startswith(":") and env[name] == "")
        if op in (":?", "?") and unset:
            raise Missing(arg or f"{name} is required")
        if op in (":-", "-") and unset:
            return arg
        return env.get(name, "")

    pattern = r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    return re.sub(pattern, one, value)


def compose(env: dict[str, str]) -> dict[str, Any]:
    """compose.yaml as Compose sees it: YAML merge keys resolved, interpolated, then read by the
    strict reader (unknown keys, bad values and wrong types are errors)."""
    raw = yaml.safe_load((ROOT / "compose.yaml").read_text())
    resolved = interpolate(raw, env)
    return PyCompose.from_json(json.dumps(resolved)).to_dict()


def test_compose_file_is_valid_and_starts_in_order() -> None:
    spec = compose(ENV)
    services = spec["services"]
    assert set(services) == {"db", "migrate", "web", "worker"}
    assert services["db"]["image"] == "postgres:15"  # the version the backup tools match
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("web", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        assert services[name]["environment"]["DATABASE_URL"] == (
            "postgresql://hotline:pg-secret@db:5432/hotline"
        )
        assert "instance:/data/instance" in str(services[name]["volumes"])  # one spool
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    assert set(spec["volumes"]) == {"pgdata", "instance"}


def test_compose_runs_the_procfiles_processes() -> None:
    services = compose(ENV)["services"]
    procfile = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )
    for name in ("web", "worker"):
        command = services[name]["command"]
        assert command[: len(shlex.split(procfile[name]))] == shlex.split(procfile[name])


@pytest.mark.parametrize("name", sorted(ENV))
def test_compose_refuses_without_each_secret(name: str) -> None:
    with pytest.raises(Missing, match=name):
        compose({k: v for k, v in ENV.items() if k != name})


def test_the_dockerfile_runs_as_a_user_the_procfiles_web() -> None:
    lines = [
        line.strip()
        for line in (ROOT / "Dockerfile").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    froms = [line for line in lines if line.startswith("FROM ")]
    assert froms and all(line.split()[1] == "python:3.11-slim" for line in froms)
    final = lines[lines.index(froms[-1]) :]
    users = [line.split()[1] for line in final if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    (cmd,) = [json.loads(line.removeprefix("CMD ")) for line in final if line.startswith("CMD ")]
    web = (ROOT / "Procfile").read_text().split("web: ", 1)[1].splitlines()[0]
    assert cmd[: len(shlex.split(web))] == shlex.split(web)


@pytest.fixture
def database() -> Iterator[str]:
    name = f"hotline_compose_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")  # fmt: skip
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_the_compose_sequence_comes_up_healthy_on_this_host(database: str, tmp_path: Path) -> None:
    """Each service's command and environment from compose.yaml, with the database and the
    port moved to this host: the production refusal passes, migrations run, /healthz is 200."""
    services = compose(ENV)["services"]
    port = free_port()

    def environment(service: str) -> dict[str, str]:
        settings = {k: str(v) for k, v in services[service]["environment"].items()}
        base = {k: v for k, v in os.environ.items() if not k.startswith(("HOTLINE_", "TWILIO_"))}
        return base | settings | {
            "DATABASE_URL": database, "HOTLINE_INSTANCE": str(tmp_path / "instance"),
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "PYTHONPATH": str(ROOT),  # this checkout, as the image installs it
        }  # fmt: skip

    def command(service: str) -> list[str]:
        line = [str(part) for part in services[service]["command"]]
        return [part if part != "8000" else str(port) for part in line]

    migrated = subprocess.run(command("migrate"), env=environment("migrate"), cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)  # fmt: skip
    assert migrated.returncode == 0, migrated.stderr
    logs = {name: (tmp_path / f"{name}.log").open("w") for name in ("web", "worker")}
    running = {
        name: subprocess.Popen(
            command(name),
            env=environment(name),
            cwd=tmp_path,
            stdout=logs[name],
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        for name in ("web", "worker")
    }
    check = [str(part) for part in services["web"]["healthcheck"]["test"][1:]]
    check = [sys.executable if part == "python" else part.replace("8000", str(port))
             for part in check]  # fmt: skip
    try:
        deadline = time.monotonic() + 120  # two processes starting on a busy machine
        while True:
            probe = subprocess.run(check, capture_output=True, text=True, timeout=10)
            if probe.returncode == 0:
                break
            for name, process in running.items():
                assert process.poll() is None, (tmp_path / f"{name}.log").read_text()
            assert time.monotonic() < deadline, probe.stderr[-2000:]
            time.sleep(0.5)  # waiting for two real processes to start, not for the clock
    finally:
        for process in running.values():
            process.terminate()
            process.wait(20)
        for log in logs.values():
            log.close()

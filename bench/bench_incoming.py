"""Benchmark: `POST /voice/incoming` for a known caller against a bare endpoint with fixed TwiML.

Run: `.venv/bin/python bench/bench_incoming.py [--db sqlite|postgresql] [--requests N]` (not part
of pytest). Builds its own database (10,000 customers, 40,000 exact numbers, 10,000 number
blocks), serves the real app under waitress on 127.0.0.1 with one extra route `/bench/fixed`
(TwiML built once; bench/_server.py), and sends N signed webhooks for random known callers and N
baseline requests, interleaved over one keep-alive connection after a warm-up. Prints medians,
p99 and their ratios (incoming / baseline, both measured in this run through this server),
requests per second, and where the webhook's time goes. Every webhook must leave an identified
ticket, or the run fails. The database is dropped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import create_engine, func, insert, select, text
from twilio.request_validator import RequestValidator

from hotline import callers, create_app, db
from hotline import models as m
from hotline.db import make_engine

PG_ADMIN = os.environ.get("HOTLINE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PUBLIC_URL = "https://hotline.example.de"  # what signatures are computed over, as on a real host
TOKEN = "bench-auth-token-0123456789abcdef"
CENTRAL = "+49309876540"
CUSTOMERS, NUMBERS_EACH = 10_000, 4  # plus one number block each: 50,000 phones


# --- the database --------------------------------------------------------------------------


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh database URL for this run; a PostgreSQL one is dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    name = f"hotline_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        PG_ADMIN.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def exact(customer: int, index: int) -> str:
    return f"+4930{customer:04d}{index:04d}"  # Berlin, 8 digits after 030


def block(customer: int) -> str:
    return f"+4940{customer:04d}"  # Hamburg prefix; extensions of 3 digits make a valid number


def populate(url: str) -> float:
    """A provider with 3 teams, 12 engineers and a weekly rotation each; the customers and their
    phones in bulk. Returns the seconds it took."""
    started = time.perf_counter()
    engine = make_engine(url)
    m.Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(m.Provider),
            [{"name": "Bench IT-Service", "central_number": CENTRAL,
              "fallback_number": "+491715550000", "timezone": "Europe/Berlin"}],
        )  # fmt: skip
        conn.execute(
            insert(m.Team), [{"id": t + 1, "key": f"t{t}", "name": f"Team {t}"} for t in range(3)]
        )
        conn.execute(
            insert(m.Engineer),
            [{"id": e + 1, "key": f"e{e}", "name": f"Engineer {e}", "team_id": e % 3 + 1,
              "role": "project_lead" if e < 3 else "consultant", "mobile": f"+49171{e:07d}"}
             for e in range(12)],
        )  # fmt: skip
        for t in range(3):
            conn.execute(
                m.Team.__table__.update().where(m.Team.id == t + 1).values(project_lead_id=t + 1)
            )
        conn.execute(
            insert(m.Rotation),
            [{"id": t + 1, "key": f"t{t}-primary", "team_id": t + 1, "layer": "primary",
              "shift": "1w", "handoff": "Mon 08:00", "start": date(2026, 1, 5)} for t in range(3)],
        )  # fmt: skip
        conn.execute(
            insert(m.RotationMember),
            [{"rotation_id": e % 3 + 1, "position": e // 3, "engineer_id": e + 1}
             for e in range(12)],
        )  # fmt: skip
        conn.execute(
            insert(m.Customer),
            [{"id": c + 1, "number": f"{10000 + c}", "name": f"Kunde {c} GmbH",
              "team_id": c % 3 + 1, "language": "en" if c % 10 == 0 else "de"}
             for c in range(CUSTOMERS)],
        )  # fmt: skip
        phones = [
            {"customer_id": c + 1, "kind": "number", "value": exact(c, i)}
            for c in range(CUSTOMERS)
            for i in range(NUMBERS_EACH)
        ] + [{"customer_id": c + 1, "kind": "block", "value": block(c)} for c in range(CUSTOMERS)]
        conn.execute(insert(m.Phone), phones)
    engine.dispose()
    return time.perf_counter() - started


def known_caller(rng: random.Random) -> str:
    """A random customer's phone: one of its exact numbers, or an extension in its block."""
    customer, which = rng.randrange(CUSTOMERS), rng.randrange(NUMBERS_EACH + 1)
    if which < NUMBERS_EACH:
        return exact(customer, which)
    return block(customer) + f"{rng.randrange(1000):03d}"


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(url: str, folder: Path) -> Iterator[int]:
    """bench/_server.py under waitress (the production server, one thread, keep-alive) on a
    loopback port."""
    port, log = free_port(), folder / "waitress.log"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "HOTLINE_PUBLIC_URL": PUBLIC_URL,
        "SECRET_KEY": "bench",
        "BENCH_INSTANCE": str(folder / "instance"),
    }
    env["PYTHONPATH"] = str(Path(__file__).parent)
    command = [
        sys.executable, "-m", "waitress", f"--listen=127.0.0.1:{port}", "--threads=1",
        "--channel-timeout=30", "_server:app",
    ]  # fmt: skip
    with log.open("w") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"waitress did not start:\n{log.read_text()}") from None
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# --- the run -------------------------------------------------------------------------------


class Client:
    """Signed form posts over one keep-alive connection; returns seconds per round trip."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.validator = RequestValidator(TOKEN)

    def post(self, path: str, form: dict[str, str]) -> tuple[float, bytes]:
        body = urlencode(form).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": self.validator.compute_signature(PUBLIC_URL + path, form),
        }
        started = time.perf_counter()
        self.connection.request("POST", path, body, headers)
        response = self.connection.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200 or response.will_close:
            raise RuntimeError(f"{path}: HTTP {response.status}, will_close={response.will_close}")
        return elapsed, data

    def get(self, path: str) -> Any:
        self.connection.request("GET", path)
        return json.loads(self.connection.getresponse().read())


def webhook_form(rng: random.Random) -> dict[str, str]:
    return {
        "CallSid": "CA" + uuid.UUID(int=rng.getrandbits(128)).hex,
        "AccountSid": "AC" + "0" * 32,
        "From": known_caller(rng),
        "To": CENTRAL,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }


def measure(url: str, folder: Path, requests: int, warmup: int) -> dict[str, Any]:
    """Warm up, then N webhooks and N baseline requests, alternating which goes first."""
    rng = random.Random(2026)
    times: dict[str, list[float]] = {"incoming": [], "baseline": []}
    with serving(url, folder) as port:
        client = Client(port)

        def incoming(record: bool) -> None:
            elapsed, data = client.post("/voice/incoming", webhook_form(rng))
            if b"/voice/confirm" not in data:
                raise RuntimeError(f"a known caller was not asked to confirm: {data!r}")
            if record:
                times["incoming"].append(elapsed)

        def baseline(record: bool) -> None:
            elapsed, _ = client.post("/bench/fixed", webhook_form(rng))
            if record:
                times["baseline"].append(elapsed)

        for _ in range(warmup):
            incoming(False)
            baseline(False)
        client.post("/bench/spans/reset", {})
        started = time.perf_counter()
        for i in range(requests):
            first, second = (incoming, baseline) if i % 2 == 0 else (baseline, incoming)
            first(True)
            second(True)
        wall = time.perf_counter() - started
        spans = client.get("/bench/spans")
        client.connection.close()
    alone = identify_alone(url, folder, rng, requests)
    return {
        "times": times,
        "spans": spans,
        "wall": wall,
        "alone": alone,
        **census(url, requests + warmup),
    }


def identify_alone(url: str, folder: Path, rng: random.Random, calls: int) -> list[float]:
    """`callers.identify` called directly: no HTTP, no request, no pending ticket to flush."""
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": folder / "instance"})
    durations = []
    with app.app_context():
        session = db.session()
        for _ in range(calls):
            caller = known_caller(rng)
            started = time.perf_counter()
            found = callers.identify(session, caller)
            durations.append(time.perf_counter() - started)
            if found.customer is None:
                raise RuntimeError(f"{caller} was not identified: {found.reason}")
            session.rollback()
        db.engine().dispose()
    return durations


def census(url: str, expected: int) -> dict[str, Any]:
    """What the run left in the database: every webhook must have made an identified ticket."""
    engine = make_engine(url)
    with engine.connect() as conn:
        methods = Counter(
            dict(
                conn.execute(
                    select(m.Ticket.identified_by, func.count()).group_by(m.Ticket.identified_by)
                ).all()
            )
        )
        phones = conn.scalar(select(func.count(m.Phone.id)))
        customers = conn.scalar(select(func.count(m.Customer.id)))
    engine.dispose()
    if methods.total() != expected or methods[None]:
        raise RuntimeError(f"expected {expected} identified tickets, got {dict(methods)}")
    return {"methods": methods, "phones": phones, "customers": customers}


# --- the report ----------------------------------------------------------------------------


def p99(values: list[float]) -> float:
    """Nearest-rank 99th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def report(kind: str, seconds_to_build: float, result: dict[str, Any]) -> None:
    times, spans, methods = result["times"], result["spans"], result["methods"]
    n = len(times["incoming"])
    print(
        f"/voice/incoming on {kind}: {result['customers']:,} customers, {result['phones']:,} "
        f"phones (built in {seconds_to_build:.1f} s); {n} requests each, interleaved, "
        f"one keep-alive connection"
    )
    print(f"{'':24} {'median':>11} {'p99':>11} {'req/s':>7}")
    for label, key in (("baseline /bench/fixed", "baseline"), ("/voice/incoming", "incoming")):
        values = times[key]
        rate = len(values) / sum(values)
        print(f"{label:24} {ms(statistics.median(values))} {ms(p99(values))} {rate:7.0f}")
    median_ratio = statistics.median(times["incoming"]) / statistics.median(times["baseline"])
    p99_ratio = p99(times["incoming"]) / p99(times["baseline"])
    print(f"{'ratio incoming/baseline':24} {median_ratio:10.1f}x {p99_ratio:10.1f}x")
    print("inside /voice/incoming:")
    for label in ("signature check", "callers.identify", "calls.open_ticket", "flush + commit"):
        values = spans[label]
        print(f"  {label:22} {ms(statistics.median(values))} {ms(p99(values))}")
    alone = result["alone"]
    print(f"  {'callers.identify alone':22} {ms(statistics.median(alone))} {ms(p99(alone))}")
    counts = sorted(Counter(spans["statements"]).items())
    print(f"  SQL statements per request: {', '.join(f'{k} ({n}x)' for k, n in counts)}")
    print(
        f"  identified by number {methods['number']}, by block {methods['block']}; "
        f"both endpoints in {result['wall']:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--requests", type=int, default=1000, help="requests per endpoint")
    parser.add_argument("--warmup", type=int, default=100, help="unmeasured requests first")
    args = parser.parse_args()
    if not 1 <= args.requests <= 100_000 or not 0 <= args.warmup <= 10_000:
        parser.error("--requests must be 1 to 100,000 and --warmup 0 to 10,000")
    with tempfile.TemporaryDirectory() as tmp, database(args.db, Path(tmp)) as url:
        built = populate(url)
        result = measure(url, Path(tmp), args.requests, args.warmup)
    report(args.db, built, result)


if __name__ == "__main__":
    main()

"""Benchmark: `GET /healthz` (and `GET /metrics`) against a bare route answering fixed JSON.

Run: `.venv/bin/python bench/bench_probes.py [--db sqlite|postgresql] [--requests N]` (not part
of pytest). Builds the database of bench_incoming.py (3 teams, 12 engineers, 10,000 customers,
50,000 phones), stamps it migrated, adds 2,000 finished tickets with their ring attempts and
500 messages, a worker heartbeat, then serves the real app under waitress on 127.0.0.1
(bench/_server.py adds `/bench/json`, the baseline) and sends N requests to each endpoint,
interleaved over one keep-alive connection. Prints median, p99 and their ratios against the
baseline measured in the same run, and SQL statements per request. A probe polled every 10 s
must cost a few milliseconds, not hold a thread.
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alembic import command
from bench_incoming import PUBLIC_URL, database, ms, p99, populate, serving
from sqlalchemy import insert

from hotline import migrate
from hotline import models as m
from hotline.db import make_engine

TICKETS = 2_000
STATES = ("connected", "callback_pending", "abandoned", "connected", "not_emergency")


def history(url: str) -> None:
    """Finished calls of the past weeks, their attempts and messages, and a fresh heartbeat."""
    engine = make_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        tickets = []
        for i in range(TICKETS):
            arrived = now - timedelta(minutes=17 * i + 5)
            state = STATES[i % len(STATES)]
            tickets.append({
                "id": i + 1, "call_sid": f"CA{i:032d}", "customer_id": i % 10_000 + 1,
                "state": state, "arrived_at": arrived, "confirmed_at": arrived,
                "accepted_at": arrived + timedelta(seconds=20 + i % 90)
                if state == "connected" else None,
                "ended_at": arrived + timedelta(minutes=10), "language": "de", "typed": False,
                "question_try": 0, "work_minutes": 0,
                "voicemail_seconds": 30 if state == "callback_pending" else None,
            })  # fmt: skip
        conn.execute(insert(m.Ticket), tickets)
        conn.execute(
            insert(m.Attempt),
            [{"ticket_id": t["id"], "seq": s, "entry": s - 1, "level": "own-primary",
              "number": "+491710000000", "started_at": t["arrived_at"], "outcome": "no-answer"}
             for t in tickets for s in range(1, 1 + t["id"] % 3 + 1)],
        )  # fmt: skip
        conn.execute(
            insert(m.Message),
            [{"dedupe_key": f"bench:{i}", "channel": "sms" if i % 3 else "email",
              "to": "+491710000000", "body": "x", "status": "sent" if i % 50 else "failed",
              "tries": 1, "next_try_at": now, "created_at": now - timedelta(hours=i)}
             for i in range(500)],
        )  # fmt: skip
        conn.execute(insert(m.Heartbeat), [{"name": "worker", "holder": "bench", "beat_at": now}])
    engine.dispose()
    command.stamp(migrate.alembic_config(url), "head")


def measure(url: str, folder: Path, requests: int, warmup: int, metrics: bool) -> dict[str, Any]:
    paths = ["/healthz", "/bench/json"] + (["/metrics"] if metrics else [])
    times: dict[str, list[float]] = {p: [] for p in paths}
    with serving(url, folder) as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def get(path: str, record: bool) -> None:
            started = time.perf_counter()
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
            elapsed = time.perf_counter() - started
            if response.status != 200:
                raise RuntimeError(f"{path}: HTTP {response.status}: {body[:300]!r}")
            if record:
                times[path].append(elapsed)

        for _ in range(warmup):
            for path in paths:
                get(path, False)
        connection.request("POST", "/bench/spans/reset")
        connection.getresponse().read()
        for i in range(requests):
            order = paths if i % 2 == 0 else paths[::-1]
            for path in order:
                get(path, True)
        connection.request("GET", "/bench/spans")
        import json

        spans = json.loads(connection.getresponse().read())
        connection.close()
    return {"times": times, "statements": spans["statements"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--no-metrics", action="store_true", help="only /healthz")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, database(args.db, Path(tmp)) as url:
        built = populate(url)
        history(url)
        result = measure(url, Path(tmp), args.requests, args.warmup, not args.no_metrics)
    times = result["times"]
    base = times["/bench/json"]
    print(
        f"probes on {args.db} (built in {built:.1f} s; {TICKETS:,} tickets), {args.requests} "
        f"requests each, interleaved, one keep-alive connection; {PUBLIC_URL} not involved"
    )
    print(f"{'':14} {'median':>11} {'p99':>11} {'ratio median':>13} {'ratio p99':>10}")
    for path, values in times.items():
        med, tail = statistics.median(values), p99(values)
        print(f"{path:14} {ms(med)} {ms(tail)} {med / statistics.median(base):12.1f}x "
              f"{tail / p99(base):9.1f}x")  # fmt: skip
    counted = result["statements"]
    if counted:
        print(
            f"SQL statements per probe request: min {min(counted)}, max {max(counted)}, "
            f"median {statistics.median(counted):.0f}"
        )


if __name__ == "__main__":
    main()

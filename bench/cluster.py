"""More than one machine: two web instances and two workers on one PostgreSQL behind a
round-robin reverse proxy, playing N simultaneous whole calls.

    .venv/bin/python bench/cluster.py [--calls 200] [--pace 1] [--pool N] [--overflow N]

Each call is every webhook of a call in order, signed as Twilio signs them, as the simulator
plays it (hotline/simulator.py): incoming, the confirmation, each ring with the engineer's
whisper and key press, the dial result, a voicemail when nobody takes it, the status callback.
Every request opens a new connection, as Twilio's do, so the proxy spreads each call's webhooks
over both web instances. All N calls start at the same instant, and each takes the pauses of a
real call (the caller hears the prompt out before pressing, a phone rings before it is picked
up, the engineer hears the whisper, they talk TALK seconds) times `--pace`; `--pace 0` leaves
them out, so the N calls overlap as tightly as they can (a stress test: N clients that never
pause). A third of the callers' engineers decline and leave a voicemail, a sixth do not answer,
the rest accept.

It fails (exit 1) on any error: a webhook that does not answer 200/204 with TwiML a strict
parser reads, a call that got the fallback, an engineer's phone rung for two calls at once (from
the moment the hotline's Dial reached the caller's leg until its result was posted), a call with
no ticket or two, a message that is not sent, or sent twice (each delivery is one DRY RUN line
in one worker's log). It prints p50/p99 per step against the floor measured in the same run:
after each webhook the same client posts a bare route of the same app, on the same servers
behind the same proxy, so the floor is taken under the same load at the same moments.

Not part of the tests; the results of runs are in bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import multiprocessing
import os
import re
import select
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT / "tests"), str(HERE)]

from realserver import TOKEN, free_port, serving  # noqa: E402
from sqlalchemy import create_engine, func, text  # noqa: E402
from sqlalchemy import select as sql_select  # noqa: E402
from twilio.request_validator import RequestValidator  # noqa: E402

from hotline import create_app, db, migrate  # noqa: E402
from hotline.config import SETTINGS  # noqa: E402
from hotline.models import Engineer, Message, Ticket  # noqa: E402
from hotline.simulator import Clock, Result, Script, Simulator  # noqa: E402
from hotline.voice.fallback import FAILURE  # noqa: E402

PG = os.environ.get("HOTLINE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
CENTRAL = "+49309876540"
# Every call from a number of its own: a second call from a number with an open emergency joins
# its ticket (docs/calls.md, "Calls that repeat"), which is not what 200 callers do. The demo's
# three customers with a number block (a PBX's extensions) give as many numbers as wanted.
BLOCKS = ["+4930123456", "+49405551", "+4934122233"]


def caller(index: int) -> str:
    """The caller ID of call `index`: an extension of one of the three blocks, never reused."""
    return f"{BLOCKS[index % len(BLOCKS)]}{index // len(BLOCKS):04d}"


START = "2026-12-01T10:00"  # a Tuesday of the demo week: every team has someone on call
FLOOR = "floor (bare route)"
TALK = 30  # seconds an accepted call talks: no webhook meanwhile, so a real call's minutes would
# only make the run longer (the engineer stays claimed meanwhile all the same)
DRY_RUN = re.compile(r"DRY RUN, not sent \([^)]*\): (SMS|e-mail) (\d+) to")


# --- the reverse proxy ---------------------------------------------------------------------


def proxy(listen: int, targets: list[int], ready: Any) -> None:
    """Round-robin TCP proxy: each accepted connection goes to the next target."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", listen))
    server.listen(1024)
    ready.set()
    turn = 0
    while True:
        client, _ = server.accept()
        target = targets[turn % len(targets)]
        turn += 1
        threading.Thread(target=_pipe, args=(client, target), daemon=True).start()


def _pipe(client: socket.socket, port: int) -> None:
    try:
        upstream = socket.create_connection(("127.0.0.1", port))
    except OSError:
        client.close()
        return
    ends = [client, upstream]
    try:
        while True:
            readable, _, _ = select.select(ends, [], [], 60)
            if not readable:
                return
            for end in readable:
                data = end.recv(65536)
                if not data:
                    return
                (upstream if end is client else client).sendall(data)
    except OSError:
        return
    finally:
        for end in ends:
            with contextlib.suppress(OSError):
                end.close()


# --- a call over HTTP ----------------------------------------------------------------------


class Timings:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.steps: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.rings: list[tuple[str, float, float, str]] = []  # number, from, until, CallSid
        self.open = self.most = 0  # webhooks under way, and the most at once

    def add(self, step: str, seconds: float) -> None:
        with self.lock:
            self.steps[step].append(seconds)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


def step_of(path: str) -> str:
    return urlsplit(path).path


class HttpCall(Simulator):
    """The simulator's call, over HTTP through the proxy, its pauses taken `pace` times as long
    (0: none). After each webhook the same client posts the bare route once: the floor."""

    def __init__(self, app: Any, port: int, script: Script, timings: Timings,
                 engineers: dict[str, str], pace: float) -> None:  # fmt: skip
        super().__init__(app, Clock(app.config["CLOCK"]()), script, say=lambda _line: None)
        self.port, self.timings, self.engineers, self.pace = port, timings, engineers, pace
        self.validator = RequestValidator(TOKEN)
        self.ringing: tuple[str, float, str] | None = None
        self.sid = ""
        self.finished = False

    def post(self, url: str, form: dict[str, str]) -> ET.Element | None:
        path = url.removeprefix(self.base)
        full = self.base + path
        if self.ringing and url == self.ringing[2]:  # the dial result: the ring is over
            number, since, _ = self.ringing
            with self.timings.lock:
                self.timings.rings.append((number, since, time.perf_counter(), self.sid))
            self.ringing = None
        body = urlencode(form)
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "X-Twilio-Signature": self.validator.compute_signature(full, form)}  # fmt: skip
        status, text_ = self.send(path, body, headers, step_of(path))
        self.bare(body)
        if status == 204:
            return None
        if status != 200:
            raise RuntimeError(f"{step_of(path)} answered {status}: {text_[:200]}")
        document = ET.fromstring(text_)
        if any((say.text or "") == FAILURE for say in document.iter("Say")):
            raise RuntimeError(f"{step_of(path)} answered with the fallback")
        return document

    def send(self, path: str, body: str, headers: dict[str, str], step: str) -> tuple[int, str]:
        """One request on a connection of its own, as Twilio sends them, timed as `step`."""
        with self.timings.lock:
            self.timings.open += 1
            self.timings.most = max(self.timings.most, self.timings.open)
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            text_ = response.read().decode()
        finally:
            connection.close()
            with self.timings.lock:
                self.timings.open -= 1
        self.timings.add(step, time.perf_counter() - started)
        return response.status, text_

    def bare(self, body: str) -> None:
        """The floor: the bare route, posted the same way at the same moment of the run."""
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        status, _ = self.send("/bench/fixed", body, headers, FLOOR)
        if status != 200:
            self.timings.error(f"the bare route answered {status}")

    def wait(self, seconds: float) -> None:
        self.clock.advance(seconds)
        if self.pace:
            time.sleep(seconds * self.pace)

    def run(self, from_: str, to: str) -> Result:
        """The simulator's call, without its console and its ticket look-up (the tickets are
        counted once all calls are over, not by 200 threads at once)."""
        self.sid = "CA" + uuid.uuid4().hex
        self.form = {"CallSid": self.sid, "From": from_, "To": to, "Direction": "inbound",
                     "CallStatus": "in-progress", "AccountSid": "AC" + "0" * 32}  # fmt: skip
        document = self.post("/voice/incoming", self.form)
        while document is not None:
            document = self.play(document)
        self.post("/voice/status", {**self.form, "CallStatus": "completed", "SequenceNumber": "1",
                                    "CallDuration": str(int(self.elapsed()))})  # fmt: skip
        return Result(self.sid, self.first_ring, None)

    def dial(self, verb: ET.Element) -> ET.Element | None:
        number = verb.find("Number")
        if number is not None and number.text in self.engineers:
            self.ringing = (number.text, time.perf_counter(), verb.get("action", ""))
        return super().dial(verb)

    def who(self, number: str) -> str:
        return self.engineers.get(number, "fallback")


def script_for(index: int) -> Script:
    if index % 3 == 1:
        return Script(presses=["1"], default="decline", message=20)
    if index % 6 == 2:
        return Script(presses=["1"], default="no-answer", message=15)
    return Script(presses=["1"], default="accept", talk=TALK)


def play_calls(
    app: Any, port: int, count: int, engineers: dict[str, str], pace: float
) -> tuple[Timings, list[HttpCall]]:
    """The calls, all started at once; each call's `finished` says whether it ran to its end."""
    timings = Timings()
    results = [HttpCall(app, port, script_for(i), timings, engineers, pace) for i in range(count)]
    gate = threading.Barrier(count)

    def one(index: int) -> None:
        call = results[index]
        gate.wait()
        try:
            call.run(caller(index), CENTRAL)
            call.finished = True
        except Exception as exc:  # noqa: BLE001 - every failure is counted and shown
            timings.error(f"call {index}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings, results


# --- checks --------------------------------------------------------------------------------


def overlapping_rings(rings: list[tuple[str, float, float, str]]) -> list[str]:
    found = []
    by_number: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for number, since, until, sid in rings:
        by_number[number].append((since, until, sid))
    for number, spans in by_number.items():
        spans.sort()
        for (_, a_until, a_sid), (b_from, _, b_sid) in zip(spans, spans[1:], strict=False):
            if b_from < a_until:
                found.append(f"{number} rung for {a_sid} and {b_sid} at once")
    return found


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument(
        "--pace",
        type=float,
        default=1.0,
        help="the pauses of a call (prompts, ringing, talk) times this; 0: none (default 1)",
    )
    parser.add_argument("--deadline", help="HOTLINE_VOICE_DEADLINE for the run (default: 4 s)")
    parser.add_argument("--pool", type=int, help="HOTLINE_DB_POOL of every process (default 10)")
    parser.add_argument(
        "--overflow", type=int, help="HOTLINE_DB_OVERFLOW of every process (default 10)"
    )
    parser.add_argument(
        "--skip-locked",
        action="store_true",
        help="experiment: a claim skips an engineer row another call holds",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the servers on the way out

    name = f"hotline_cluster_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")  # fmt: skip
    pool = args.pool if args.pool is not None else SETTINGS["HOTLINE_DB_POOL"][0]
    overflow = args.overflow if args.overflow is not None else SETTINGS["HOTLINE_DB_OVERFLOW"][0]
    if not enough_connections(admin, 4 * (pool + overflow) + OWN):
        return 2
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    peak = Peak(admin, name)
    url = PG.rsplit("/", 1)[0] + f"/{name}"
    processes: list[subprocess.Popen[bytes]] = []
    proxy_process = None
    try:
        with tempfile.TemporaryDirectory(prefix="hotline-cluster-") as tmp:
            folder = Path(tmp)
            port = free_port()
            env = {
                "DATABASE_URL": url, "HOTLINE_INSTANCE": str(folder / "instance"),
                "HOTLINE_PUBLIC_URL": f"http://127.0.0.1:{port}",
                "HOTLINE_CONNECTIONS_PER_CLIENT": "0",  # every connection comes from the proxy
                "HOTLINE_CLOCK_START": START, "HOTLINE_DEVELOPMENT": "1",
                "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": "cluster-bench",
                "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT / "tests"), str(ROOT)]),
            }  # fmt: skip
            if args.deadline:
                env["HOTLINE_VOICE_DEADLINE"] = args.deadline
            if args.pool is not None:
                env["HOTLINE_DB_POOL"] = str(args.pool)
            if args.overflow is not None:
                env["HOTLINE_DB_OVERFLOW"] = str(args.overflow)
            if args.skip_locked:
                env["BENCH_SKIP_LOCKED"] = "1"
            migrate.upgrade(url)
            app = create_app({"INSTANCE_PATH": folder / "instance", "DATABASE_URL": url,
                              "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": "cluster-bench",
                              "HOTLINE_PUBLIC_URL": env["HOTLINE_PUBLIC_URL"],
                              "HOTLINE_CLOCK_START": START, "HOTLINE_DEVELOPMENT": True,
                              "TWILIO_ACCOUNT_SID": None})  # fmt: skip
            seeded = app.test_cli_runner().invoke(args=["seed-demo", "--week", "2026-11-30"])
            assert seeded.exit_code == 0, seeded.output
            with app.app_context():
                engineers = dict(db.session().execute(
                    sql_select(Engineer.mobile, Engineer.key)).tuples().all())  # fmt: skip
            with serving(folder, env, app="_cluster") as web1, \
                    serving(folder, env, app="_cluster") as web2:  # fmt: skip
                for index in range(2):
                    log = (folder / f"worker-{index}.log").open("w")
                    processes.append(subprocess.Popen(
                        [sys.executable, "-m", "flask", "--app", "hotline", "worker"],
                        env={**os.environ, **env}, cwd=folder, stdout=log,
                        stderr=subprocess.STDOUT,
                    ))  # fmt: skip
                ready = multiprocessing.Event()
                proxy_process = multiprocessing.Process(
                    target=proxy, args=(port, [web1.port, web2.port], ready), daemon=True
                )
                proxy_process.start()
                ready.wait(10)
                print(f"web on :{web1.port} and :{web2.port}, proxy on :{port}, 2 workers, "
                      f"PostgreSQL {name}; {args.calls} simultaneous calls")  # fmt: skip

                warm = Timings()  # first requests of a process load code: not what is measured
                warmed = []
                for index in range(4):
                    call = HttpCall(app, port, script_for(index), warm, engineers, 0)
                    with contextlib.suppress(Exception):
                        call.run(caller(10_000 + index), CENTRAL)
                    warmed.append(call.sid)
                started = time.perf_counter()
                peak.start()
                pids = {"web 1": web1.process.pid, "web 2": web2.process.pid,
                        "worker 1": processes[0].pid, "worker 2": processes[1].pid,
                        "proxy": proxy_process.pid, "callers": os.getpid()}  # fmt: skip
                before = cpu(pids)
                timings, results = play_calls(app, port, args.calls, engineers, args.pace)
                played = time.perf_counter() - started
                spent = {k: v - before[k] for k, v in cpu(pids).items()}

                problems = list(timings.errors)
                problems += overlapping_rings(timings.rings)
                problems += drain_and_check(app, folder, results, warmed)
                peak.stop()
                if problems:  # what the servers said, while their logs still exist
                    errors: Counter[str] = Counter()
                    for log in sorted(folder.glob("*.log")):
                        for line in log.read_text().splitlines():
                            if " ERROR " in line or "Error" in line:
                                errors[
                                    re.sub(
                                        r"CA[0-9a-f]{32}|\d+(\.\d+)?", "#", line.split(" ", 1)[-1]
                                    )[:160]
                                ] += 1
                    print("errors in the servers' and workers' logs:")
                    for line, count in errors.most_common(12):
                        print(f"  {count:5} x {line}")
    finally:
        peak.stop()
        if proxy_process is not None:
            proxy_process.terminate()
        for process in processes:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(20)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    report(timings, played, args.calls)
    print(f"\nCPU seconds while the calls played ({played:.1f} s on {os.cpu_count()} cores): "
          + ", ".join(f"{k} {v:.1f}" for k, v in spent.items()))  # fmt: skip
    print(f"\ndatabase connections: at most {peak.most} open at once (the four processes may "
          f"hold {4 * (pool + overflow)}: HOTLINE_DB_POOL {pool} + HOTLINE_DB_OVERFLOW "
          f"{overflow} each)")  # fmt: skip
    if problems:
        print(f"\n{len(problems)} PROBLEMS:")
        kinds = Counter(re.sub(r"^call \d+: ", "", problem) for problem in problems)
        for problem, count in kinds.most_common(40):
            print(f"  {count:4} x {problem}")
        return 1
    print("\nno errors, no engineer rung twice at once, one ticket per call, every message "
          "sent once")  # fmt: skip
    return 0


def cpu(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far by each process, and by the whole machine (every core's busy
    time: PostgreSQL and anything else running here are the difference)."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {}
    for name, pid in pids.items():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        used[name] = (int(fields[11]) + int(fields[12])) / tick
    busy = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    used["machine"] = (sum(busy) - busy[3] - busy[4]) / tick  # all but idle and iowait
    return used


OWN = 3  # connections of this script: the admin engine, its peak counter, its own app


def enough_connections(admin: Any, wanted: int) -> bool:
    """Print what the server allows and others hold; False when this run might not fit (the
    server's connections are shared with other work on this machine)."""
    with admin.connect() as conn:
        most = int(conn.scalar(text("SHOW max_connections")))
        reserved = int(conn.scalar(text("SHOW superuser_reserved_connections")))
        held = conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE backend_type = "
                                "'client backend'"))  # fmt: skip
    free = most - reserved - held
    print(f"PostgreSQL: max_connections {most}, {reserved} reserved for superusers, {held} in "
          f"use now: {free} free; this run may open {wanted}")  # fmt: skip
    if wanted > free:
        print("not enough connections for this run: wait for other work to end, or pass a "
              "smaller --pool/--overflow")  # fmt: skip
        return False
    return True


class Peak:
    """Counts the connections to the run's database while the calls play (every 0.2 s)."""

    def __init__(self, admin: Any, name: str) -> None:
        self.admin, self.name, self.most = admin, name, 0
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def run(self) -> None:
        query = text("SELECT count(*) FROM pg_stat_activity WHERE datname = :name")
        with self.admin.connect() as conn:
            while not self.stopped.wait(0.2):
                self.most = max(self.most, conn.scalar(query, {"name": self.name}))

    def stop(self) -> None:
        self.stopped.set()
        if self.thread.is_alive():
            self.thread.join()


def drain_and_check(
    app: Any, folder: Path, results: list[HttpCall], warmed: list[str]
) -> list[str]:
    """Wait until the workers have sent everything, then check tickets and messages."""
    problems = []
    deadline = time.monotonic() + 180
    clock = app.config["CLOCK"]  # the servers' clock (the same start, the same pace)
    due = (Message.status == "pending") & (Message.next_try_at <= clock())
    with app.app_context():
        while True:
            with db.new_session() as session:
                pending = session.scalar(sql_select(func.count()).select_from(Message).where(due))
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(2)
            due = (Message.status == "pending") & (Message.next_try_at <= clock())
        with db.new_session() as session:
            sids = [s for s in session.scalars(sql_select(Ticket.call_sid)) if s not in warmed]
            later = (Message.status == "pending") & (Message.next_try_at > clock())
            statuses = Counter(session.scalars(sql_select(Message.status).where(~later)).all())
            ids = set(session.scalars(sql_select(Message.id).where(~later)).all())
            scheduled = session.scalar(sql_select(func.count()).select_from(Message).where(later))
    if len(sids) != len(set(sids)):
        problems.append(f"duplicate tickets: {len(sids)} tickets, {len(set(sids))} calls")
    unfinished = sum(not call.finished for call in results)
    if unfinished:
        problems.append(f"{unfinished} calls did not run to their end")
    missing = {call.sid for call in results} - set(sids)
    if missing:
        problems.append(f"{len(missing)} calls have no ticket")
    if set(sids) - {call.sid for call in results}:
        problems.append("tickets of calls that were not played")
    if set(statuses) - {"sent"}:
        problems.append(f"messages not all sent: {dict(statuses)}")
    sent = Counter()
    for log in folder.glob("worker-*.log"):
        sent.update(int(m.group(2)) for m in DRY_RUN.finditer(log.read_text()))
    twice = {i: n for i, n in sent.items() if n > 1}
    if twice:
        problems.append(f"messages sent more than once: {twice}")
    if set(sent) != ids:
        problems.append(f"{len(ids - set(sent))} messages never delivered by a worker")
    print(f"{len(sids)} tickets, {len(ids)} messages due ({dict(statuses)}), "
          f"{sum(sent.values())} deliveries by the two workers; {scheduled} scheduled for "
          "later (re-announcements)")  # fmt: skip
    return problems


def report(timings: Timings, played: float, calls: int) -> None:
    base = timings.steps.pop(FLOOR)
    floor50, floor99 = percentile(base, 0.5), percentile(base, 0.99)
    requests = sum(len(v) for v in timings.steps.values())
    print(f"\n{calls} whole calls, {requests} webhooks in {played:.1f} s "
          f"({requests / played:.0f} webhooks/s through the proxy on average; up to "
          f"{timings.most} requests at once, the bare route's included)\n")  # fmt: skip
    print(f"{'step':34} {'n':>6} {'p50 ms':>9} {'p99 ms':>9} {'p50/floor':>10} {'p99/floor':>10}")
    print(f"{'floor (bare route, same servers)':34} {len(base):6} {floor50 * 1000:9.1f} "
          f"{floor99 * 1000:9.1f} {1:10.1f} {1:10.1f}")  # fmt: skip
    for step, values in sorted(timings.steps.items(), key=lambda kv: -len(kv[1])):
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        print(f"{step:34} {len(values):6} {p50 * 1000:9.1f} {p99 * 1000:9.1f} "
              f"{p50 / floor50:10.1f} {p99 / floor99:10.1f}")  # fmt: skip
    everything = [v for values in timings.steps.values() for v in values]
    print(f"{'all webhooks':34} {len(everything):6} {percentile(everything, 0.5) * 1000:9.1f} "
          f"{percentile(everything, 0.99) * 1000:9.1f} "
          f"{statistics.median(everything) / floor50:10.1f} "
          f"{percentile(everything, 0.99) / floor99:10.1f}")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())

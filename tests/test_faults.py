"""The fault matrix: every step of a call, under every fault, through the real server, on SQLite
and PostgreSQL. Every call must end with a human or a voicemail, no voice endpoint may answer
with a 5xx, and every answer must come within 5 seconds (Twilio gives up after 15).

The expected outcome of each cell is written down below and must be what happens; docs/faults.md
shows the same table (a test checks it is the one rendered from `EXPECTED`).
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from builders import CENTRAL, FALLBACK, MOBILES, call_sid, small_provider
from conftest import PG_ADMIN, create_schema
from realserver import Answer, Proxy, Server, form, post, serving
from sqlalchemy import create_engine, text

from hotline import create_app, db

STEPS = ("incoming", "confirm", "whisper", "accept", "dial-result", "voicemail", "status")
FAULTS = ("exception", "malformed", "down", "hanging", "locked")
DEADLINE = "1.5"  # HOTLINE_VOICE_DEADLINE of the server under test: short, to keep this fast
LIMIT = 5.0  # seconds: what every answer must beat

# What the caller (or the engineer, on the engineer's steps) gets when the fault hits that step.
HUMAN = {
    "fallback": "the fallback number is rung",
    "next": "the engineer's leg ends; the next engineer is rung",
    "bridged": "the engineer is connected (the dial result records the accept)",
    "goodbye": "the caller, who had their engineer, hears goodbye",
    "kept": "the voicemail is spooled and the caller thanked",
    "silent": "204; the sweeper closes the ticket if no status comes",
    "asked": "the call goes on (the input is stored cleaned)",
}
SAME = {
    "incoming": "fallback", "confirm": "fallback", "whisper": "next", "accept": "bridged",
    "dial-result": "goodbye", "voicemail": "kept", "status": "silent",
}  # fmt: skip
EXPECTED: dict[str, dict[str, str]] = {
    "exception": SAME,
    "malformed": {
        "incoming": "asked",
        "confirm": "asked",
        "whisper": "next",
        "accept": "next",
        "dial-result": "goodbye",
        "voicemail": "kept",
        "status": "silent",
    },  # fmt: skip
    "down": SAME,
    "hanging": SAME,
    "locked": SAME,
}
NOT_ON_SQLITE = {"down", "hanging"}  # SQLite is a file of the process: it locks, it does not hang


# --- the systems under test -------------------------------------------------------------------


@dataclass
class Rig:
    backend: str
    server: Server
    switch: Path  # the faulty app's exception switch
    proxy: Proxy | None
    lock: Callable[[], Any]  # a context manager holding the database's write lock


def _seed(url: str, folder: Path) -> None:
    create_schema(url)
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": folder / "seed"})
    with app.app_context():
        small_provider(db.session())
        db.engine().dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def rig(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    folder = tmp_path_factory.mktemp(f"faults-{request.param}")
    switch = folder / "fault"
    env = {"HOTLINE_FAULT_FILE": str(switch), "HOTLINE_VOICE_DEADLINE": DEADLINE,
           "HOTLINE_FALLBACK_NUMBER": FALLBACK, "HOTLINE_WEB_THREADS": "8"}  # fmt: skip
    if request.param == "sqlite":
        path = folder / "hotline.db"
        url = f"sqlite:///{path}"
        _seed(url, folder)
        with serving(folder, {**env, "DATABASE_URL": url}, app="faulty:create_app") as server:
            yield Rig("sqlite", server, switch, None, lambda: _sqlite_lock(path))
        return
    name = f"hotline_faults_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")  # fmt: skip
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - fail loudly, never skip
        pytest.fail(f"PostgreSQL at {PG_ADMIN} is required for the fault matrix: {exc}")
    direct = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    proxy = Proxy(("127.0.0.1", 5432))
    try:
        _seed(direct, folder)
        url = direct.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        with serving(folder, {**env, "DATABASE_URL": url}, app="faulty:create_app") as server:
            yield Rig("postgresql", server, switch, proxy, lambda: _pg_lock(direct))
    finally:
        proxy.close()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def _sqlite_lock(path: Path) -> Iterator[None]:
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


@contextmanager
def _pg_lock(url: str) -> Iterator[None]:
    with psycopg.connect(url.replace("postgresql://", "postgresql://", 1)) as other:
        other.execute("LOCK TABLE tickets, attempts, answers, events IN ACCESS EXCLUSIVE MODE")
        yield
        other.rollback()


@contextmanager
def fault(rig: Rig, kind: str, step: str) -> Iterator[None]:
    if kind == "exception":
        rig.switch.write_text(f"/voice/{step}")
        try:
            yield
        finally:
            rig.switch.unlink()
    elif kind in ("down", "hanging"):
        assert rig.proxy is not None
        rig.proxy.set("down" if kind == "down" else "hang")
        try:
            yield
        finally:
            rig.proxy.set("pass")
    elif kind == "locked":
        with rig.lock():
            yield
    else:
        yield  # malformed: the request itself is the fault


# --- one call ---------------------------------------------------------------------------------


MALFORMED: dict[str, dict[str, str]] = {
    "incoming": {"From": "sip:" + "x" * 300 + "\x00",
                 "To": "sip:notdienst@solutionbar.sip.twilio.com"},
    "confirm": {"Digits": "\x00" + "1" * 40},
    "accept": {"Digits": "*\x001"},
    "dial-result": {"DialCallStatus": "exploded", "DialCallDuration": "-5", "DialBridged": "?"},
    "voicemail": {"RecordingDuration": "abc"},
    "status": {"CallStatus": "weird", "CallDuration": "x", "SequenceNumber": "?"},
}  # fmt: skip


class Call:
    """A caller (and the engineers) playing one call against the server, one step faulted."""

    def __init__(self, rig: Rig, kind: str, step: str) -> None:
        self.rig, self.kind, self.step = rig, kind, step
        self.sid, self.child = call_sid(), call_sid()
        self.answers: list[Answer] = []
        self.outcome: str | None = None

    def send(self, step: str, url: str, data: dict[str, str]) -> Answer:
        if step == self.step and self.kind == "malformed":
            data = {**data, **MALFORMED.get(step, {})}
            if step == "whisper":
                url = url.replace("attempt=", "attempt=x")
        with fault(self.rig, self.kind, step) if step == self.step else _nothing():
            answer = post(self.rig.server, url, data)
        assert answer.status < 500, (step, answer.status, answer.body[:300])
        assert answer.seconds < LIMIT, (step, answer.seconds)
        if answer.status == 200:
            answer.xml  # noqa: B018 - a strict XML parser must accept every document
        self.answers.append(answer)
        return answer

    def caller(self, **extra: str) -> dict[str, str]:
        return form(self.sid, To=CENTRAL, **extra)

    def engineer(self, to: str, **extra: str) -> dict[str, str]:
        return form(self.child, ParentCallSid=self.sid, Direction="outbound-dial", From=CENTRAL,
                    To=to, **extra)  # fmt: skip


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def dialled(answer: Answer) -> str | None:
    number = answer.xml.find("Dial/Number")
    return number.text if number is not None else None


def play(call: Call) -> str:
    """Play the call to its end; return what the faulted step led to (a key of HUMAN)."""
    first = call.send("incoming", "/voice/incoming", call.caller())
    if call.step == "incoming":
        return "fallback" if dialled(first) == FALLBACK else _asked(first)
    confirm = first.xml.find("Gather").get("action")
    ringing = call.send("confirm", confirm, call.caller(Digits="1"))
    if call.step == "confirm":
        return "fallback" if dialled(ringing) == FALLBACK else _asked(ringing)
    assert dialled(ringing) == MOBILES["jonas"]
    dial = ringing.xml.find("Dial")
    whisper_url, action = dial.find("Number").get("url"), dial.get("action")
    if call.step == "voicemail":
        return _voicemail(call, action)
    screen = call.send("whisper", whisper_url, call.engineer(MOBILES["jonas"]))
    if call.step == "whisper":
        assert [v.tag for v in screen.xml][-1] == "Hangup"
        return _next(call, action)
    accept = screen.xml.find("Gather").get("action")
    bridge = call.send("accept", accept, call.engineer(MOBILES["jonas"], Digits="1"))
    if call.step == "accept" and call.kind == "malformed":
        assert [v.tag for v in bridge.xml] == ["Hangup"]
        return _next(call, action)
    assert "Hangup" not in [v.tag for v in bridge.xml]  # the legs are bridged
    ended = call.send("dial-result", action, call.caller(
        DialCallStatus="completed", DialBridged="true", DialCallDuration="60"))  # fmt: skip
    assert [v.tag for v in ended.xml] == ["Say", "Hangup"]
    gone = call.send("status", "/voice/status", call.caller(CallStatus="completed",
                                                           CallDuration="90"))  # fmt: skip
    assert gone.status == 204
    return {"accept": "bridged", "dial-result": "goodbye", "status": "silent"}[call.step]


def _asked(answer: Answer) -> str:
    return "asked" if answer.xml.find("Gather") is not None else "?"


def _next(call: Call, action: str) -> str:
    after = call.send("dial-result", action, call.caller(DialCallStatus="completed",
                                                        DialBridged="false"))  # fmt: skip
    nxt = dialled(after)
    return "next" if nxt in MOBILES.values() and nxt != MOBILES["jonas"] else f"? {after.body}"


def _voicemail(call: Call, action: str) -> str:
    answer = call.send("dial-result", action, call.caller(DialCallStatus="no-answer"))
    while answer.xml.find("Dial") is not None:
        action = answer.xml.find("Dial").get("action")
        answer = call.send("dial-result", action, call.caller(DialCallStatus="no-answer"))
    record = answer.xml.find("Record").get("action")
    thanks = call.send("voicemail", record, call.caller(
        RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE1",
        RecordingDuration="20"))  # fmt: skip
    said = " ".join(s.text or "" for s in thanks.xml.iter("Say"))
    return "kept" if "Vielen Dank" in said else "?"


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("kind", FAULTS)
def test_every_call_ends_with_a_human_or_a_voicemail(rig: Rig, kind: str, step: str) -> None:
    if rig.backend == "sqlite" and kind in NOT_ON_SQLITE:
        return  # not a fault a file can have (see NOT_ON_SQLITE)
    call = Call(rig, kind, step)
    try:
        assert play(call) == EXPECTED[kind][step]
    finally:  # the caller hangs up: the engineers are free for the next cell
        post(rig.server, "/voice/status", call.caller(CallStatus="completed"))


def test_the_server_is_healthy_after_the_matrix(rig: Rig) -> None:
    """Run last per backend: stuck threads are gone and a plain call is answered at once."""
    call = Call(rig, "none", "none")
    first = call.send("incoming", "/voice/incoming", call.caller())
    assert first.xml.find("Gather") is not None and first.seconds < 1


# --- the table in docs/ -----------------------------------------------------------------------


def table() -> str:
    head = "| fault | " + " | ".join(f"`{s}`" for s in STEPS) + " |"
    rows = [head, "|" + "---|" * (len(STEPS) + 1)]
    for kind in FAULTS:
        where = " (PostgreSQL)" if kind in NOT_ON_SQLITE else ""
        cells = [EXPECTED[kind][s] for s in STEPS]
        rows.append(f"| {kind}{where} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def test_docs_show_the_matrix_as_tested() -> None:
    doc = (Path(__file__).parent.parent / "docs" / "faults.md").read_text()
    assert table() in doc, "docs/faults.md: paste the table from tests/test_faults.py:table()"
    for key, meaning in HUMAN.items():
        assert f"| {key} | {meaning} |" in doc

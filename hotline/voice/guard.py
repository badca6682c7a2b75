"""What stands in front of every webhook: the signature, a deadline, one answer per request.

- `X-Twilio-Signature` is checked over the configured public URL plus the path and the raw query
  string (never `request.url`, which a proxy or Werkzeug's IRI decoding would change).
- A handler runs in a thread of its own against a deadline (HOTLINE_VOICE_DEADLINE, a few
  seconds): a database that hangs, a lock held elsewhere or a bug gives the caller the fallback
  in time, never Twilio's "application error" after 15 s. A late handler never commits.
- The deadline counts from the request's first byte (the server stamps it), so a wait in the
  server's queue is counted too: that is silence on the caller's line as well.
- At most HOTLINE_DB_POOL handlers of a process run at once (each holds a database connection).
  A request that finds them all taken waits its turn, first come first served, calls under way
  before new calls: a call under way until three quarters of its deadline have passed, then the
  caller gets the fallback in time all the same; a new call a quarter, then the caller hears
  "Einen Moment bitte" and Twilio asks again (`hold`, at most HOLDS times). A busy process says
  nothing about the database, so none of this counts towards the circuit breaker; a handler
  that had at least half the deadline to itself and still missed it does.
- Requests of one call are serialised (a PostgreSQL advisory lock on the caller's CallSid; on
  SQLite every write transaction is serial), and each answer is stored under a digest of its
  request: Twilio's retry of a request, even one racing the original, gets the same answer.
- The form is read through `param`, which drops control characters and caps the length:
  whatever Twilio (or an attacker with a valid signature) sends is stored safely on both
  databases.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, Response, abort, copy_current_request_context, current_app, g, request
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeout
from twilio.request_validator import RequestValidator
from werkzeug.exceptions import HTTPException

from hotline import calls, db, logs, metrics, tallies
from hotline.clock import now
from hotline.models import Answer
from hotline.server import ARRIVED

log = logging.getLogger("hotline.voice")
# One line per webhook (hotline/logs.py), under a name of its own: `simulate-call`, whose
# transcript already shows every request, leaves these lines out.
requests_log = logging.getLogger("hotline.webhooks")
T = TypeVar("T")


HOLDS = 3  # times a new call may be put on a moment's hold by a busy process (a few seconds)


class Late(Exception):
    """The handler did not answer within the deadline; it had `budget` seconds of it."""

    def __init__(self, what: str, budget: float = 0.0) -> None:
        super().__init__(what)
        self.budget = budget


class Busy(Late):
    """No handler slot came free in time: the process is busy, the database not known to fail."""


class Slots:
    """At most `size` holders at once, and first come, first served: a slot that comes free goes
    to the request that has waited longest (a semaphore lets a newcomer take it, and under a
    steady stream of requests the oldest waiter would miss its deadline). A call under way goes
    before a new call: a caller who pressed 1 never waits behind callers just coming in."""

    def __init__(self, size: int) -> None:
        self.lock = threading.Lock()
        self.free = size
        self.waiting: deque[threading.Event] = deque()  # requests of calls under way
        self.new: deque[threading.Event] = deque()  # first requests of new calls

    def acquire(self, timeout: float = 0.0, new: bool = False) -> bool:
        """Take a slot, waiting up to `timeout` seconds for one; False if none came."""
        queue = self.new if new else self.waiting
        with self.lock:
            if self.free:  # then nobody waits: a freed slot goes to a waiter first
                self.free -= 1
                return True
            if timeout <= 0:
                return False
            turn = threading.Event()
            queue.append(turn)
        if turn.wait(timeout):
            return True
        with self.lock:
            if turn.is_set():  # handed a slot just as the wait ran out
                return True
            queue.remove(turn)
            return False

    def release(self) -> None:
        """Hand the slot to the longest waiter of a call under way, else of a new call, or
        free it."""
        with self.lock:
            if self.waiting or self.new:
                (self.waiting or self.new).popleft().set()
            else:
                self.free += 1


def init_app(app: Flask) -> None:
    """The app's handler slots: as many as its pool keeps connections (HOTLINE_DB_POOL), so a
    handler never waits for a connection, and a hanging database can hold at most these threads
    (and their connections: the pool's overflow stays free for pages and `/healthz`)."""
    app.extensions["hotline.voice.slots"] = Slots(int(app.config["HOTLINE_DB_POOL"]))


def slots() -> Slots:
    """The current app's voice handler slots (`init_app`)."""
    found: Slots = current_app.extensions["hotline.voice.slots"]
    return found


class Breaker:
    """After `FAILURES` database failures within `WINDOW` seconds, voice requests skip the
    database for `OPEN` seconds and answer with the fallback at once: a burst of calls while the
    database hangs must not queue behind each other's deadlines (100 at once pushed answers past
    Twilio's 15 s). Then requests try again; the first success closes it. Per process."""

    FAILURES, WINDOW, OPEN = 3, 10.0, 10.0

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.failures: deque[float] = deque()
        self.open_until = 0.0

    def open(self, now: float) -> bool:
        return now < self.open_until

    def failed(self, now: float) -> None:
        with self.lock:
            self.failures.append(now)
            while self.failures and self.failures[0] < now - self.WINDOW:
                self.failures.popleft()
            if len(self.failures) >= self.FAILURES and not self.open(now):
                self.open_until = now + self.OPEN
                log.error("voice: the database failed %d times in %.0f s; answering every call "
                          "with the fallback for %.0f s", len(self.failures), self.WINDOW,
                          self.OPEN)  # fmt: skip

    def failing(self, now: float) -> bool:
        """Whether a database failure was seen within the window."""
        return bool(self.failures) and self.failures[-1] >= now - self.WINDOW

    def succeeded(self) -> None:
        with self.lock:
            self.failures.clear()
            self.open_until = 0.0


breaker = Breaker()


def public_url() -> str:
    query = request.query_string.decode("ascii", "replace")
    return current_app.config["HOTLINE_PUBLIC_URL"] + request.path + (f"?{query}" if query else "")


def signed() -> bool:
    validator = RequestValidator(current_app.config["TWILIO_AUTH_TOKEN"])
    signature = request.headers.get("X-Twilio-Signature", "")
    return bool(signature) and validator.validate(public_url(), request.form, signature)


def clean(value: str | None, limit: int = 256) -> str:
    """A value as it may be stored and spoken: no control characters, at most `limit` long."""
    if not value:
        return ""
    kept = "".join(c for c in value if unicodedata.category(c)[0] != "C" or c == " ")
    return kept.strip()[:limit]


def param(name: str, limit: int = 256) -> str:
    """A form field of the request, cleaned (see `clean`)."""
    return clean(request.form.get(name), limit)


def number(name: str, source: str = "form") -> int | None:
    """A whole number Twilio sends (a duration, a sequence) or names in our URL; None if it is
    missing or not a number (bad input must not lose the rest of the request)."""
    raw = (request.form if source == "form" else request.args).get(name, "")
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


def caller_call_sid() -> str:
    """The caller's CallSid: the one a request belongs to, on the caller's or an engineer's leg
    (a `<Dial>`'s child names its parent; a leg the REST API placed carries it in its signed
    URL: `call`)."""
    return param("ParentCallSid", 64) or clean(request.args.get("call"), 64) or param("CallSid", 64)


def webhook(
    on_failure: Callable[[], Response],
    *,
    database: bool = True,
    store: bool = True,
    hold: Callable[[int], Response] | None = None,
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Verify, then answer: from the stored answer of an earlier identical request, else by
    running the handler (and storing its answer); on any failure or a missed deadline the
    answer is `on_failure()`. `database=False` is for the fallback path, which needs none;
    `store=False` for a handler whose identical requests must get a fresh answer (the
    conference's wait document tells the waiting time). `hold` marks a call's first request: it
    waits behind calls under way, and if this process is too busy to start it, `hold(n)` (the
    n-th time) puts the caller on a moment's hold and asks again, up to `HOLDS` times, before
    the fallback."""

    def decorate(handler: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(handler)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            started = time.perf_counter()
            with logs.call(caller_call_sid()):
                status, outcome = 500, "error"
                try:
                    response, outcome = _serve(handler, on_failure, database, store, hold,
                                               args, kwargs)  # fmt: skip
                    status = response.status_code
                    return response
                except HTTPException as exc:
                    status, outcome = exc.code or 500, "refused"
                    raise
                finally:
                    seconds = time.perf_counter() - started
                    endpoint = request.endpoint or request.path
                    metrics.webhook_seconds.labels(endpoint).observe(seconds)
                    requests_log.info("webhook %s", logs.pairs(endpoint=endpoint, status=status,
                                                      ms=round(seconds * 1000, 1),
                                                      outcome=outcome))  # fmt: skip

        return wrapper

    return decorate


def _serve(
    handler: Callable[..., Response],
    on_failure: Callable[[], Response],
    database: bool,
    store: bool,
    hold: Callable[[int], Response] | None,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> tuple[Response, str]:
    """The answer and how it came about: answered, fallback (the handler failed), late (it
    missed the deadline), busy (no handler slot came free in time), held (a new call, put on a
    moment's hold instead), breaker (the database is failing); a bad signature aborts with
    403."""
    if not signed():
        # Twilio signs the URL it calls: if this is every request, HOTLINE_PUBLIC_URL
        # or TWILIO_AUTH_TOKEN is wrong (`flask --app hotline check`).
        log.error(
            "403: bad or missing X-Twilio-Signature for %s (checked against %s; the "
            "request came to %s)", request.path, public_url(), request.host_url,
        )  # fmt: skip
        _count_signature_failure()
        abort(403)
    seconds = float(current_app.config["HOTLINE_VOICE_DEADLINE"])
    # A new call may be put on hold while the process is busy, but not while the database is
    # failing (holding would only delay the fallback), and not more than HOLDS times.
    can_hold = (hold is not None and (number("held", "args") or 0) < HOLDS
                and not breaker.failing(time.monotonic()))  # fmt: skip
    # The deadline counts from when the request came in: a wait in the server's queue is silence
    # on the line too. A new call that can be put on hold waits a quarter of it for a handler,
    # any other request three quarters; the rest is the handler's.
    patience = seconds * (0.25 if can_hold else 0.75)
    try:
        if not database:
            return handler(*args, **kwargs), "answered"
        if breaker.open(time.monotonic()):
            log.error("voice %s for CallSid=%s: the database is failing; answering with "
                      "the fallback at once", request.path, caller_call_sid())  # fmt: skip
            return on_failure(), "breaker"
        waited = time.monotonic() - request.environ.get(ARRIVED, time.monotonic())
        if waited >= patience:
            raise Busy("waited for a thread of the server")
        work = functools.partial(_answer if store else _fresh, handler, *args, **kwargs)
        response = within(seconds - waited, work, slots(), patience - waited, hold is not None)
        breaker.succeeded()
        return response, "answered"
    except Late as late:
        if not isinstance(late, Busy) and late.budget >= seconds / 2:
            # It had half the deadline or more to itself: the database is hanging or locked.
            breaker.failed(time.monotonic())
            log.error(
                "voice %s for CallSid=%s: no answer within %.1f s (database hanging or "
                "locked?); answering with the fallback", request.path, caller_call_sid(),
                seconds,
            )  # fmt: skip
            return on_failure(), "late"
        if can_hold and hold is not None:
            held = (number("held", "args") or 0) + 1
            log.warning("voice %s for CallSid=%s: this process is busy; the caller holds a "
                        "moment (%d of %d)", request.path, caller_call_sid(), held,
                        HOLDS)  # fmt: skip
            return hold(held), "held"
        log.error(
            "voice %s for CallSid=%s: this process is busy (no handler started within %.1f s "
            "of the request, or it then had less than half the deadline: HOTLINE_WEB_THREADS, "
            "HOTLINE_DB_POOL); answering with the fallback", request.path, caller_call_sid(),
            patience,
        )  # fmt: skip
        return on_failure(), "busy"
    except Exception as exc:
        if isinstance(exc, DBAPIError | SQLAlchemyTimeout):
            breaker.failed(time.monotonic())
        log.exception(
            "voice %s failed for CallSid=%s; answering with the fallback",
            request.path, caller_call_sid(),
        )  # fmt: skip
    return on_failure(), "fallback"


def _count_signature_failure() -> None:
    """Counted in the database (every web process adds to one figure: /metrics, the alarm on a
    sudden rise); a database that cannot count it must not change the 403."""
    if breaker.open(time.monotonic()):
        return
    try:
        with db.new_session() as session:
            tallies.count(session, tallies.SIGNATURE_FAILURES, now())
    except Exception:  # noqa: BLE001 - the count is worth less than the answer
        log.warning("a signature failure could not be counted", exc_info=True)


def within(
    seconds: float,
    work: Callable[[], T],
    slots: Slots,
    queue: float = 0.0,
    new: bool = False,
) -> T:
    """Run `work` in a thread with a copy of this request's context; raise `Late` if it has not
    answered `seconds` after the call. The thread is told (`g.late`) so it never commits
    afterwards. `slots` bounds how many such threads may run (and be stuck) at once: with all
    taken, wait up to `queue` seconds for one (behind calls under way if `new`), then raise
    `Busy`; the work gets what is left of `seconds`. (`/healthz` has slots of its own, so
    polling never takes a caller's.)"""
    started = time.monotonic()
    if not slots.acquire(queue, new):
        raise Busy("no handler slot came free")
    seconds -= time.monotonic() - started
    done, late = threading.Event(), threading.Event()
    result: dict[str, Any] = {}

    fields = logs.current()  # the log's call fields (hotline/logs.py) go along

    @copy_current_request_context
    def run() -> None:
        logs.adopt(fields)
        g.late = late
        try:
            result["response"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the request's thread below
            result["error"] = exc

    def thread() -> None:
        try:
            run()
        finally:
            slots.release()
            done.set()

    threading.Thread(target=thread, name=f"voice {request.path}", daemon=True).start()
    if not done.wait(seconds):
        late.set()
        raise Late(request.path, seconds)
    if "error" in result:
        raise result["error"]
    return result["response"]


def _answer(handler: Callable[..., Response], *args: Any, **kwargs: Any) -> Response:
    session = db.session()
    key = request_key()
    call_sid = caller_call_sid()
    calls.lock(session, call_sid)  # one call's requests one after the other, on any server
    stored = session.scalar(select(Answer).where(Answer.key == key))
    if stored is not None:
        session.rollback()
        return Response(stored.body, status=stored.status, mimetype=stored.mimetype)
    response = handler(*args, **kwargs)
    if g.late.is_set():
        session.rollback()  # the caller already got the fallback: this answer is void
        return response
    session.add(
        Answer(
            key=key, call_sid=call_sid, status=response.status_code,
            mimetype=response.mimetype or "text/xml", body=response.get_data(as_text=True),
            at=now(),
        )
    )  # fmt: skip
    session.commit()
    return response


def _fresh(handler: Callable[..., Response], *args: Any, **kwargs: Any) -> Response:
    """An answer never stored (identical requests get a fresh one), under the call's lock;
    what the handler changed is committed, unless the caller already got the fallback."""
    session = db.session()
    calls.lock(session, caller_call_sid())
    response = handler(*args, **kwargs)
    if g.late.is_set():
        session.rollback()
    else:
        session.commit()
    return response


def request_key() -> str:
    """A digest of everything that makes a request this request: a retry has the same one."""
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.query_string.decode("ascii", "replace")):
        digest.update(part.encode() + b"\0")
    for name in sorted(request.form):
        for value in sorted(request.form.getlist(name)):
            digest.update(f"{name}={value}".encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()

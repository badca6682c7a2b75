"""A burst of calls while PostgreSQL hangs: every caller is answered (the fallback) in time.

Without the circuit breaker each request waited its own deadline in the server's queue: 100 at
once pushed answers, the Fallback URL's too, past Twilio's 15 s (adversarial run)."""

from __future__ import annotations

import threading

from builders import CENTRAL, FALLBACK, call_sid
from realserver import Answer, form, post
from test_faults import LIMIT, Rig, dialled, fault, rig  # noqa: F401 - the fixture

CALLS = 60


def test_a_burst_while_the_database_hangs_is_answered_in_time(rig: Rig) -> None:  # noqa: F811
    if rig.proxy is None:
        return  # SQLite does not hang (tests/test_faults.py: NOT_ON_SQLITE)
    answers: list[Answer] = []
    barrier = threading.Barrier(CALLS)

    def call() -> None:
        barrier.wait()
        answers.append(post(rig.server, "/voice/incoming", form(call_sid(), To=CENTRAL), 20))

    with fault(rig, "hanging", "incoming"):
        threads = [threading.Thread(target=call) for _ in range(CALLS)]
        for thread in threads:
            thread.start()
        fallback = post(rig.server, "/voice/fallback", form(call_sid(), To=CENTRAL), 20)
        for thread in threads:
            thread.join(30)
    assert len(answers) == CALLS
    slowest = max(a.seconds for a in [*answers, fallback])
    assert slowest < LIMIT, slowest
    assert all(dialled(a) == FALLBACK for a in [*answers, fallback])

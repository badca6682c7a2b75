"""The voice re-page and the call-back, pure (escalation/repage.py, escalation/callback.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from escalation import callback, repage
from escalation.chain import Entry, Person, Phone
from escalation.repage import Heard, Page, Paged, Rules, Stop, Wait, Waiting, Why

LEFT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 03:00 in Berlin
RULES = Rules(timedelta(minutes=10), 2)
CHAIN = (
    Entry("own-primary", "+491711000001", "jonas", "Jonas", 20, "on call"),
    Entry("own-primary", "+49301000011", "jonas", "Jonas", 20, "on call; phone 2"),
    Entry("own-secondary", "+491711000002", "mia", "Mia", 20, "on call"),
    Entry("pool", "+491711000003", "lena", "Lena", 15, "pool", "simultaneous"),
    Entry("pool", "+491711000004", "uwe", "Uwe", 15, "pool", "simultaneous"),
    Entry("project-lead", "+491711000005", "anna", "Anna", 20, "lead"),
    Entry("fallback", "+491715550000", None, "Fallback", 20, "fallback"),
)
ANNA = Person("anna", "Anna", "+491711000005", phones=(Phone("+49301000055", "Festnetz"),))


def waiting(paged: tuple[Paged, ...] = (), **changes: object) -> Waiting:
    base: dict[str, object] = dict(
        left_at=LEFT, taken=False, closed=False, chain=repage.targets(CHAIN),
        lead=repage.lead(ANNA, 20), paged=paged,
    )  # fmt: skip
    return Waiting(**{**base, **changes})  # type: ignore[arg-type]


def rung(decision: object) -> list[str]:
    assert isinstance(decision, Page), decision
    return [t.engineer + ":" + t.number[-2:] for t in decision.targets]


def walk(w: Waiting, now: datetime, rules: Rules = RULES) -> list[tuple[int, list[str], datetime]]:
    """Every page until the re-page stops, each call ending unanswered 30 s after it was placed
    (the next check comes when it is due)."""
    pages = []
    paged = list(w.paged)
    for _ in range(100):
        decision = repage.decide(waiting(tuple(paged), **_same(w)), now, rules)
        if isinstance(decision, Stop):
            return pages
        if isinstance(decision, Wait):
            assert decision.until is not None and decision.until > now
            now = decision.until
            continue
        pages.append((decision.round, rung(decision), now))
        paged += [Paged(decision.round, t.entry, t.number, now, now + timedelta(seconds=30))
                  for t in decision.targets]  # fmt: skip
        now += timedelta(seconds=30)
    raise AssertionError("the re-page never stops")


def _same(w: Waiting) -> dict[str, object]:
    return {"chain": w.chain, "lead": w.lead, "busy": w.busy, "taken": w.taken}


def test_nothing_before_the_minutes_then_the_chain_level_by_level_then_the_lead() -> None:
    assert repage.decide(waiting(), LEFT + timedelta(minutes=9), RULES) == Wait(
        LEFT + timedelta(minutes=10)
    )
    pages = walk(waiting(), LEFT)
    assert [(r, who) for r, who, _ in pages] == [
        (1, ["jonas:01"]), (1, ["jonas:11"]), (1, ["mia:02"]), (1, ["lena:03", "uwe:04"]),
        (1, ["anna:05"]),
        (2, ["jonas:01"]), (2, ["jonas:11"]), (2, ["mia:02"]), (2, ["lena:03", "uwe:04"]),
        (2, ["anna:05"]),
        (3, ["anna:05"]), (3, ["anna:55"]),  # the project lead: mobile, then the landline
    ]  # fmt: skip
    starts = {r: at for r, _, at in reversed(pages)}
    assert starts[1] == LEFT + timedelta(minutes=10)
    # the next round begins the minutes after the last call of the round before ended
    assert starts[2] == pages[4][2] + timedelta(seconds=30) + timedelta(minutes=10)


def test_it_stops_the_moment_someone_takes_it_or_the_ticket_closes() -> None:
    live = (Paged(1, 0, "+491711000001", LEFT + timedelta(minutes=10), None),)
    at = LEFT + timedelta(minutes=11)
    assert repage.decide(waiting(live), at, RULES) == Wait(None)
    assert repage.decide(waiting(live, taken=True), at, RULES) == Stop(Why.TAKEN)
    assert repage.decide(waiting(live, closed=True), at, RULES) == Stop(Why.CLOSED)
    assert repage.decide(waiting(chain=(), lead=()), at, RULES) == Stop(Why.NOBODY)
    # yesterday's voicemail is never re-paged (the first deploy, a worker back after an outage)
    assert repage.decide(waiting(), LEFT + repage.OLD + timedelta(minutes=1), RULES) == Stop(
        Why.OLD
    )
    assert repage.decide(waiting(live), LEFT + repage.OLD + timedelta(hours=1), RULES) != Stop(
        Why.OLD
    )  # once begun, it runs its rounds


def test_a_lost_status_callback_does_not_hold_it_forever() -> None:
    lost = (Paged(1, 0, "+491711000001", LEFT + timedelta(minutes=10), None),)
    at = LEFT + timedelta(minutes=10) + repage.STALE
    assert rung(repage.decide(waiting(lost), at, RULES)) == ["jonas:11"]  # the landline next


def test_busy_engineers_are_left_out_and_an_empty_chain_goes_to_the_lead() -> None:
    at = LEFT + timedelta(minutes=10)
    assert rung(repage.decide(waiting(busy=frozenset({"jonas"})), at, RULES)) == ["mia:02"]
    everyone = frozenset({"jonas", "mia", "lena", "uwe", "anna"})
    assert repage.decide(waiting(busy=everyone), at, RULES) == Wait(at + RULES.after)
    assert [(r, w) for r, w, _ in walk(waiting(chain=()), LEFT)] == [
        (3, ["anna:05"]), (3, ["anna:55"])
    ]  # fmt: skip
    assert walk(waiting(lead=()), LEFT)[-1][0] == 2


def test_the_engineers_keys() -> None:
    assert repage.answered(True) is Heard.MENU and repage.answered(False) is Heard.TAKEN
    assert repage.pressed("1", True, True) is Heard.PLAY
    assert repage.pressed("1", True, False) is Heard.MENU  # nothing to play (deleted: DSGVO)
    assert repage.pressed("2", True, True) is Heard.TAKE
    assert repage.pressed("3", True, True) is Heard.PASS
    assert repage.pressed("9", True, True) is Heard.MENU
    assert repage.pressed("2", False, True) is Heard.TAKEN
    assert repage.took(True) is Heard.TAKE and repage.took(False) is Heard.TAKEN
    assert repage.waiting(True, None, "jonas") and repage.waiting(True, "jonas", "jonas")
    assert not repage.waiting(True, "mia", "jonas") and not repage.waiting(False, None, "jonas")


@settings(max_examples=300, deadline=None)
@given(
    history=st.lists(
        st.tuples(st.integers(1, 3), st.integers(-2, 5), st.integers(0, 40), st.booleans(),
                  st.integers(1, 120)),
        max_size=12,
    ),
    minutes=st.integers(0, 90),
    busy=st.frozensets(st.sampled_from(["jonas", "mia", "lena", "uwe", "anna"]), max_size=3),
    taken=st.booleans(),
)  # fmt: skip
def test_never_a_number_twice_at_once_nor_while_a_call_is_on(
    history: list[tuple[int, int, int, bool, int]], minutes: int, busy: frozenset[str],
    taken: bool,
) -> None:  # fmt: skip
    """Whatever came before: a page rings no number twice, nothing while a call is still on,
    nobody busy elsewhere, only phones of the round's targets; taken means stop."""
    targets = {t.entry: t for t in (*repage.targets(CHAIN), *repage.lead(ANNA, 20))}
    paged = tuple(
        Paged(r, e, targets[e].number, LEFT + timedelta(minutes=m),
              LEFT + timedelta(minutes=m, seconds=s) if done else None)
        for r, e, m, done, s in history
        if e in targets
    )  # fmt: skip
    now = LEFT + timedelta(minutes=minutes + 40)
    decision = repage.decide(waiting(paged, busy=busy, taken=taken), now, RULES)
    if taken:
        assert decision == Stop(Why.TAKEN)
        return
    if isinstance(decision, Page):
        numbers = [t.number for t in decision.targets]
        assert numbers and len(numbers) == len(set(numbers))
        assert not any(p.live(now) for p in paged)
        assert not {t.engineer for t in decision.targets} & busy
        allowed = repage.targets(CHAIN) if decision.round <= RULES.rounds else repage.lead(ANNA, 20)
        assert set(decision.targets) <= set(allowed)
        assert decision.round <= RULES.rounds + 1
        done = {p.entry for p in paged if p.round == decision.round}
        assert not {t.entry for t in decision.targets} & done  # each phone once per round


def test_the_call_back_rules() -> None:
    ended = callback.Ticket(ended=True, resolved=False, taken_by=None, caller="+49301234567")
    jonas = callback.Asker("jonas", lead=False, on_chain=True)
    assert callback.may(jonas, ended) is None
    assert callback.number(ended) == "+49301234567"
    withheld = callback.Ticket(True, False, None, None, ("+49301234500",))
    assert callback.number(withheld) == "+49301234500"  # the customer's own line
    assert "keine Rückrufnummer" in (
        callback.may(jonas, callback.Ticket(True, False, None, None)) or ""
    )
    assert "läuft noch" in (
        callback.may(jonas, callback.Ticket(False, False, None, "+49301234567")) or ""
    )
    assert "gelöst" in (
        callback.may(jonas, callback.Ticket(True, True, None, "+49301234567")) or ""
    )
    mia_has_it = callback.Ticket(True, False, "mia", "+49301234567")
    assert callback.may(jonas, mia_has_it) is not None
    assert callback.may(callback.Asker("anna", lead=True, on_chain=False), mia_has_it) is None
    assert callback.may(callback.Asker("mia", False, True), mia_has_it) is None
    assert callback.may(callback.Asker("tim", False, False), ended) is not None
    assert callback.may(callback.Asker(None, True, True), ended) is not None
    assert callback.phone(ANNA) == "+491711000005"
    assert callback.phone(Person("x", "X", None, phones=(Phone("+49301000009"),))) == "+49301000009"
    assert callback.phone(None) is None
    assert callback.busy("+491711000005", ["+491711000005"])
    assert callback.pressed("1") and not callback.pressed("2") and not callback.pressed("")
    assert callback.accepts(False, 60) and not callback.accepts(True, 60)
    assert not callback.accepts(False, 0)

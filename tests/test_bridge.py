"""The conference bridge's rules (escalation/bridge.py), pure: which legs ring together, when
the caller holds or falls back to <Dial>, what a leg's end does, whom `*` pulls in."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from escalation import bridge
from escalation.callflow import (
    Attempt,
    Call,
    CallStatus,
    Connect,
    Effect,
    Hangup,
    Hold,
    Join,
    Leg,
    Menu,
    Outcome,
    State,
    Walk,
)

E = bridge.Entry
CHAIN = [
    E("own-primary", "sequential", "jonas"),
    E("pool", "simultaneous", "lena"),
    E("pool", "simultaneous", "paul"),
    E("project-lead", "sequential", "anna"),
    E("fallback", "simultaneous", None),
]


def test_a_simultaneous_level_rings_together_only_in_a_conference() -> None:
    assert bridge.groups(CHAIN, range(5), conference=True) == [(0,), (1, 2), (3,), (4,)]
    assert bridge.groups(CHAIN, range(5), conference=False) == [(0,), (1,), (2,), (3,), (4,)]
    assert bridge.groups(CHAIN, [2, 3], conference=True) == [(2,), (3,)]


LEVELS = st.sampled_from(["a", "b", "c"])
RINGS = st.sampled_from(["sequential", "simultaneous"])


@given(st.lists(st.tuples(LEVELS, RINGS, st.booleans()), max_size=12))
def test_groups_keep_every_candidate_once_in_order(spec: list[tuple[str, str, bool]]) -> None:
    entries = [E(level, ring, "x" if person else None) for level, ring, person in spec]
    found = bridge.groups(entries, range(len(entries)), conference=True)
    assert [i for group in found for i in group] == list(range(len(entries)))
    for group in found:
        assert len({entries[i].level for i in group}) == 1
        assert len(group) == 1 or all(entries[i].ring == "simultaneous" for i in group)


def ringing(*legs: Leg | None, accepted: int | None = None, state: State = State.RINGING) -> Call:
    attempts = tuple(Attempt(i + 1, i, f"+4917{i}", leg=leg) for i, leg in enumerate(legs))
    return Call(state, attempts=attempts, bridge=True, accepted=accepted)


def test_the_caller_holds_once_a_leg_is_placed_waits_briefly_then_falls_back() -> None:
    assert isinstance(bridge.check(ringing(Leg.PLACED, Leg.QUEUED), 1).action, Hold)
    assert bridge.check(ringing(Leg.QUEUED), 1).action == Connect(2)
    late = bridge.check(ringing(Leg.QUEUED), bridge.TRIES)
    assert isinstance(late.action, Walk) and Effect.TO_DIAL in late.effects
    refused = bridge.check(ringing(Leg.ERROR, Leg.ERROR), 1)
    assert isinstance(refused.action, Walk)
    assert {Effect.TO_DIAL, Effect.STOP_LEGS, Effect.RELEASE} <= set(refused.effects)


def test_a_leg_ending_unaccepted_walks_on_only_when_it_was_the_last() -> None:
    call = ringing(Leg.PLACED, Leg.PLACED)
    first = bridge.leg_ended(call, 1, CallStatus.COMPLETED, declined=False, others_in=False)
    assert first.outcome == (1, Outcome.NOT_ACCEPTED) and Effect.WALK_ON not in first.effects
    alone = ringing(Leg.PLACED)
    last = bridge.leg_ended(alone, 1, CallStatus.NO_ANSWER, declined=False, others_in=False)
    assert last.outcome == (1, Outcome.NO_ANSWER) and Effect.WALK_ON in last.effects
    declined = bridge.leg_ended(alone, 1, CallStatus.COMPLETED, declined=True, others_in=False)
    assert declined.outcome == (1, Outcome.DECLINED)


def test_the_winner_leaving_ends_the_call_unless_someone_pulled_in_stays() -> None:
    call = ringing(Leg.PLACED, accepted=1, state=State.CONNECTED)
    alone = bridge.leg_ended(call, 1, CallStatus.COMPLETED, declined=False, others_in=False)
    assert Effect.MOVE_CALLER in alone.effects and alone.outcome == (1, Outcome.ACCEPTED)
    stays = bridge.leg_ended(call, 1, CallStatus.COMPLETED, declined=False, others_in=True)
    assert Effect.MOVE_CALLER not in stays.effects
    assert Effect.MOVE_CALLER in bridge.warm_ended(call, others_in=False).effects
    assert not bridge.warm_ended(call, others_in=True).effects


def test_a_leg_not_placed_moves_the_call_to_dial_only_when_nothing_else_rings() -> None:
    both = bridge.not_placed(ringing(Leg.ERROR, Leg.PLACED), 1)
    assert both.outcome == (1, Outcome.NOT_PLACED) and Effect.TO_DIAL not in both.effects
    alone = bridge.not_placed(ringing(Leg.ERROR), 1)
    assert {Effect.TO_DIAL, Effect.MOVE_CALLER} <= set(alone.effects)


def test_star_pulls_in_the_next_of_the_chain_or_the_project_lead() -> None:
    assert bridge.pull(CHAIN, 0, [0], bridge.NEXT) == 1
    assert bridge.pull(CHAIN, 1, [1], bridge.NEXT) == 2
    assert bridge.pull(CHAIN, 1, [1, 2], bridge.LEAD) == 3
    assert bridge.pull(CHAIN, 3, [3, 0, 1, 2], bridge.NEXT) is None  # never the fallback
    assert bridge.pull(CHAIN, 0, [0], "") is None


def test_star_menu_only_while_the_caller_is_on_the_line() -> None:
    talking = ringing(Leg.PLACED, accepted=1, state=State.CONNECTED)
    assert isinstance(bridge.star(talking).action, Menu)
    gone = Call(State.CONNECTED, attempts=talking.attempts, bridge=True, accepted=1, ended=True)
    assert isinstance(bridge.star(gone).action, Hangup)
    assert bridge.pulled(talking, "2", "anna", "Anna", "paul").action == Join("pulling", "Anna")
    assert bridge.pulled(talking, "2", None, "", "paul").action == Join("nobody")
    assert bridge.pulled(talking, "", None, "", "paul").action == Join("back")
    assert isinstance(bridge.invited(talking, "").action, Hangup)  # a voicemail box joins nothing
    assert bridge.invited(talking, "1").action == Join("invited")

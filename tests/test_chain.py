"""The escalation chain and its policy, pure: no app, no database."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalation.chain import (
    Chain,
    Entry,
    Level,
    Person,
    Policy,
    Situation,
    Skip,
    build,
    effective_policy,
    parse_policy,
    usable_number,
)
from escalation.rota import OnCall

AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
PEOPLE = {
    key: Person(key, key.title(), f"+49171{i:07d}")
    for i, key in enumerate(["anna", "jonas", "lena", "rolf", "sara", "tim", "uwe"], start=1000)
}
ON_CALL = (
    OnCall("blau", "primary", "jonas", "primary on call"),
    OnCall("blau", "secondary", "lena", "secondary on call"),
    OnCall("gruen", "primary", "uwe", "primary on call"),
    OnCall("rot", "primary", "sara", "primary on call"),
    OnCall("rot", "secondary", "tim", "secondary on call"),
)


def situation(**changes: object) -> Situation:
    base: dict[str, object] = dict(
        at=AT, team="blau", on_call=ON_CALL, people=PEOPLE, project_lead="anna",
        fallback="+491715550000",
    )  # fmt: skip
    return Situation(**{**base, **changes})  # type: ignore[arg-type]


def walk(s: Situation) -> list[tuple[str, str | None]]:
    return [(e.level, e.engineer) for e in build(s).entries]


def fixed() -> Policy:
    return parse_policy({"order": "fixed"})


def test_default_chain_levels_in_order() -> None:
    assert walk(situation(policy=fixed())) == [
        ("own-primary", "jonas"),
        ("own-secondary", "lena"),
        ("pool", "uwe"),
        ("pool", "sara"),
        ("pool", "tim"),
        ("project-lead", "anna"),
        ("fallback", None),
    ]


def test_unidentified_caller_starts_at_the_pool_without_project_lead() -> None:
    assert walk(situation(team=None, project_lead=None, policy=fixed())) == [
        ("pool", "jonas"),
        ("pool", "lena"),
        ("pool", "uwe"),
        ("pool", "sara"),
        ("pool", "tim"),
        ("fallback", None),
    ]


def test_skips_with_reasons_and_empty_levels() -> None:
    people = {
        **PEOPLE,
        "lena": Person("lena", "Lena", "0171 123"),
        "sara": Person("sara", "Sara", "+491711111111", active=False),
    }
    on_call = (*ON_CALL, OnCall("gelb", "primary", "jonas", "primary on call"))
    chain = build(
        situation(people=people, on_call=on_call, absent={"tim": "vacation"}, policy=fixed())
    )
    assert [(e.level, e.engineer) for e in chain.entries] == [
        ("own-primary", "jonas"),
        ("pool", "uwe"),
        ("project-lead", "anna"),
        ("fallback", None),
    ]
    assert [(s.level, s.engineer, s.reason) for s in chain.skipped] == [
        ("own-secondary", "lena", "no usable mobile"),
        ("pool", "jonas", "already in chain"),
        ("pool", "sara", "inactive"),
        ("pool", "tim", "absent (vacation)"),
    ]
    assert chain.to_json()["skipped"][0] == {
        "level": "own-secondary", "engineer": "lena", "reason": "no usable mobile"
    }  # fmt: skip


def test_no_fallback_number_no_fallback_entry() -> None:
    assert walk(situation(fallback=None, on_call=(), project_lead=None)) == []


def test_timeouts_per_level_and_default() -> None:
    policy = parse_policy(
        {"timeout": 25, "levels": ["own-primary", {"level": "pool", "timeout": 15}, "fallback"]}
    )
    chain = build(situation(policy=policy, ring_timeout=20))
    assert {(e.level, e.timeout) for e in chain.entries} == {
        ("own-primary", 25), ("pool", 15), ("fallback", 25)
    }  # fmt: skip
    assert {e.timeout for e in build(situation()).entries} == {20}


def test_fewest_displaced_first_ties_keep_fixed_order() -> None:
    chain = build(situation(displaced={"uwe": 2, "sara": 1}))
    pool = [e for e in chain.entries if e.level == "pool"]
    assert [e.engineer for e in pool] == ["tim", "sara", "uwe"]
    assert pool[2].reason.endswith("2 planned appointments in the window")


def test_round_robin_least_recently_called_first() -> None:
    people = {
        **PEOPLE,
        "uwe": Person("uwe", "Uwe", "+491711111000", last_called_at=AT - timedelta(hours=1)),
        "sara": Person("sara", "Sara", "+491711111001", last_called_at=AT - timedelta(days=3)),
    }
    policy = parse_policy({"order": "round-robin"})
    pool = [e for e in build(situation(people=people, policy=policy)).entries if e.level == "pool"]
    assert [e.engineer for e in pool] == ["tim", "sara", "uwe"]  # never called comes first


def test_random_is_seeded_by_the_instant() -> None:
    policy = parse_policy({"order": "random"})
    orders = {
        tuple(walk(situation(policy=policy, at=AT + timedelta(minutes=i)))) for i in range(20)
    }
    assert len(orders) > 1
    assert walk(situation(policy=policy)) == walk(situation(policy=policy))


def test_parse_policy_refuses_with_clear_messages() -> None:
    assert parse_policy(None) == Policy()
    for bad, message in [
        ([], "expected a mapping"),
        ({"order": "alphabetic"}, "order 'alphabetic'"),
        ({"timeout": 2}, "timeout 2"),
        ({"levels": ["own-primary"]}, "must end with 'fallback'"),
        ({"levels": ["pool", "pool", "fallback"]}, "listed twice"),
        ({"levels": ["boss", "fallback"]}, "level 'boss'"),
        ({"levels": [{"level": "pool", "colour": 1}, "fallback"]}, "level/order/timeout"),
        ({"window": "soon"}, "shift 'soon'"),
        ({"colour": "red"}, "unknown keys"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_policy(bad)


def test_team_policy_over_provider_default() -> None:
    policy = effective_policy({"order": "round-robin", "timeout": 30}, {"timeout": 15})
    assert policy.levels[0] == Level("own-primary", "round-robin", 15)


def test_usable_number() -> None:
    assert usable_number("+491711234567")
    for bad in (None, "", "0171 1234567", "+49171", "+4917112345678901234", "anonymous"):
        assert not usable_number(bad)


keys = st.sampled_from(sorted(PEOPLE))


@settings(max_examples=200, deadline=None)
@given(
    on_call=st.lists(
        st.builds(OnCall, st.sampled_from(["blau", "rot", "gruen"]),
                  st.sampled_from(["primary", "secondary"]), keys, st.just("on call")),
        max_size=12,
    ),
    team=st.none() | st.sampled_from(["blau", "rot"]),
    lead=st.none() | keys,
    order=st.sampled_from(["fewest-displaced", "round-robin", "fixed", "random"]),
    absent=st.dictionaries(keys, st.just("sick"), max_size=3),
)  # fmt: skip
def test_a_chain_never_holds_anyone_twice(
    on_call: list[OnCall], team: str | None, lead: str | None, order: str, absent: dict
) -> None:
    chain = build(
        situation(on_call=on_call, team=team, project_lead=lead, absent=absent,
                  policy=parse_policy({"order": order}))
    )  # fmt: skip
    engineers = [e.engineer for e in chain.entries if e.engineer]
    assert len(engineers) == len(set(engineers))
    numbers = [e.number for e in chain.entries]
    assert len(numbers) == len(set(numbers))
    assert not set(engineers) & set(absent)
    assert chain.entries[-1].level == "fallback"


def test_a_frozen_chain_reads_back_into_the_core_types_in_every_version() -> None:
    entry = Entry("own-primary", "+491711111000", "uwe", "Uwe", 20, "on call")
    skip = Skip("pool", "sara", "absent (vacation)")
    chain = Chain((entry,), (skip,))
    assert Chain.from_json(chain.to_json()) == chain
    legacy = [asdict(entry)]  # version 0: the bare list of entries
    assert Chain.from_json(legacy) == Chain((entry,))
    assert Chain.from_json(None) == Chain(())
    with pytest.raises(ValueError, match="newer"):
        Chain.from_json({"version": 99, "entries": []})


def test_a_policy_window_is_read_and_ignored() -> None:
    """Policies stored with `window` still read; the chain's order counts appointments within
    the expected emergency duration the caller gives (`Situation.displaced`), not a second one."""
    assert parse_policy({"window": "8h"}) == Policy()
    assert not hasattr(Policy(), "window")

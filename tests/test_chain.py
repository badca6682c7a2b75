"""The escalation chain and its policy, pure: no app, no database."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from itertools import groupby

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalation.chain import (
    LEVELS,
    Chain,
    Entry,
    Level,
    Person,
    Phone,
    Policy,
    Situation,
    Skip,
    build,
    effective_policy,
    parse_phones,
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


# --- more than one phone per engineer --------------------------------------------------------

LANDLINE = {
    "jonas": (Phone("+49301110001", "Festnetz"),),
    "anna": (Phone("+49301110002", "Festnetz"), Phone("+491511110002")),
}


def with_phones(people: dict[str, Person] = PEOPLE) -> dict[str, Person]:
    return {k: replace(p, phones=LANDLINE.get(k, ())) for k, p in people.items()}


def test_a_level_with_all_phones_rings_each_of_an_engineers_phones_in_order() -> None:
    policy = parse_policy(
        {"order": "fixed", "levels": [{"level": "own-primary", "phones": "all"}, "pool",
                                      {"level": "project-lead", "phones": "all"}, "fallback"]}
    )  # fmt: skip
    chain = build(situation(people=with_phones(), policy=policy))
    assert [(e.level, e.engineer, e.number) for e in chain.entries] == [
        ("own-primary", "jonas", PEOPLE["jonas"].mobile),
        ("own-primary", "jonas", "+49301110001"),
        ("pool", "uwe", PEOPLE["uwe"].mobile),
        ("pool", "sara", PEOPLE["sara"].mobile),
        ("pool", "tim", PEOPLE["tim"].mobile),
        ("project-lead", "anna", PEOPLE["anna"].mobile),
        ("project-lead", "anna", "+49301110002"),
        ("project-lead", "anna", "+491511110002"),
        ("fallback", None, "+491715550000"),
    ]
    reasons = [e.reason for e in chain.entries if e.engineer == "anna"]
    assert reasons == ["project lead of the customer's team",
                       "project lead of the customer's team; phone 2 (Festnetz)",
                       "project lead of the customer's team; phone 3"]  # fmt: skip


def test_by_default_a_level_rings_the_mobile_only() -> None:
    assert build(situation(people=with_phones(), policy=fixed())) == build(
        situation(policy=fixed())
    )
    top = parse_policy({"phones": "all", "levels": ["own-primary", {"level": "pool",
                        "phones": "first"}, "fallback"]})  # fmt: skip
    assert [level.phones for level in top.levels] == ["all", "first", "all"]


def test_all_phones_without_a_mobile_ring_the_others_and_skip_numbers_in_the_chain() -> None:
    people = with_phones()
    people["jonas"] = replace(people["jonas"], mobile=None)
    # lena's landline is anna's: anna (the lead) keeps only the numbers not rung yet
    people["lena"] = replace(people["lena"], phones=(Phone("+49301110002"),))
    people["tim"] = replace(people["tim"], mobile="0171", phones=())
    policy = parse_policy({"order": "fixed", "phones": "all"})
    chain = build(situation(people=people, policy=policy))
    by = [(e.engineer, e.number) for e in chain.entries if e.engineer in ("jonas", "lena", "anna")]
    assert by == [
        ("jonas", "+49301110001"),
        ("lena", PEOPLE["lena"].mobile),
        ("lena", "+49301110002"),
        ("anna", PEOPLE["anna"].mobile),
        ("anna", "+491511110002"),
    ]
    assert ("pool", "tim", "no usable mobile") in [
        (s.level, s.engineer, s.reason) for s in chain.skipped
    ]
    people["uwe"] = replace(people["uwe"], mobile=PEOPLE["jonas"].mobile)
    jonas_again = build(situation(people=people, policy=policy, team="rot")).skipped
    assert Skip("pool", "uwe", "number already in chain") not in jonas_again  # jonas: no mobile
    people["jonas"] = PEOPLE["jonas"]
    again = build(situation(people=people, policy=parse_policy({"order": "fixed"}))).skipped
    assert Skip("pool", "uwe", "number already in chain") in again


def test_phones_are_checked_by_the_domain_type() -> None:
    assert parse_phones(None) == ()
    assert parse_phones([{"number": "+49301110001", "label": " Festnetz "}]) == (
        Phone("+49301110001", "Festnetz"),
    )
    for bad, message in [
        ("+49301110001", "expected a list"),
        ([{"label": "Festnetz"}], "expected number"),
        ([{"number": "030 1110001"}], "E.164"),
        ([{"number": "+49301110001", "colour": "red"}], "expected number"),
        ([{"number": "+49301110001", "label": "x" * 41}], "up to 40"),
        ([{"number": "+49301110001", "label": "a\nb"}], "label"),
        ([{"number": "+49301110001"}, {"number": "+49301110001"}], "listed twice"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_phones(bad)
    with pytest.raises(ValueError, match="the mobile already"):
        parse_phones([{"number": "+491711111111"}], mobile="+491711111111")
    with pytest.raises(ValueError, match="phones 'both'"):
        parse_policy({"phones": "both"})
    with pytest.raises(ValueError, match="level pool phones"):
        parse_policy({"levels": [{"level": "pool", "phones": 2}, "fallback"]})


keys = st.sampled_from(sorted(PEOPLE))
numbers = st.sampled_from(
    [
        "+49301110001",
        "+49301110002",
        "+491511110002",
        "+491711001000",
        "+491711001001",
        "0301110003",
    ]
)  # some an engineer's mobile; one bad
phone_lists = st.lists(st.builds(Phone, numbers), max_size=3)


@settings(max_examples=300, deadline=None)
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
    phones=st.dictionaries(keys, phone_lists, max_size=4),
    which=st.lists(st.sampled_from(["first", "all"]), min_size=5, max_size=5),
)  # fmt: skip
def test_a_chain_never_holds_anyone_twice(
    on_call: list[OnCall], team: str | None, lead: str | None, order: str, absent: dict,
    phones: dict[str, list[Phone]], which: list[str],
) -> None:  # fmt: skip
    """Every number once; an engineer's entries are one run of one level, their mobile first
    (when usable and new) and then their further phones in order, only where the level rings
    all phones; nobody absent; the fallback last."""
    people = {k: replace(p, phones=tuple(phones.get(k, ()))) for k, p in PEOPLE.items()}
    levels = [{"level": name, "phones": w} for name, w in zip(LEVELS, which, strict=True)]
    policy = parse_policy({"order": order, "levels": levels})
    chain = build(situation(on_call=on_call, team=team, project_lead=lead, absent=absent,
                            people=people, policy=policy))  # fmt: skip
    runs = [key for key, _ in groupby(e.engineer for e in chain.entries if e.engineer)]
    assert len(runs) == len(set(runs))
    numbers = [e.number for e in chain.entries]
    assert len(numbers) == len(set(numbers))
    assert all(usable_number(n) for n in numbers)
    assert not set(runs) & set(absent)
    assert chain.entries[-1].level == "fallback"
    rings = {level.name: level.phones for level in policy.levels}
    for key in runs:
        mine = [e for e in chain.entries if e.engineer == key]
        assert len({e.level for e in mine}) == 1
        own = [people[key].mobile, *(p.number for p in people[key].phones)]
        if rings[mine[0].level] == "first":
            own = own[:1]
        got = [e.number for e in mine]
        assert got == [n for n in dict.fromkeys(own) if n in got]  # in the engineer's order
        assert got == list(dict.fromkeys(got))


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

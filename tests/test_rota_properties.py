"""hypothesis properties of the rota over generated rotations, overrides and absences."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from escalation.rota import (
    Absence,
    Handoff,
    Override,
    Restriction,
    Rota,
    Rotation,
)
from escalation.wallclock import WorkingHours

PEOPLE = [f"e{i}" for i in range(8)]
# 2026: DST starts 29 March, ends 25 October; generated instants cluster around both changes.
SPRING, AUTUMN = datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)

shifts = st.sampled_from([timedelta(hours=h) for h in (1, 6, 8, 12, 24, 48, 168, 336)])
handoffs = st.builds(
    Handoff,
    st.none() | st.integers(0, 6),
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
)


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    around = draw(st.sampled_from([SPRING, AUTUMN]))
    return around + timedelta(minutes=draw(st.integers(-3 * 24 * 60, 3 * 24 * 60)))


@st.composite
def rotations(draw: st.DrawFn, team: str, layer: str = "primary") -> list[Rotation]:
    """One rotation, or a complementary business-hours / after-hours pair: always complete."""

    def one(key: str, restriction: Restriction | None) -> Rotation:
        members = tuple(
            draw(st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=4, unique=True))
        )
        return Rotation(
            key, team, layer, members, draw(shifts), draw(handoffs),
            date(2026, 2, 1) + timedelta(days=draw(st.integers(0, 20))), restriction,
        )  # fmt: skip

    if not draw(st.booleans()):
        return [one(f"{team}-{layer}", None)]
    days = frozenset(draw(st.lists(st.integers(0, 6), min_size=1, unique=True)))
    business = Restriction("business_hours", WorkingHours(days=days))
    after = Restriction("after_hours", WorkingHours(days=days))
    return [one(f"{team}-day", business), one(f"{team}-night", after)]


@st.composite
def periods(draw: st.DrawFn) -> tuple[datetime, datetime]:
    start = draw(instants())
    return start, start + timedelta(minutes=draw(st.integers(1, 5 * 24 * 60)))


@st.composite
def rotas(draw: st.DrawFn) -> Rota:
    teams = ["blau", "rot"][: draw(st.integers(1, 2))]
    rotations_ = [r for team in teams for r in draw(rotations(team))]
    overrides = [
        Override(draw(st.sampled_from(teams)), "primary", draw(st.sampled_from(PEOPLE)),
                 draw(st.sampled_from(PEOPLE)), *draw(periods()))
        for _ in range(draw(st.integers(0, 3)))
    ]  # fmt: skip
    # Absences never take out a rotation's whole membership: e0 is never away.
    absences = [
        Absence(draw(st.sampled_from(PEOPLE[1:])), *draw(periods()))
        for _ in range(draw(st.integers(0, 3)))
    ]
    rotations_ = [
        Rotation(r.key, r.team, r.layer, (*r.members, "e0") if "e0" not in r.members else r.members,
                 r.shift, r.handoff, r.start, r.restriction)
        for r in rotations_
    ]  # fmt: skip
    return Rota(tuple(rotations_), tuple(overrides), tuple(absences))


@settings(max_examples=150, deadline=None)
@given(rotas(), instants())
def test_complete_rotations_give_exactly_one_primary_per_team(rota: Rota, at: datetime) -> None:
    teams = {r.team for r in rota.rotations}
    found = [o for o in rota.on_call(at) if o.layer == "primary"]
    assert sorted(o.team for o in found) == sorted(teams)


@settings(max_examples=150, deadline=None)
@given(rotas(), st.data())
def test_an_override_wins_over_the_rotation_it_covers(rota: Rota, data: st.DataObject) -> None:
    for override in rota.overrides:
        at = data.draw(
            st.integers(0, int((override.ends_at - override.starts_at).total_seconds()) - 1).map(
                lambda s, o=override: o.starts_at + timedelta(seconds=s)
            )
        )
        alone = Rota(rota.rotations, (override,), rota.absences)
        without = Rota(rota.rotations, (), rota.absences).on_call(at)
        covered = any(
            (o.team, o.layer) == (override.team, override.layer)
            and override.replaces in (o.engineer, o.scheduled)
            for o in without
        )
        if not covered or alone.absence(override.engineer, at):
            continue
        layer = [
            o.engineer for o in alone.on_call(at) if (o.team, o.layer) == (override.team, "primary")
        ]
        assert override.engineer in layer
        if override.replaces != override.engineer:
            assert override.replaces not in layer


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_consecutive_shifts_meet_across_dst(data: st.DataObject) -> None:
    rotation = Rotation(
        "r", "blau", "primary", ("a", "b"), data.draw(shifts), data.draw(handoffs), date(2026, 3, 1)
    )
    start = data.draw(instants())
    end = start + timedelta(days=data.draw(st.integers(1, 20)))
    found = Rota((rotation,)).shifts(start, end)
    assert found[0].starts_at == start and found[-1].ends_at == end
    for before, after in zip(found, found[1:], strict=False):
        assert before.ends_at == after.starts_at  # neither gap nor overlap
        assert before.engineer != after.engineer
    boundaries = [rotation.boundary(i, Rota().zone) for i in range(0, 24 * 60)]
    assert boundaries == sorted(boundaries)

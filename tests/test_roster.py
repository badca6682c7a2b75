"""The roster service on both backends: rows in, the chain a call walks out."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from hotline import models as m
from hotline import roster

# 2026-12-01 03:00 in Berlin (CET): the conftest clock.
NIGHT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def directory(session: Any) -> dict[str, Any]:
    """Two teams with a primary and a secondary rotation each, and one customer per team."""
    session.add(m.Provider(name="Solutionbar", fallback_number="+491715550000"))
    rows: dict[str, Any] = {}
    for team in ("blau", "rot"):
        rows[team] = m.Team(key=team, name=f"Team {team.title()}")
        session.add(rows[team])
    people = {
        "anna": ("blau", "+491712345678", "project_lead"),
        "jonas": ("blau", "+491723456789", "consultant"),
        "lena": ("blau", "+491734567890", "consultant"),
        "rolf": ("rot", "+491745678901", "project_lead"),
        "sara": ("rot", "+491756789012", "consultant"),
        "tim": ("rot", None, "consultant"),
    }
    for key, (team, mobile, role) in people.items():
        rows[key] = m.Engineer(key=key, name=key.title(), team=rows[team], mobile=mobile, role=role)
        session.add(rows[key])
    session.flush()
    rows["blau"].project_lead = rows["anna"]
    rows["rot"].project_lead = rows["rolf"]
    for key, team, layer, members in (
        ("blau-primary", "blau", "primary", ["jonas", "lena"]),
        ("blau-secondary", "blau", "secondary", ["lena", "jonas"]),
        ("rot-primary", "rot", "primary", ["sara", "tim"]),
    ):
        rotation = m.Rotation(
            key=key, team=rows[team], layer=layer, shift="1w", handoff="Mon 08:00",
            start=date(2026, 11, 2),
        )  # fmt: skip
        rotation.members = [
            m.RotationMember(position=i, engineer_id=rows[e].id) for i, e in enumerate(members)
        ]
        session.add(rotation)
    rows["mueller"] = m.Customer(number="10042", name="Müller", team=rows["blau"])
    session.add(rows["mueller"])
    session.commit()
    return rows


def levels(chain: Any) -> list[tuple[str, str | None]]:
    return [(e.level, e.engineer) for e in chain.entries]


def test_chain_walks_own_team_pool_lead_fallback(app: Any, session: Any) -> None:
    rows = directory(session)
    with app.app_context():
        chain = roster.chain_for(session, rows["mueller"], NIGHT)
    # Week of 2026-11-30: shift 4 -> jonas primary, lena... secondary index 4 % 2 = 0 -> lena.
    assert levels(chain) == [
        ("own-primary", "jonas"),
        ("own-secondary", "lena"),
        ("pool", "sara"),
        ("project-lead", "anna"),
        ("fallback", None),
    ]
    assert chain.entries[-1].number == "+491715550000"
    assert all(e.timeout == 20 for e in chain.entries)
    assert chain.to_json()["entries"][0]["number"] == "+491723456789"


def test_unidentified_caller_starts_at_pool(app: Any, session: Any) -> None:
    directory(session)
    with app.app_context():
        chain = roster.chain_for(session, None, NIGHT)
    assert levels(chain) == [
        ("pool", "jonas"),
        ("pool", "lena"),
        ("pool", "sara"),
        ("fallback", None),
    ]


def test_absent_override_and_unusable_number(app: Any, session: Any) -> None:
    rows = directory(session)
    # Next week tim is sara's successor but has no mobile; jonas is away, lena covers; anna
    # replaces lena on the secondary layer by override.
    at = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)  # shift 5: lena primary, jonas secondary
    session.add(
        m.Absence(
            engineer=rows["jonas"], reason="vacation",
            starts_at=datetime(2026, 12, 7, tzinfo=UTC), ends_at=datetime(2026, 12, 14, tzinfo=UTC),
        )
    )  # fmt: skip
    session.add(
        m.Override(
            team=rows["blau"], layer="secondary", engineer=rows["anna"], replaces=rows["jonas"],
            starts_at=datetime(2026, 12, 7, tzinfo=UTC), ends_at=datetime(2026, 12, 9, tzinfo=UTC),
        )
    )  # fmt: skip
    session.commit()
    with app.app_context():
        chain = roster.chain_for(session, rows["mueller"], at)
    assert levels(chain) == [
        ("own-primary", "lena"),
        ("own-secondary", "anna"),
        ("fallback", None),
    ]
    assert [(s.level, s.engineer, s.reason) for s in chain.skipped] == [
        ("pool", "tim", "no usable mobile"),
        ("project-lead", "anna", "already in chain"),
    ]
    assert "replaces jonas" in chain.entries[1].reason


def test_fallback_from_settings_wins(app: Any, session: Any) -> None:
    rows = directory(session)
    app.config["HOTLINE_FALLBACK_NUMBER"] = "+4930999999"
    with app.app_context():
        chain = roster.chain_for(session, rows["mueller"], NIGHT)
    assert chain.entries[-1].number == "+4930999999"


def test_fewest_displaced_orders_the_pool(app: Any, session: Any) -> None:
    rows = directory(session)
    provider = m.Provider.one(session)
    assert provider is not None
    provider.policy = {"order": "fewest-displaced", "window": "3h"}
    # Unidentified call: pool is jonas, lena, sara; jonas has two planned appointments, lena one.
    for i, (who, status) in enumerate(
        [("jonas", "planned"), ("jonas", "planned"), ("lena", "planned"), ("sara", "cancelled")]
    ):
        session.add(
            m.Appointment(
                key=f"apt-{i}", engineer=rows[who], status=status,
                starts_at=datetime(2026, 12, 1, 3, 0, tzinfo=UTC),
                ends_at=datetime(2026, 12, 1, 5, 0, tzinfo=UTC),
            )
        )  # fmt: skip
    session.commit()
    with app.app_context():
        chain = roster.chain_for(session, None, NIGHT)
    assert levels(chain)[:3] == [("pool", "sara"), ("pool", "lena"), ("pool", "jonas")]
    assert "2 planned appointments" in chain.entries[2].reason


@pytest.mark.parametrize(
    "layer_policy", [{"levels": ["pool", {"level": "fallback", "timeout": 30}]}]
)
def test_team_policy_levels_and_timeouts(app: Any, session: Any, layer_policy: dict) -> None:
    rows = directory(session)
    rows["blau"].policy = layer_policy
    session.commit()
    with app.app_context():
        chain = roster.chain_for(session, rows["mueller"], NIGHT)
    assert levels(chain) == [("pool", "sara"), ("fallback", None)]
    assert [e.timeout for e in chain.entries] == [20, 30]


def planned(session: Any, engineer: Any, start: datetime, hours: int = 1) -> None:
    session.add(
        m.Appointment(
            key=f"apt-{engineer.key}-{start.isoformat()}", engineer=engineer, status="planned",
            starts_at=start, ends_at=start + timedelta(hours=hours),
        )
    )  # fmt: skip


def displaced_of(chain: Any, engineer: str) -> int:
    """The count of planned appointments the chain gave an engineer's entry."""
    (entry,) = [e for e in chain.entries if e.engineer == engineer][:1]
    return int(entry.reason.rsplit("; ", 1)[1].split()[0])


def test_fewest_displaced_counts_the_expected_emergency_duration(app: Any, session: Any) -> None:
    """One duration: the chain ranks by the appointments within the provider's
    `emergency_minutes`, as the displacement check will put them at risk; a policy `window`
    (of files and rows written before) is read and ignored."""
    rows = directory(session)
    planned(session, rows["jonas"], NIGHT + timedelta(hours=3))  # 3 h after the call
    provider = m.Provider.one(session)
    assert provider is not None
    provider.policy = {"order": "fewest-displaced", "window": "8h"}
    session.commit()
    with app.app_context():
        assert displaced_of(roster.chain_for(session, None, NIGHT), "jonas") == 0  # 120 min
    provider.settings = {"emergency_minutes": 240}
    session.commit()
    with app.app_context():
        chain = roster.chain_for(session, None, NIGHT)
    assert displaced_of(chain, "jonas") == 1
    assert [e for _, e in levels(chain)][:3] == ["lena", "sara", "jonas"]


def test_a_contracts_emergency_minutes_rank_its_customers_chain(app: Any, session: Any) -> None:
    rows = directory(session)
    planned(session, rows["jonas"], NIGHT + timedelta(hours=3))
    rows["mueller"].contract = m.Contract(emergency_minutes=240)
    session.commit()
    with app.app_context():
        mueller = roster.chain_for(session, rows["mueller"], NIGHT)
        unknown = roster.chain_for(session, None, NIGHT)
    assert displaced_of(mueller, "jonas") == 1
    assert displaced_of(unknown, "jonas") == 0

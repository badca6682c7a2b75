"""Benchmark: the chain for one customer with 50 teams, 500 engineers and a year of overrides,
absences and appointments, then with everything doubled.

Run: `.venv/bin/python bench/bench_chain.py [--calls 200]` (not part of pytest). Prints the time
per chain through the roster (database included) and for the pure rules alone, and the ratio of
the doubled setup against the baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from escalation import chain as rules
from hotline import create_app, db, roster
from hotline import models as m
from hotline.db import make_engine

YEAR = datetime(2026, 1, 1, tzinfo=UTC)


def populate(url: str, teams: int, per_team: int, seed: int = 7) -> None:
    """Teams with a day/night primary pair and a weekly secondary; a year of rota changes."""
    engine = make_engine(url)
    m.Base.metadata.create_all(engine)
    rng = random.Random(seed)
    engineers = teams * per_team
    with engine.begin() as conn:
        conn.execute(insert(m.Provider), [{"name": "Bench", "fallback_number": "+491715550000"}])
        conn.execute(
            insert(m.Team),
            [{"id": t + 1, "key": f"t{t}", "name": f"Team {t}"} for t in range(teams)],
        )
        conn.execute(
            insert(m.Engineer),
            [
                {"id": e + 1, "key": f"e{e}", "name": f"Engineer {e}", "team_id": e // per_team + 1,
                 "mobile": f"+49171{e:07d}", "last_called_at": YEAR + timedelta(hours=e)}
                for e in range(engineers)
            ],
        )  # fmt: skip
        rotations, members = [], []
        for t in range(teams):
            team = [t * per_team + i + 1 for i in range(per_team)]
            for key, layer, shift, handoff, restriction, people in (
                (f"t{t}-day", "primary", "1w", "Mon 08:00", {"when": "business_hours"}, team[:1]),
                (f"t{t}-night", "primary", "1w", "Mon 08:00", {"when": "after_hours"}, team[1:6]),
                (f"t{t}-secondary", "secondary", "1d", "08:00", None, team[5:]),
            ):
                rid = len(rotations) + 1
                rotations.append(
                    {"id": rid, "key": key, "team_id": t + 1, "layer": layer, "shift": shift,
                     "handoff": handoff, "start": date(2026, 1, 5), "restriction": restriction}
                )  # fmt: skip
                members += [
                    {"rotation_id": rid, "position": i, "engineer_id": e}
                    for i, e in enumerate(people)
                ]
        conn.execute(insert(m.Rotation), rotations)
        conn.execute(insert(m.RotationMember), members)

        def period(hours: int) -> tuple[datetime, datetime]:
            start = YEAR + timedelta(hours=rng.randrange(365 * 24))
            return start, start + timedelta(hours=rng.randrange(1, hours))

        overrides, absences, appointments = [], [], []
        for e in range(engineers):
            team = e // per_team
            for _ in range(4):
                starts, ends = period(72)
                overrides.append(
                    {"team_id": team + 1, "layer": "primary", "engineer_id": e + 1,
                     "replaces_id": team * per_team + rng.randrange(per_team) + 1,
                     "starts_at": starts, "ends_at": ends}
                )  # fmt: skip
            for _ in range(3):
                starts, ends = period(24 * 14)
                absences.append(
                    {
                        "engineer_id": e + 1,
                        "starts_at": starts,
                        "ends_at": ends,
                        "reason": "vacation",
                    }
                )
            for week in range(52):
                starts = YEAR + timedelta(weeks=week, days=rng.randrange(5), hours=8)
                appointments.append(
                    {"key": f"a{e}-{week}", "engineer_id": e + 1, "starts_at": starts,
                     "ends_at": starts + timedelta(hours=3), "status": "planned"}
                )  # fmt: skip
        conn.execute(insert(m.Override), overrides)
        conn.execute(insert(m.Absence), absences)
        conn.execute(insert(m.Appointment), appointments)
        customers = [
            {
                "id": c + 1,
                "number": f"{10000 + c}",
                "name": f"Customer {c}",
                "team_id": c % teams + 1,
            }
            for c in range(teams * 2)
        ]
        conn.execute(insert(m.Customer), customers)
    engine.dispose()


def measure(teams: int, per_team: int, calls: int, folder: Path) -> tuple[float, float, int]:
    """Median seconds per chain via the roster, and for the pure rules; chain length."""
    url = f"sqlite:///{folder / f'bench-{teams}.db'}"
    populate(url, teams, per_team)
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": folder / f"instance-{teams}"})
    rng = random.Random(11)
    through, pure, length = [], [], 0
    with app.app_context():
        session = db.session()
        customers = session.scalars(select(m.Customer)).all()
        for _ in range(calls):
            at = YEAR + timedelta(minutes=rng.randrange(365 * 24 * 60))
            customer = rng.choice(customers)
            started = time.perf_counter()
            chain = roster.chain_for(session, customer, at)
            through.append(time.perf_counter() - started)
            length = max(length, len(chain.entries))
            situation = rules.Situation(
                at=at, team=customer.team.key if customer.team else None,
                on_call=roster.load_rota(session, at).on_call(at), people=roster.people(session),
            )  # fmt: skip
            started = time.perf_counter()
            rules.build(situation)
            pure.append(time.perf_counter() - started)
            session.expire_all()
    return statistics.median(through), statistics.median(pure), length


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100, help="chains per setup")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = measure(50, 10, args.calls, Path(tmp))
        double = measure(100, 10, args.calls, Path(tmp))
    print(f"{'setup':34} {'per chain (roster)':>18} {'pure rules':>12} {'longest':>8}")
    for name, (through, pure, length) in (
        ("50 teams, 500 engineers (baseline)", base),
        ("100 teams, 1000 engineers", double),
    ):
        print(f"{name:34} {through * 1000:15.2f} ms {pure * 1e6:9.0f} us {length:8}")
    growth = double[0] / base[0], double[1] / base[1]
    print(f"growth when doubled: roster x{growth[0]:.2f}, pure rules x{growth[1]:.2f}")


if __name__ == "__main__":
    main()

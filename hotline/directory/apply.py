"""Applying a checked directory: an upsert that keeps history.

Teams and customers are never deleted (tickets and bills point to them), engineers left out are
deactivated, and the rota changes only from now on: rotations get a new version at their next
hand-off, overrides and absences keep their past (docs/rota.md, "History is fact").
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from escalation import rota
from escalation.rota import parse_handoff, parse_shift
from hotline.directory.schema import SECTIONS, wall_clock
from hotline.models import (
    Absence,
    Appointment,
    Contract,
    Customer,
    Engineer,
    GLJourFixe,
    JourFixe,
    Override,
    Phone,
    Provider,
    Rotation,
    RotationMember,
    Team,
)


@dataclass
class Summary:
    """What an import did, per section: created, updated, ended, removed, deactivated, kept."""

    counts: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    notes: list[str] = field(default_factory=list)

    def count(self, section: str, verb: str, n: int = 1) -> None:
        self.counts[section][verb] += n

    @property
    def changed(self) -> bool:
        return any(n for c in self.counts.values() for verb, n in c.items() if verb != "kept")

    def lines(self) -> list[str]:
        out = [
            f"{section}: "
            + ", ".join(f"{n} {verb}" for verb, n in sorted(self.counts[section].items()))
            for section in SECTIONS
            if any(self.counts[section].values())
        ]
        return (out or ["nothing changed"]) + self.notes


def _assign(row: Any, values: Mapping[str, Any]) -> bool:
    """Set the values that differ; True when something changed."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _upsert(
    session: Session, model: type, rows: dict[str, Any], key: str, values: dict[str, Any]
) -> tuple[Any, str | None]:
    """The row for `key`, created or updated; the verb to count, None when unchanged."""
    row = rows.get(key)
    if row is None:
        row = rows[key] = model(**values)
        session.add(row)
        return row, "created"
    return row, "updated" if _assign(row, values) else None


def _sync(
    session: Session,
    rows: list[Any],
    wanted: list[dict[str, Any]],
    model: type,
    summary: Summary,
    section: str,
    now: datetime,
) -> None:
    """Rows without keys (overrides, absences): the file says what holds from now on.

    An entry equal to a row changes nothing, another entry is created as written. A row missing
    from the file keeps its past (history is fact): one that has ended is kept, one running is
    ended at `now`, or runs to the new end when the file gives it one (same start, same people,
    an end after now), and only one that has not started yet is removed. `now` is taken to the
    second, as export writes it, so that a row ended here comes back unchanged.
    """
    now = now.replace(microsecond=0)
    names = list(wanted[0]) if wanted else []
    spare: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
    for row in rows:
        spare[tuple(getattr(row, n) for n in names) if names else (row.id,)].append(row)
    new = []
    for values in wanted:
        found = spare.get(tuple(values.values()))
        if found:
            found.pop()
        else:
            new.append(values)
    for row in (row for left in spare.values() for row in left):
        fate = rota.unlisted(row.starts_at, row.ends_at, now)
        if fate == "kept":
            summary.count(section, "kept")
        elif fate == "ended":
            same = {n: getattr(row, n) for n in names if n != "ends_at"}
            later = next(
                (v for v in new if _without(v, "ends_at") == same and v["ends_at"] > now), None
            )
            row.ends_at = later["ends_at"] if later else now
            if later:
                new.remove(later)
            summary.count(section, "updated" if later else "ended")
        else:
            session.delete(row)
            summary.count(section, "removed")
    for values in new:
        session.add(model(**values))
        summary.count(section, "created")


def apply(session: Session, plan: dict[str, Any], now: datetime) -> Summary:
    summary = Summary()

    provider = Provider.one(session)
    if provider is None:
        session.add(Provider(**plan["provider"]))
        summary.count("provider", "created")
    elif _assign(provider, plan["provider"]):
        summary.count("provider", "updated")

    teams = {t.key: t for t in session.scalars(select(Team))}
    created_teams = set()
    for entry in plan["teams"]:
        if entry["key"] not in teams:
            _upsert(
                session, Team, teams, entry["key"], {"key": entry["key"], "name": entry["name"]}
            )
            created_teams.add(entry["key"])
    session.flush()

    engineers = {e.key: e for e in session.scalars(select(Engineer))}
    for entry in plan["engineers"]:
        values = _without(entry, "team") | {
            "team_id": teams[entry["team"]].id if entry["team"] else None
        }
        _, verb = _upsert(session, Engineer, engineers, entry["key"], values)
        if verb:
            summary.count("engineers", verb)
    listed = {entry["key"] for entry in plan["engineers"]}
    for key, engineer in engineers.items():
        if key not in listed and engineer.active:
            engineer.active = False
            summary.count("engineers", "deactivated")
    session.flush()

    for entry in plan["teams"]:
        lead = engineers[entry["project_lead"]].id if entry["project_lead"] else None
        values = {
            "name": entry["name"],
            "policy": entry["policy"],
            "holiday_region": entry["holiday_region"],
            "project_lead_id": lead,
        }
        changed = _assign(teams[entry["key"]], values)
        if entry["key"] in created_teams:
            summary.count("teams", "created")
        elif changed:
            summary.count("teams", "updated")
    _kept(summary, "teams", set(teams) - {entry["key"] for entry in plan["teams"]})

    customers = {
        c.number: c
        for c in session.scalars(
            select(Customer).options(
                selectinload(Customer.phones),
                selectinload(Customer.contract),
                selectinload(Customer.jourfixe),
                selectinload(Customer.gl_jourfixes),
            )
        )
    }
    for entry in plan["customers"]:
        values = _without(entry, *PARTS, "team", "contact", "project_lead") | {
            "team_id": teams[entry["team"]].id,
            "contact_id": engineers[entry["contact"]].id if entry["contact"] else None,
            "project_lead_id": (
                engineers[entry["project_lead"]].id if entry["project_lead"] else None
            ),
        }
        customer, verb = _upsert(session, Customer, customers, entry["number"], values)
        changed = (
            _sync_phones(customer, entry["phones"])
            | _sync_one(customer, "contract", Contract, entry["contract"])
            | _sync_one(customer, "jourfixe", JourFixe, entry["jourfixe"])
            | _sync_gl(customer, entry["gl_jourfixe"])
        )
        if verb or changed:
            summary.count("customers", verb or "updated")
    _kept(summary, "customers", set(customers) - {entry["number"] for entry in plan["customers"]})
    session.flush()

    versions: defaultdict[str, list[Rotation]] = defaultdict(list)
    for row in session.scalars(
        select(Rotation).options(selectinload(Rotation.members)).order_by(Rotation.id)
    ):
        versions[row.key].append(row)
    wanted = {
        entry["key"]: _without(entry, "team", "members")
        | {
            "team_id": teams[entry["team"]].id,
            "members": [engineers[key].id for key in entry["members"]],
        }
        for entry in plan["rotations"]
    }
    zone = ZoneInfo(plan["provider"]["timezone"])
    since = None if not versions else now  # the first rota describes how it has been running
    for key in [*wanted, *sorted(set(versions) - set(wanted))]:
        _revise(session, key, versions[key], wanted.get(key), now, since, zone, summary)

    def ids(entry: dict[str, Any], *names: str) -> dict[str, Any]:
        return {f"{n}_id": engineers[entry[n]].id if entry[n] else None for n in names}

    _sync(
        session,
        list(session.scalars(select(Override))),
        [
            {"team_id": teams[e["team"]].id, "layer": e["layer"]}
            | ids(e, "engineer", "replaces")
            | {"starts_at": e["starts_at"], "ends_at": e["ends_at"]}
            for e in plan["overrides"]
        ],
        Override,
        summary,
        "overrides",
        now,
    )
    _sync(
        session,
        list(session.scalars(select(Absence))),
        [ids(e, "engineer") | _without(e, "engineer") for e in plan["absences"]],
        Absence,
        summary,
        "absences",
        now,
    )

    keys = [entry["key"] for entry in plan["appointments"]]
    appointments = (
        {a.key: a for a in session.scalars(select(Appointment).where(Appointment.key.in_(keys)))}
        if keys
        else {}
    )
    for entry in plan["appointments"]:
        customer = customers[entry["customer"]].id if entry["customer"] else None
        values = _without(entry, "engineer", "customer") | ids(entry, "engineer")
        _, verb = _upsert(
            session, Appointment, appointments, entry["key"], values | {"customer_id": customer}
        )
        if verb:
            summary.count("appointments", verb)
    return summary


def _definition(row: Rotation) -> dict[str, Any]:
    """A stored rotation version as the importer's values, to compare with the file."""
    names = ("key", "layer", "shift", "handoff", "start", "restriction", "team_id")
    return {n: getattr(row, n) for n in names} | {"members": [m.engineer_id for m in row.members]}


def _version(row: Rotation) -> rota.Rotation:
    """Enough of a stored version for its hand-offs."""
    return rota.Rotation(
        row.key,
        "",
        row.layer,
        (),
        parse_shift(row.shift),
        parse_handoff(row.handoff),
        row.start,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
    )


def _revise(
    session: Session,
    key: str,
    rows: list[Rotation],
    wanted: dict[str, Any] | None,
    now: datetime,
    since: datetime | None,
    zone: ZoneInfo,
    summary: Summary,
) -> None:
    """Make `wanted` (None: no rotation) the rotation's future, keeping its past.

    The file describes the rotation from now on: a changed definition becomes a new version
    that starts at the next hand-off of the version in force (rota.takes_effect); a rotation
    missing from the file ends there. Versions planned by an earlier import and not yet in force
    give way to the file. A new rotation is in force from `since` (None: since ever).
    """
    latest = rows[-1] if rows else None
    if latest is None or latest.valid_until is not None:
        if wanted is None:
            return  # gone, or ending already
    elif wanted is not None and _definition(latest) == wanted:
        return
    planned = [r for r in rows if r.valid_from is not None and r.valid_from >= now]
    for row in planned:  # never in force: the newer file replaces the plan
        session.delete(row)
        rows.remove(row)
    if planned:
        session.flush()  # before a new version takes the same (key, valid_from)
    current = next((r for r in rows if _version(r).in_force(now)), None)
    if current and wanted is not None and _definition(current) == wanted:
        current.valid_until = None  # back to what is in force: the planned change is dropped
        summary.count("rotations", "updated")
        return
    effective = rota.takes_effect(_version(current) if current else None, now, zone)
    if current:
        current.valid_until = effective
    if wanted is not None:
        values = _without(wanted, "members") | {"valid_from": effective if rows else since}
        members = [
            RotationMember(position=i, engineer_id=e) for i, e in enumerate(wanted["members"])
        ]
        session.add(Rotation(**values, members=members))
    verb = "ended" if wanted is None else "updated" if current else "created"
    summary.count("rotations", verb)
    if effective > now:
        what = "ends" if wanted is None else "changes"
        summary.notes.append(f"rotation {key} {what} at the hand-off {wall_clock(effective, zone)}")


def _without(entry: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k not in names}


def _kept(summary: Summary, section: str, missing: set[str]) -> None:
    """Teams and customers have history (tickets, bills): an import never deletes them."""
    if missing:
        summary.count(section, "kept", len(missing))
        summary.notes.append(
            f"{section} not in the file, kept unchanged: {', '.join(sorted(missing))}"
        )


def _sync_phones(customer: Customer, wanted: list[tuple[str, str, str | None]]) -> bool:
    labels = {(kind, value): label for kind, value, label in wanted}
    changed = False
    for phone in list(customer.phones):
        key = (phone.kind, phone.value)
        if key not in labels:
            customer.phones.remove(phone)
            changed = True
        else:
            label = labels.pop(key)
            changed |= _assign(phone, {"label": label})
    for (kind, value), label in labels.items():
        customer.phones.append(Phone(kind=kind, value=value, label=label))
        changed = True
    return changed


PARTS = ("phones", "contract", "jourfixe", "gl_jourfixe")  # a customer's rows of their own


def _sync_one(customer: Customer, name: str, model: type, wanted: dict[str, Any] | None) -> bool:
    """A customer's one row of `model` (its contract, its JourFixe) as the file says."""
    row = getattr(customer, name)
    if wanted is None:
        setattr(customer, name, None)
        return row is not None
    if row is None:
        setattr(customer, name, model(**wanted))
        return True
    return _assign(row, wanted)


def _sync_gl(customer: Customer, wanted: list[datetime]) -> bool:
    """The GL-JourFixe dates: those no longer in the file go, new ones come."""
    have = {row.at: row for row in customer.gl_jourfixes}
    for at, row in have.items():
        if at not in wanted:
            customer.gl_jourfixes.remove(row)
    for at in wanted:
        if at not in have:
            customer.gl_jourfixes.append(GLJourFixe(at=at))
    return set(have) != set(wanted)

"""Exporting the directory: the database as the schema's entries, dumped as the file writes them.

The entries are the models import reads (`schema`), built from the rows without checking them
again (what is stored was checked when it came in) and dumped in JSON mode, where every field
writes itself the way import reads it back: numbers as people write them, times as wall-clock
times in the provider's zone, money as "120.00". So export -> import changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from escalation import wallclock
from hotline.directory.schema import (
    AbsenceEntry,
    AppointmentEntry,
    Context,
    ContractEntry,
    CustomerEntry,
    Directory,
    EngineerEntry,
    EngineerPhoneEntry,
    JourFixeEntry,
    OverrideEntry,
    PhoneEntry,
    ProviderEntry,
    RotationEntry,
    TeamEntry,
    wall_clock,
)
from hotline.models import (
    Absence,
    Appointment,
    Customer,
    Engineer,
    Override,
    Provider,
    Rotation,
    Team,
)

__all__ = ["dump", "export_directory", "export_file", "wall_clock"]


def _said(**values: Any) -> dict[str, Any]:
    """Only what is set: the file shows what was said, not every default."""
    return {k: v for k, v in values.items() if v is not None and v != [] and v != {}}


def _contract(customer: Customer) -> ContractEntry | None:
    c = customer.contract
    if c is None:
        return None
    names = ContractEntry.model_fields
    return ContractEntry.model_construct(**_said(**{n: getattr(c, n) for n in names}))


def _jourfixe(customer: Customer) -> JourFixeEntry | None:
    j = customer.jourfixe
    if j is None:
        return None
    names = JourFixeEntry.model_fields
    return JourFixeEntry.model_construct(**_said(**{n: getattr(j, n) for n in names}))


def export_directory(session: Session) -> dict[str, Any]:
    """The database as a directory dict in the import's shape (export -> import changes nothing)."""
    provider = Provider.one(session)
    zone = wallclock.zone(provider.timezone if provider else None)
    teams = session.scalars(select(Team).order_by(Team.key)).all()
    engineers = session.scalars(select(Engineer).order_by(Engineer.key)).all()
    team_key = {t.id: t.key for t in teams}
    engineer_key = {e.id: e.key for e in engineers}
    customers = session.scalars(
        select(Customer)
        .options(
            selectinload(Customer.phones),
            selectinload(Customer.contract),
            selectinload(Customer.jourfixe),
            selectinload(Customer.gl_jourfixes),
        )
        .order_by(Customer.number)
    ).all()
    customer_number = {c.id: c.number for c in customers}
    latest: dict[str, Rotation] = {}  # the last version: what the last import said
    for row in session.scalars(
        select(Rotation).options(selectinload(Rotation.members)).order_by(Rotation.id)
    ):
        latest[row.key] = row
    rotations = [r for _, r in sorted(latest.items()) if r.valid_until is None]
    overrides = session.scalars(select(Override).order_by(Override.starts_at, Override.id))
    absences = session.scalars(select(Absence).order_by(Absence.starts_at, Absence.id))
    appointments = session.scalars(
        select(Appointment).order_by(Appointment.starts_at, Appointment.key)
    )
    sections: dict[str, Any] = {}
    if provider:
        sections["provider"] = ProviderEntry.model_construct(
            **_said(
                name=provider.name,
                central_number=provider.central_number,
                fallback_number=provider.fallback_number,
                office_number=provider.office_number,
                support_email=provider.support_email,
                blocked_numbers=provider.blocked_numbers or None,
                timezone=provider.timezone,
                holiday_region=provider.holiday_region,
                policy=provider.policy,
            )
        )
    sections["teams"] = [
        TeamEntry.model_construct(
            **_said(
                key=t.key,
                name=t.name,
                project_lead=engineer_key.get(t.project_lead_id),
                policy=t.policy,
                holiday_region=t.holiday_region,
            )
        )
        for t in teams
    ]
    sections["engineers"] = [
        EngineerEntry.model_construct(
            **_said(
                key=e.key,
                name=e.name,
                team=team_key.get(e.team_id),
                role=e.role,
                mobile=e.mobile,
                phones=[
                    EngineerPhoneEntry.model_construct(**_said(**phone)) for phone in e.phones or []
                ],
                email=e.email,
                active=None if e.active else False,
            )
        )
        for e in engineers
    ]
    sections["customers"] = [
        CustomerEntry.model_construct(
            **_said(
                number=c.number,
                name=c.name,
                team=team_key.get(c.team_id),
                contact=engineer_key.get(c.contact_id),
                language=c.language,
                pin=c.pin,
                email=c.email,
                sms_number=c.sms_number,
                documentation_url=c.documentation_url,
                emergency_notes=c.emergency_notes,
                phones=[
                    PhoneEntry.model_construct(**_said(**{p.kind: p.value}, label=p.label))
                    for p in c.phones
                ],
                contract=_contract(c),
                project_lead=engineer_key.get(c.project_lead_id),
                status_recipients=c.status_recipients,
                jourfixe=_jourfixe(c),
                gl_jourfixe=[g.at for g in c.gl_jourfixes],
            )
        )
        for c in customers
    ]
    sections["rotations"] = [
        RotationEntry.model_construct(
            **_said(
                key=r.key,
                team=team_key[r.team_id],
                layer=r.layer,
                members=[engineer_key[m.engineer_id] for m in r.members],
                shift=r.shift,
                handoff=r.handoff,
                start=r.start,
                restriction=r.restriction,
            )
        )
        for r in rotations
    ]
    sections["overrides"] = [
        OverrideEntry.model_construct(
            **_said(
                engineer=engineer_key[o.engineer_id],
                replaces=engineer_key.get(o.replaces_id),
                team=team_key[o.team_id],
                layer=o.layer,
                starts_at=o.starts_at,
                ends_at=o.ends_at,
            )
        )
        for o in overrides
    ]
    sections["absences"] = [
        AbsenceEntry.model_construct(
            **_said(
                engineer=engineer_key[a.engineer_id],
                starts_at=a.starts_at,
                ends_at=a.ends_at,
                reason=a.reason,
            )
        )
        for a in absences
    ]
    sections["appointments"] = [
        AppointmentEntry.model_construct(
            **_said(
                key=a.key,
                engineer=engineer_key[a.engineer_id],
                customer=customer_number.get(a.customer_id),
                starts_at=a.starts_at,
                ends_at=a.ends_at,
                title=a.title or None,
                onsite=a.onsite,
            )
        )
        for a in appointments
    ]
    out = Directory.model_construct(**sections).model_dump(
        mode="json", by_alias=True, exclude_unset=True, context=Context(zone)
    )
    if provider and provider.settings:
        out["provider"]["settings"] = provider.settings  # as checked and stored by the import
    if provider and provider.webhooks:
        out["provider"]["webhooks"] = provider.webhooks  # likewise; secrets are only named
    return out


def dump(data: dict[str, Any]) -> str:
    """A directory dict as YAML text, umlauts as they are."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def export_file(session: Session, path: str | Path) -> None:
    Path(path).write_text(dump(export_directory(session)), encoding="utf-8")

"""A small provider built row by row, for tests that must not depend on the directory importer."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from itertools import count
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from hotline import fallback
from hotline.models import (
    Contract,
    Customer,
    Engineer,
    Phone,
    Provider,
    Rotation,
    RotationMember,
    Team,
)

CENTRAL = "+49309876540"
FALLBACK = "+491715550000"
MUELLER_PHONE = "+49301234567"


def extension(n: int) -> str:
    """Another phone of Müller's (in its number block): a second emergency of the customer, not
    a repeat call of the first (a call from the same number would join the open ticket)."""
    return f"+49301234568{n}"


MOBILES = {
    "anna": "+491712345678",  # blau, project lead
    "jonas": "+491723456789",  # blau, primary on call
    "mia": "+491734567890",  # blau, secondary on call
    "lena": "+491745678901",  # gruen, primary on call
    "paul": "+491756789012",  # gruen, project lead
}


def small_provider(session: Session) -> dict[str, Any]:
    """Two teams with one-person rotations, so the chain is known exactly:
    jonas (blau primary), mia (blau secondary), lena (gruen primary), anna (blau lead), fallback."""
    session.add(
        Provider(
            name="Solutionbar IT-Service",
            central_number=CENTRAL,
            fallback_number=FALLBACK,
            office_number="+49309876500",
            support_email="support@example.de",
            timezone="Europe/Berlin",
            holiday_region="BE",
        )
    )
    teams = {key: Team(key=key, name=f"Team {key.title()}") for key in ("blau", "gruen")}
    session.add_all(teams.values())
    team_of = {"anna": "blau", "jonas": "blau", "mia": "blau", "lena": "gruen", "paul": "gruen"}
    engineers = {
        key: Engineer(
            key=key,
            name=key.title(),
            team=teams[team_of[key]],
            role="project_lead" if key in ("anna", "paul") else "consultant",
            mobile=mobile,
        )
        for key, mobile in MOBILES.items()
    }
    session.add_all(engineers.values())
    session.flush()
    teams["blau"].project_lead = engineers["anna"]
    teams["gruen"].project_lead = engineers["paul"]
    for team, layer, key in (
        ("blau", "primary", "jonas"),
        ("blau", "secondary", "mia"),
        ("gruen", "primary", "lena"),
    ):
        rotation = Rotation(
            key=f"{team}-{layer}",
            team=teams[team],
            layer=layer,
            shift="1w",
            handoff="Mon 08:00",
            start=date(2026, 11, 2),
        )
        rotation.members.append(RotationMember(position=0, engineer=engineers[key]))
        session.add(rotation)
    mueller = Customer(
        number="10042",
        name="Müller & Söhne <Maschinenbau>",
        team=teams["blau"],
        contact=engineers["jonas"],
        language="de",
    )
    mueller.phones.append(Phone(kind="number", value=MUELLER_PHONE, label="Empfang"))
    mueller.phones.append(Phone(kind="block", value="+49301234568", label="Anlage"))
    mueller.contract = Contract(monthly_hours=10, hourly_rate=120, surcharge_percent=50)
    acme = Customer(number="20077", name="Acme Ltd", team=teams["gruen"], language="en", pin="4711")
    acme.phones.append(Phone(kind="number", value="+442071234567"))
    session.add_all([mueller, acme])
    session.commit()
    if has_app_context():  # as an import does: the fallback path knows the number on this host
        fallback.remember(current_app.instance_path, FALLBACK)
    return {"teams": teams, "engineers": engineers, "mueller": mueller, "acme": acme}


_sids = count(1)


def call_sid() -> str:
    return f"CA{next(_sids):032d}"


def xml(response: Any) -> ET.Element:
    """The TwiML of a response, parsed: tests look at verbs and attributes, not strings."""
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/xml"
    return ET.fromstring(response.get_data(as_text=True))


def verbs(root: ET.Element) -> list[str]:
    return [child.tag for child in root]

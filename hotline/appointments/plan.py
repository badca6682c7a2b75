"""What every appointment service needs: the provider's planning (zone, working hours,
holidays), the customer's language, and the error a decision is refused with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from escalation import regions, wallclock
from escalation.slots import WorkingHours
from hotline.models import (
    Customer,
    Provider,
)

LANGUAGES = ("de", "en")


class AppointmentError(ValueError):
    """A decision that cannot be made (wrong state, a clash); the message says why."""


@dataclass(frozen=True)
class Planning:
    """The provider's planning settings (`Provider.settings`, documented in docs/billing.md)."""

    zone: ZoneInfo
    hours: WorkingHours
    emergency: timedelta  # expected emergency duration unless the contract says otherwise
    travel: timedelta  # to an on-site appointment after an emergency
    step: timedelta  # suggested slots start on these boundaries
    region: str  # the provider's holiday region (escalation/regions.py)
    dispatcher: str | None  # who is told about appointments at risk

    def holidays(self, region: str | None = None) -> regions.Holidays:
        """The public holidays of `region` (a team's own), else of the provider's region."""
        return regions.Holidays(region or self.region)


def language(customer: Customer) -> str:
    """The language a customer is written to; German unless we have their own."""
    return customer.language if customer.language in LANGUAGES else "de"


def provider(session: Session) -> Provider:
    return Provider.one(session) or Provider(name="", settings={})


def planning(session: Session) -> Planning:
    p = provider(session)
    s: dict[str, Any] = p.settings or {}
    return Planning(
        zone=wallclock.zone(p.timezone),
        hours=WorkingHours.from_settings(s.get("working_hours")),
        emergency=timedelta(minutes=int(s.get("emergency_minutes", 120))),
        travel=timedelta(minutes=int(s.get("travel_minutes", 30))),
        step=timedelta(minutes=int(s.get("slot_minutes", 15))),
        region=p.holiday_region or regions.DEFAULT,
        dispatcher=s.get("dispatcher_email") or p.support_email,
    )

"""Which planned appointments an accepted emergency displaces (verdrängte Termine).

The emergency occupies the accepting engineer from acceptance for an expected duration (a
contract's or the provider's default) until it is resolved, then for its real duration. An
on-site appointment also needs the travel time to get there afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

# An appointment's lifecycle: planned -> at_risk -> one of the decisions.
PLANNED, AT_RISK = "planned", "at_risk"
KEPT, REASSIGNED, RESCHEDULED, CANCELLED = "kept", "reassigned", "rescheduled", "cancelled"
DECISIONS = (KEPT, REASSIGNED, RESCHEDULED, CANCELLED)
# Decisions that move an appointment away from its customer: these make the §2 surcharge.
DISPLACING = (RESCHEDULED, CANCELLED)


@dataclass(frozen=True)
class Appointment:
    """An appointment as the rule sees it."""

    id: int
    starts_at: datetime
    ends_at: datetime
    onsite: bool
    status: str = PLANNED


@dataclass(frozen=True)
class Window:
    """The time an emergency takes its engineer away."""

    start: datetime
    end: datetime

    @classmethod
    def of(cls, accepted_at: datetime, expected: timedelta, resolved_at: datetime | None) -> Window:
        """Expected until resolved, then real; never shorter than zero."""
        end = resolved_at if resolved_at is not None else accepted_at + expected
        return cls(accepted_at, max(end, accepted_at))

    def hits(self, appointment: Appointment, travel: timedelta) -> bool:
        """Whether the engineer cannot be at `appointment`: it overlaps the window, extended by the
        travel time when the appointment is on site."""
        end = self.end + travel if appointment.onsite else self.end
        return appointment.starts_at < end and self.start < appointment.ends_at


def at_risk(appointments: Iterable[Appointment], window: Window, travel: timedelta) -> list[int]:
    """The appointments the window puts at risk: live ones it hits (cancelled ones are gone)."""
    return [a.id for a in appointments if a.status != CANCELLED and window.hits(a, travel)]

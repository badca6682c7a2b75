"""Appointments: import, list, the displacement check, the dispatcher's decisions, suggested
slots and what the customer is told, one module each.

The rules live in escalation/ (displacement, slots); here they meet the database and the outbox.
Every service works in the caller's transaction and leaves committing to it, except
`check_displacements`, the worker's job, which commits what it did. Callers use the package
(`appointments.reschedule(...)`); the modules are how it is kept.
"""

from __future__ import annotations

from hotline.appointments.decisions import (
    busy,
    cancel,
    keep,
    reassign,
    reschedule,
)
from hotline.appointments.displacement import (
    _tell_dispatcher,
    check_displacements,
    displace,
    expected,
    recheck,
)
from hotline.appointments.imports import (
    CSV_COLUMNS,
    ONSITE,
    Imported,
    Row,
    event_times,
    import_csv,
    import_ics,
    read_csv,
    upsert,
)
from hotline.appointments.listing import (
    Waiting,
    as_dict,
    listing,
    queue,
)
from hotline.appointments.notices import (
    Notice,
    notice,
    tell_customer,
)
from hotline.appointments.plan import (
    LANGUAGES,
    AppointmentError,
    Planning,
    language,
    planning,
    provider,
)
from hotline.appointments.suggestions import (
    Suggestion,
    free_to_take,
    suggestions,
)

__all__ = [
    "LANGUAGES",
    "AppointmentError",
    "Planning",
    "language",
    "provider",
    "planning",
    "Imported",
    "upsert",
    "CSV_COLUMNS",
    "ONSITE",
    "Row",
    "import_csv",
    "read_csv",
    "import_ics",
    "event_times",
    "listing",
    "as_dict",
    "Waiting",
    "queue",
    "expected",
    "check_displacements",
    "recheck",
    "displace",
    "_tell_dispatcher",
    "keep",
    "reassign",
    "reschedule",
    "cancel",
    "busy",
    "Suggestion",
    "suggestions",
    "free_to_take",
    "Notice",
    "notice",
    "tell_customer",
]

"""Who may do what: the roles of the people who run the hotline, and what each may see and change.

One table, read by every page and API route (through `hotline/web/access.py`), so a permission is
decided here once and a test can walk the whole matrix. Personal data (caller numbers,
voicemails) is shown only to those who work the emergency: the engineers on its chain, the
dispatchers and the project leads; an administrator manages the system, not the calls.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    PROJECT_LEAD = "project_lead"
    ENGINEER = "engineer"


class Permission(StrEnum):
    BOARD = "board"  # the live board
    ALL_TICKETS = "all-tickets"  # every ticket (else only those whose chain held them)
    WORK_TICKET = "work-ticket"  # notes, work minutes, resolve, take the call-back, assign
    CALLER_DATA = "caller-data"  # caller numbers and voicemails of the tickets one may see
    APPOINTMENTS = "appointments"  # decide on displaced appointments
    WAIVE = "waive"  # waive a surcharge (with a reason, under one's own name)
    BILLING = "billing"  # the month per customer, the month-end run, the export, GL reports
    STATUS_EMAIL = "status-email"  # the JourFixe page: preview and send a status e-mail
    HOURS = "hours"  # enter and see one's own time entries (support and project work)
    ALL_HOURS = "all-hours"  # enter and see every engineer's time entries
    ROTA = "rota"  # see the rota
    EDIT_ROTA = "edit-rota"  # overrides and absences
    DIRECTORY = "directory"  # see customers, teams, engineers
    EDIT_DIRECTORY = "edit-directory"  # import the directory
    ACCOUNTS = "accounts"  # accounts, invitations, API tokens, the audit log, settings


_ALL = frozenset(Role)
_WORKERS = frozenset({Role.DISPATCHER, Role.PROJECT_LEAD, Role.ENGINEER})
_OFFICE = frozenset({Role.DISPATCHER, Role.PROJECT_LEAD})
GRANTS: dict[Permission, frozenset[Role]] = {
    Permission.BOARD: _OFFICE,
    Permission.ALL_TICKETS: _OFFICE,
    Permission.WORK_TICKET: _WORKERS,
    Permission.CALLER_DATA: _WORKERS,
    Permission.APPOINTMENTS: _OFFICE,
    Permission.WAIVE: frozenset({Role.PROJECT_LEAD}),
    Permission.BILLING: frozenset({Role.PROJECT_LEAD}),
    Permission.STATUS_EMAIL: _OFFICE,
    Permission.HOURS: frozenset({Role.PROJECT_LEAD, Role.ENGINEER}),
    Permission.ALL_HOURS: frozenset({Role.PROJECT_LEAD}),
    Permission.ROTA: _ALL,
    Permission.EDIT_ROTA: frozenset({Role.DISPATCHER, Role.PROJECT_LEAD, Role.ADMIN}),
    Permission.DIRECTORY: _ALL,
    Permission.EDIT_DIRECTORY: frozenset({Role.ADMIN}),
    Permission.ACCOUNTS: frozenset({Role.ADMIN}),
}


def may(role: Role | str | None, permission: Permission) -> bool:
    """True when `role` holds `permission`; no role (nobody logged in) holds none."""
    if role is None:
        return False
    try:
        return Role(role) in GRANTS[permission]
    except ValueError:
        return False


def sees_ticket(role: Role | str | None, engineer: str | None, chain: Iterable[str | None]) -> bool:
    """A ticket is seen by the office, and by an engineer whose key its frozen chain held."""
    if may(role, Permission.ALL_TICKETS):
        return True
    return role == Role.ENGINEER and engineer is not None and engineer in set(chain)

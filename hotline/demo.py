"""The demo provider "Solutionbar IT-Service", built as a directory file and imported.

One code path: the demo goes through `import_directory` exactly like a provider's own file, so
it also shows what such a file looks like (`flask --app hotline export`). Rotations and
appointments are laid out relative to the clock, so the demo always has someone on call and
appointments this week and next that an accepted emergency can displace; the same clock gives
the same demo. All numbers are fictional (0171 555..., 020 7946 0... is a UK drama range).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from escalation import wallclock
from hotline import clock
from hotline.directory import Summary, import_directory

ZONE = "Europe/Berlin"  # the demo provider's zone (its `timezone`)

# key, name, team, role, mobile
ENGINEERS = [
    ("anna", "Anna Schmidt", "blau", "project_lead", "0171 5550101"),
    ("jonas", "Jonas Weber", "blau", "consultant", "0171 5550102"),
    ("lena", "Lena Fischer", "blau", "consultant", "0171 5550103"),
    ("tobias", "Tobias Becker", "blau", "consultant", "0171 5550104"),
    ("markus", "Markus Hoffmann", "gruen", "project_lead", "0160 5550201"),
    ("julia", "Julia Wagner", "gruen", "consultant", "0160 5550202"),
    ("felix", "Felix Schäfer", "gruen", "consultant", "0160 5550203"),
    ("sabine", "Sabine Koch", "rot", "project_lead", "0172 5550301"),
    ("david", "David Richter", "rot", "consultant", "0172 5550302"),
    ("katharina", "Katharina Klein", "rot", "consultant", "0172 5550303"),
]
# Further phones after the mobile (a level with `phones: all` rings them; SMS never go there).
LANDLINES = {"anna": "030 5550901"}
TEAMS = [
    ("blau", "Team Blau", "anna"),
    ("gruen", "Team Grün", "markus"),
    ("rot", "Team Rot", "sabine"),
]


def _contract(
    hours: int, rate: str, increment: int = 15, percent: int = 50, flat: str = "0.00"
) -> dict[str, Any]:
    return {
        "monthly_hours": hours,
        "hourly_rate": rate,
        "billing_increment_minutes": increment,
        "surcharge_percent": percent,
        "surcharge_flat": flat,
    }


CUSTOMERS: list[dict[str, Any]] = [
    {
        "number": "10042",
        "name": "Müller & Söhne Maschinenbau GmbH",
        "team": "blau",
        "contact": "jonas",
        "email": "it@mueller-soehne.example",
        # the status e-mail after each JourFixe: from Anna, to IT and the managing director
        "project_lead": "anna",
        "status_recipients": ["it@mueller-soehne.example", "gf@mueller-soehne.example"],
        "phones": [
            {"number": "030 1234567", "label": "Empfang"},
            {"block": "+49 30 123456", "label": "Telefonanlage"},
        ],
        # the seed: a higher quota while the IT was moved over, then the agreed one
        "contract": _contract(10, "120.00")
        | {"quota_history": [{"since": "2026-06", "hours": 16}, {"since": "2026-10", "hours": 10}]},
    },
    {
        "number": "10043",
        "name": "Bäckerei Körner KG",
        "team": "blau",
        "contact": "lena",
        "phones": [{"number": "030/2345678", "label": "Büro"}],
        "contract": _contract(4, "95.00", increment=30, percent=25),
    },
    {
        "number": "10044",
        "name": "Kanzlei Dr. Weiß & Partner",
        "team": "blau",
        "contact": "tobias",
        "pin": "4711",
        "phones": [{"number": "+49 (0)30 8889990", "label": "Sekretariat"}],
        "contract": _contract(8, "145.00", percent=50, flat="150.00"),
    },
    {
        "number": "10045",
        "name": "Ärztehaus am Park",
        "team": "blau",
        "contact": "jonas",
        "phones": [{"number": "030 5550123", "label": "Anmeldung (gemeinsam)"}],
        "contract": _contract(6, "110.00", increment=15, percent=0, flat="200.00"),
    },
    {
        "number": "10050",
        "name": "Hafenlogistik Nord GmbH",
        "team": "gruen",
        "contact": "julia",
        "phones": [{"block": "+49 40 5551", "label": "Durchwahlen"}],
        "contract": _contract(20, "115.00"),
    },
    {
        "number": "10051",
        "name": "Praxis Dr. Özdemir",
        "team": "gruen",
        "contact": "felix",
        "phones": [{"number": "0049 30 5550123", "label": "Anmeldung (gemeinsam)"}],
        "contract": _contract(3, "100.00", increment=60, percent=25),
    },
    {
        "number": "10052",
        "name": "Stadtwerke Beispielstadt",
        "team": "gruen",
        "contact": "julia",
        "email": "leitstelle@stadtwerke.example",
        "phones": [
            {"number": "0341 2223330", "label": "Leitstelle"},
            {"block": "0341 22233", "label": "Verwaltung"},
        ],
        "contract": _contract(16, "130.00", percent=50, flat="100.00"),
    },
    {
        "number": "10053",
        "name": "Autohaus Brandt & Co. KG",
        "team": "gruen",
        "contact": "felix",
        "phones": [{"number": "0331-4445550", "label": "Werkstatt"}],
        "contract": _contract(5, "105.00"),
    },
    {
        "number": "10060",
        "name": "Brightwater Analytics Ltd.",
        "team": "rot",
        "contact": "david",
        "language": "en",
        "phones": [{"number": "+44 20 7946 0958", "label": "London office"}],
        "contract": _contract(12, "140.00", percent=50),
    },
    {
        "number": "10061",
        "name": "Grünwald Immobilien GmbH",
        "team": "rot",
        "contact": "katharina",
        "phones": [{"number": "089 4455660", "label": "Zentrale"}],
        "contract": _contract(6, "120.00", increment=30, percent=0),
    },
    {
        "number": "10062",
        "name": "Rheinblick Hotel Köln",
        "team": "rot",
        "contact": "david",
        "phones": [{"number": "0221 3344550", "label": "Rezeption"}],
        "contract": _contract(10, "125.00", percent=25, flat="75.00"),
    },
    {
        "number": "10063",
        "name": "Schwabentec Elektronik GmbH",
        "team": "rot",
        "contact": "katharina",
        "phones": [{"number": "0711 5556670", "label": "IT-Leitung"}],
        "contract": _contract(14, "135.00"),
    },
]
# Each customer's JourFixe: weekday, time, every so many weeks, and from which week (relative
# to the demo week) the rhythm counts. Müller & Söhne meets every second Tuesday at 10:00, the
# last time in the week before the demo week, the next time in the week after it.
JOURFIXE = {
    "10042": ("Tue", "10:00", 2, -1), "10043": ("Thu", "09:00", 4, -2),
    "10044": ("Wed", "14:00", 2, 0), "10045": ("Mon", "08:30", 4, -3),
    "10050": ("Mon", "10:00", 1, 0), "10051": ("Fri", "13:00", 4, -1),
    "10052": ("Tue", "08:00", 2, 0), "10053": ("Wed", "15:00", 4, 0),
    "10060": ("Fri", "11:00", 2, -1), "10061": ("Wed", "09:30", 4, -2),
    "10062": ("Mon", "14:00", 2, 0), "10063": ("Thu", "10:30", 2, 0),
}  # fmt: skip
GL_WEEKS = (-23, 2)  # the GL-JourFixes: half a year apart, the next one two weeks ahead


def _jourfixe(number: str, monday: date) -> dict[str, Any]:
    """A customer's JourFixe rhythm and GL-JourFixe dates for the demo week of `monday`."""
    day, at, every, week = JOURFIXE[number]
    thursday = [monday + timedelta(weeks=w, days=3) for w in GL_WEEKS]
    return {
        "jourfixe": {"weekday": day, "time": at, "every_weeks": every,
                     "start": (monday + timedelta(weeks=week)).isoformat(), "minutes": 120},
        "gl_jourfixe": [f"{d.isoformat()}T14:00" for d in thursday],
    }  # fmt: skip


# Appointment slots (start, end, title, on site), wall-clock times of the demo's zone.
SLOTS = [
    ("09:00", "12:00", "JourFixe", True),
    ("13:00", "15:00", "Serverwartung (remote)", False),
    ("10:00", "12:30", "Netzwerk-Umbau", True),
    ("14:00", "16:30", "Arbeitsplatz-Rollout", True),
]


# Regular support and project work of the weeks before the demo week (hotline/hours.py):
# (days after the demo week's Monday, engineer, customer, minutes, topic, ticket, billable)
HOURS = [
    (-21, "jonas", "10042", 90, "Drucker Empfang tauscht Papierfach", "T-2026-1101", True),
    (-20, "jonas", "10042", 45, "Neuer Benutzer Buchhaltung", "T-2026-1107", True),
    (-17, "anna", "10042", 120, "JourFixe: Planung Server-Migration", "T-2026-1110", True),
    (-14, "lena", "10043", 60, "Kassensystem Update", "T-2026-1121", True),
    (-13, "tobias", "10044", 75, "Scanner-Profile Sekretariat", "T-2026-1125", True),
    (-10, "jonas", "10045", 30, "Kulanz: Passwort zurückgesetzt", "T-2026-1130", False),
    (-7, "julia", "10050", 240, "Projekt WLAN Halle 3", "P-2026-017", True),
    (-6, "felix", "10051", 50, "Praxissoftware Backup geprüft", "T-2026-1141", True),
    (-3, "jonas", "10042", 150, "Firewall-Regeln Außendienst", "T-2026-1150", True),
    (0, "anna", "10042", 60, "Angebot Server-Migration abgestimmt", "T-2026-1150", True),
]


def _hours(session: Session, monday: date, at: datetime) -> None:
    """The demo's regular hours, each entered once (again after a second seed: none)."""
    from sqlalchemy import select

    from hotline import hours
    from hotline.models import Customer, Engineer

    engineers = {e.key: e for e in session.scalars(select(Engineer))}
    customers = {c.number: c for c in session.scalars(select(Customer))}
    for offset, key, number, minutes, topic, ticket, billable in HOURS:
        day = monday + timedelta(days=offset)
        if hours.find(session, ticket, day, engineers[key]) is not None:
            continue
        work = hours.Work(customers[number], engineers[key], day, minutes, topic, ticket, billable)
        try:
            hours.add(session, work, "seed-demo", at, source="import")
        except hours.HoursError:
            continue  # a closed month or a day still to come: the demo leaves it out


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def zammad(url: str) -> dict[str, Any]:
    """The demo's ticket system: a Zammad (`flask zammad-standin` plays one locally) told of
    every ticket; its token and signing secret are settings the directory only names."""
    return {
        "key": "zammad",
        "url": url,
        "format": "zammad",
        "secret": "HOTLINE_WEBHOOK_ZAMMAD_SECRET",
        "zammad": {
            "token": "HOTLINE_WEBHOOK_ZAMMAD_TOKEN",
            "group": "Hotline",
            "default_customer": "hotline@solutionbar.example",
        },
    }


def directory(now: datetime, ticket_system: str | None = None) -> dict[str, Any]:
    """The demo directory for the week of `now` (an aware instant); `ticket_system`: the URL
    of a Zammad to tell of every ticket."""
    today = clock.local(now, wallclock.zone(ZONE)).date()
    monday = _monday(today)
    engineers = [
        {
            "key": key,
            "name": name,
            "team": team,
            "role": role,
            "mobile": mobile,
            **(
                {"phones": [{"number": LANDLINES[key], "label": "Festnetz"}]}
                if key in LANDLINES
                else {}
            ),
            "email": f"{key}@solutionbar.example",
        }
        for key, name, team, role, mobile in ENGINEERS
    ]
    rotations = []
    for team, _, _ in TEAMS:
        consultants = [e[0] for e in ENGINEERS if e[2] == team and e[3] == "consultant"]
        start = (monday - timedelta(weeks=3)).isoformat()
        rotations += [
            {"team": team, "layer": "primary", "members": consultants, "shift": "1w",
             "handoff": "Mon 08:00", "start": start},
            # the same consultants one week apart: primary and secondary never coincide
            {"team": team, "layer": "secondary", "members": consultants[1:] + consultants[:1],
             "shift": "1w", "handoff": "Mon 08:00", "start": start},
        ]  # fmt: skip
    wednesday = monday + timedelta(days=2)
    next_monday = monday + timedelta(weeks=1)
    by_team = {t: [c["number"] for c in CUSTOMERS if c["team"] == t] for t, _, _ in TEAMS}
    appointments = []
    for day_index in range(10):  # this week's and next week's working days
        day = monday + timedelta(days=day_index + 2 * (day_index // 5))
        for i, (key, _, team, _, _) in enumerate(ENGINEERS):
            if (i + day_index) % 4 == 3:
                continue  # a free day now and then
            start, end, title, onsite = SLOTS[(i + day_index) % len(SLOTS)]
            customers = by_team[team]
            customer = customers[(i + day_index) % len(customers)]
            appointments.append(
                {
                    "key": f"demo-{day.isoformat()}-{key}",
                    "engineer": key,
                    "customer": customer,
                    "start": f"{day.isoformat()}T{start}",
                    "end": f"{day.isoformat()}T{end}",
                    "title": title,
                    "onsite": onsite,
                }
            )
    return {
        "provider": {
            "name": "Solutionbar IT-Service",
            "central_number": "+49 30 9876540",
            "fallback_number": "+49 171 5550000",
            "office_number": "+49 30 9876541",
            "support_email": "support@solutionbar.example",
            "timezone": ZONE,
            "holiday_region": "BE",
            # the cross-team pool rings all at once where the bridge is a conference
            "policy": {
                "levels": [
                    "own-primary",
                    "own-secondary",
                    {"level": "pool", "ring": "simultaneous"},
                    "project-lead",
                    "fallback",
                ]
            },
            **({"webhooks": [zammad(ticket_system)]} if ticket_system else {}),
        },
        "teams": [{"key": k, "name": n, "project_lead": lead} for k, n, lead in TEAMS],
        "engineers": engineers,
        # every customer can be told of a rescheduled appointment
        "customers": [
            {"email": f"it-{c['number']}@kunde.example", **c, **_jourfixe(c["number"], monday)}
            for c in CUSTOMERS
        ],
        "rotations": rotations,
        "overrides": [
            {
                "engineer": "lena",
                "replaces": "jonas",
                "team": "blau",
                "layer": "primary",
                "from": f"{wednesday.isoformat()}T18:00",
                "until": f"{(wednesday + timedelta(days=1)).isoformat()}T08:00",
            }
        ],
        "absences": [
            {
                "engineer": "felix",
                "from": next_monday.isoformat(),
                "until": (next_monday + timedelta(days=4)).isoformat(),
                "reason": "vacation",
            }
        ],
        "appointments": appointments,
    }


def seed(session: Session, week: date | None = None, ticket_system: str | None = None) -> Summary:
    """Load (or refresh) the demo provider through the directory import, for the week of
    `week` (default: this week), so a walk-through with fixed dates can be replayed any day;
    with `ticket_system`, a Zammad at that URL is told of every ticket."""
    at = clock.now()
    if week is not None:
        at = wallclock.instant(datetime.combine(week, time(12)), wallclock.zone(ZONE))
    # the shared reception of 10045 and 10051 is ambiguous on purpose: a warning, confirmed
    summary = import_directory(session, directory(at, ticket_system), accept_warnings=True)
    _hours(session, _monday(clock.local(at, wallclock.zone(ZONE)).date()), at)
    return summary

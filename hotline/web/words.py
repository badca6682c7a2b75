"""The pages' words: German first (the provider's staff are German), English per account.

Texts in templates are written in German and passed through `_()`; `ENGLISH` gives the English
for those that have one (a missing entry shows the German, never an error). `WORDS` names the
states, outcomes and timeline events of a ticket as people read them.
"""

from __future__ import annotations

WORDS: dict[str, str] = {
    "identifying": "Anrufer wird erkannt",
    "confirming": "Notfall wird bestätigt",
    "ringing": "Techniker werden angerufen",
    "voicemail": "Nachricht wird aufgenommen",
    "connected": "verbunden",
    "callback_pending": "Rückruf offen",
    "not_emergency": "kein Notfall",
    "urgent": "dringend (nächste Arbeitszeit)",
    "referred": "ans Büro verwiesen",
    "abandoned": "aufgelegt",
    "lost": "ohne Rückmeldung beendet",
    "blocked": "gesperrte Nummer",
    "accepted": "angenommen",
    "declined": "abgelehnt",
    "no-answer": "nicht erreicht",
    "busy": "besetzt",
    "failed": "nicht erreichbar",
    "not-accepted": "ohne Tastendruck (Mailbox?)",
    "cancelled": "abgebrochen",
    "canceled": "abgebrochen",
    # timeline events (escalation.callflow.Kind and the services' own)
    "arrived": "Anruf eingegangen",
    "identified": "Kunde erkannt",
    "not identified": "Kunde nicht erkannt",
    "customer number entered": "Kundennummer eingegeben",
    "pin entered": "PIN eingegeben",
    "continues unidentified": "weiter ohne Zuordnung",
    "referred to the office": "ans Büro verwiesen",
    "confirmation answered": "Notfallfrage beantwortet",
    "emergency confirmed": "Notfall bestätigt",
    "not an emergency": "kein Notfall",
    "urgent, not an emergency": "dringend, kein Notfall: 3 gedrückt",
    "skipped": "übersprungen",
    "answered": "abgehoben",
    "attempt ended": "Versuch beendet",
    "bridged call ended": "Gespräch beendet",
    "voicemail left": "Nachricht hinterlassen",
    "message left": "Nachricht hinterlassen",
    "call ended": "Anruf beendet",
    "fell to the fallback": "über die Ausfall-Leitung",
    "closed without word from Twilio": "ohne Rückmeldung von Twilio geschlossen",
    "acknowledged": "Rückruf übernommen",
    "resolved": "gelöst",
    "surcharge waived": "Aufschlag erlassen",
    "appointment at risk": "Termin gefährdet",
    "appointment released": "Termin wieder frei",
    "personal data deleted": "personenbezogene Daten gelöscht",
    "pressed nothing": "keine Taste gedrückt",
    "blocked number": "gesperrte Nummer",
    "called again": "erneut angerufen",
    "message left on a repeat call": "Nachricht beim erneuten Anruf",
    "note added": "Notiz hinzugefügt",
    "customer assigned": "Kunde zugeordnet",
}

# What a dispatcher decided on a displaced appointment (escalation/displacement.py DECISIONS).
DECISIONS: dict[str, str] = {
    "kept": "behalten",
    "reassigned": "umbesetzt",
    "rescheduled": "verschoben",
    "cancelled": "abgesagt",
}
# The levels of an escalation chain (escalation/chain.py LEVELS).
LEVELS: dict[str, str] = {
    "own-primary": "eigenes Team",
    "own-secondary": "eigenes Team, zweite Reihe",
    "pool": "teamübergreifend",
    "project-lead": "Projektleitung",
    "fallback": "Ausfallnummer",
}
# The roles of escalation/access.py as the pages name them.
ROLES: dict[str, str] = {
    "admin": "Administration",
    "dispatcher": "Disposition",
    "project_lead": "Projektleitung",
    "engineer": "Techniker",
}

ENGLISH: dict[str, str] = {
    "Anmelden": "Log in",
    "Abmelden": "Log out",
    "E-Mail": "E-mail",
    "Passwort": "Password",
    "Passwort festlegen": "Set password",
    "Anmeldung fehlgeschlagen.": "Login failed.",
    "Bitte melden Sie sich an.": "Please log in.",
    "Ihre Sitzung ist abgelaufen. Bitte melden Sie sich neu an.": (
        "Your session has expired. Please log in again."
    ),
    "Lagebild": "Board",
    "Tickets": "Tickets",
    "Termine": "Appointments",
    "Bereitschaft": "On call",
    "Verzeichnis": "Directory",
    "Stunden": "Hours",
    "Stunden erfassen": "Enter hours",
    "Einträge": "Entries",
    "Datum": "Date",
    "Minuten": "Minutes",
    "Thema": "Topic",
    "Ticket (Ticketsystem)": "Ticket (ticket system)",
    "abrechenbar": "billable",
    "nicht abrechenbar": "not billable",
    "abrechenbar (zählt gegen das Kontingent)": "billable (counts against the quota)",
    "Summen je Kunde": "Sums per customer",
    "Keine Einträge in diesem Monat.": "No entries this month.",
    "Dieser Monat ist abgerechnet: seine Stunden bleiben, wie sie sind.": (
        "This month is billed: its hours stay as they are."
    ),
    "Abrechnung": "Billing",
    "Konten": "Accounts",
    "Sprache": "Language",
    "Kein Zugriff": "No access",
    "Diese Seite ist für Ihre Rolle nicht freigegeben.": "Your role may not open this page.",
    "Zur Startseite": "To the start page",
    "Notdienst": "Emergency line",
    "Link abgelaufen": "Link expired",
    "Link ungültig": "Link not valid",
    # displaced appointments
    "Gefährdete Termine": "Appointments at risk",
    "Kein Termin wartet auf eine Entscheidung.": "No appointment is waiting for a decision.",
    "Die am längsten wartende Entscheidung zuerst. Verschieben und Absagen zeigen vorher die "
    "Nachricht an den Kunden.": (
        "The decision that has waited longest first. Rescheduling and cancelling show the "
        "customer's message first."
    ),
    "Kundennr.": "Customer no.",
    "vor Ort": "on site",
    "gefährdet seit": "at risk since",
    "durch": "by",
    "Notfall": "Emergency",
    "hat schon begonnen": "has already begun",
    "Behalten": "Keep",
    "Absagen …": "Cancel …",
    "Verschieben auf": "Reschedule to",
    "Keine freie Zeit in den nächsten 30 Tagen.": "No free time in the next 30 days.",
    "andere Zeit": "another time",
    "Vorschau …": "Preview …",
    "Umbesetzen (gleiche Zeit)": "Reassign (same time)",
    "an": "to",
    "Niemand aus dem Team ist zu dieser Zeit frei.": "Nobody in the team is free then.",
    "Verschieben": "Reschedule",
    "Absagen": "Cancel",
    "Termin verschieben": "Reschedule appointment",
    "Termin absagen": "Cancel appointment",
    "Bisher": "Until now",
    "Stand": "State",
    "Neu": "New",
    "Nachricht an den Kunden": "The customer's message",
    "E-Mail an": "E-mail to",
    "SMS an": "SMS to",
    "Der Kunde hat weder E-Mail noch SMS-Nummer: er wird nicht benachrichtigt.": (
        "The customer has neither e-mail nor SMS number: they are not told."
    ),
    "Verschieben und Kunden benachrichtigen": "Reschedule and tell the customer",
    "Absagen und Kunden benachrichtigen": "Cancel and tell the customer",
    "Zurück": "Back",
    # the office pages: directory, billing, accounts
    "Kunden": "Customers",
    "Teams": "Teams",
    "Techniker": "Engineers",
    "Zentrale": "Central number",
    "Ausfallnummer": "Fallback number",
    "Büro": "Office",
    "Zeitzone": "Time zone",
    "Gesperrt": "Blocked",
    "Suche": "Search",
    "Suchen": "Search",
    "Kundennummer oder Name": "Customer number or name",
    "alle zeigen": "show all",
    "Keine Kunden gefunden.": "No customers found.",
    "Team": "Team",
    "Ansprechpartner": "Contact",
    "Rufnummern": "Numbers",
    "(Block: alle Durchwahlen)": "(block: every extension)",
    "gesetzt": "set",
    "Dokumentation": "Documentation",
    "Notfall-Hinweise": "Emergency notes",
    "Vertrag": "Contract",
    "Monat": "month",
    "Takt": "increment",
    "mind.": "min.",
    "Aufschlag": "Surcharge",
    "Notfalldauer": "Emergency duration",
    "Kein Vertrag": "No contract",
    "Projektleitung": "Project lead",
    "Feiertage": "Holidays",
    "Name": "Name",
    "Mobil": "Mobile",
    "Rolle": "Role",
    "inaktiv": "inactive",
    "keine": "none",
    "Consultant": "Consultant",
}


def translate(text: str, language: str) -> str:
    return ENGLISH.get(text, text) if language == "en" else text

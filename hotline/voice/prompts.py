"""What callers and engineers hear, in German and English. Short: every second counts.

Texts are plain `str.format` templates; names and numbers go in as values, and the TwiML library
escapes them. Engineers always hear German (they are the provider's own staff).
"""

from __future__ import annotations

from datetime import datetime

TEXTS: dict[str, dict[str, str]] = {
    "greeting": {
        "de": "Guten Tag, {customer}.",
        "en": "Hello, {customer}.",
    },
    "greeting_unknown": {
        "de": "{provider}, Notdienst.",
        "en": "{provider} emergency line.",
    },
    "ask_customer_number": {
        "de": "Bitte geben Sie Ihre Kundennummer ein und drücken Sie danach die Raute-Taste.",
        "en": "Please enter your customer number, followed by the hash key.",
    },
    "customer_number_unknown": {
        "de": "Diese Kundennummer kennen wir nicht.",
        "en": "We do not know this customer number.",
    },
    "nothing_typed": {
        "de": "Wir haben keine Eingabe erhalten.",
        "en": "We did not receive any input.",
    },
    "ask_pin": {
        "de": "Bitte geben Sie Ihre PIN ein und drücken Sie danach die Raute-Taste.",
        "en": "Please enter your PIN, followed by the hash key.",
    },
    "pin_wrong": {
        "de": "Die PIN war nicht richtig.",
        "en": "That PIN was not correct.",
    },
    "confirm": {
        "de": "Notfall? Dann die 1 oder bleiben Sie dran, sonst die 2.",
        "en": "Emergency? Press 1 or stay on the line, otherwise 2.",
    },
    "not_emergency": {
        "de": "Für alle anderen Anliegen legen Sie bitte ein Ticket in unserem Ticketsystem an "
        "oder schreiben an {support}. Wir bearbeiten es beim nächsten JourFixe. "
        "Ein Notfall, der geplante Termine anderer Kunden verdrängt, wird mit Aufschlag "
        "berechnet. Ist es dringend, aber kein Notfall, rufen Sie erneut an und drücken nach "
        "der Frage die 3. Sie können jetzt nach dem Ton eine kurze Nachricht hinterlassen.",
        "en": "For everything else, please open a ticket in our ticket system or write to "
        "{support}. We handle it at the next JourFixe. "
        "An emergency that displaces other customers' appointments is billed with a "
        "surcharge. If it is urgent but not an emergency, call again and press 3 after the "
        "question. You can leave a short message after the tone.",
    },
    "urgent": {
        "de": "Dringend, aber kein Notfall: Wir haben es notiert, geweckt wird niemand. Ihr Team "
        "meldet sich {when}. Bitte sagen Sie nach dem Ton kurz, worum es geht, und Ihre "
        "Rückrufnummer.",
        "en": "Urgent, not an emergency: we have noted it, nobody is woken. Your team will get "
        "back to you {when}. After the tone, please say briefly what it is about and your "
        "call-back number.",
    },
    "urgent_thanks": {
        "de": "Vielen Dank. Ihr Team meldet sich in seiner nächsten Arbeitszeit. Auf Wiederhören.",
        "en": "Thank you. Your team will get back to you in its next working hours. Goodbye.",
    },
    "back_now": {"de": "noch heute", "en": "later today"},
    "back_today": {"de": "heute ab {time} Uhr", "en": "today from {time}"},
    "back_tomorrow": {"de": "morgen ab {time} Uhr", "en": "tomorrow from {time}"},
    "back_day": {
        "de": "am {weekday}, dem {day}. {month}, ab {time} Uhr",
        "en": "on {weekday}, {day} {month}, from {time}",
    },
    "refer": {
        "de": "Wir konnten Sie leider nicht zuordnen. Bitte rufen Sie unser Büro an: {office}.",
        "en": "Sorry, we could not identify you. Please call our office: {office}.",
    },
    "refer_mail": {
        "de": "Wir konnten Sie leider nicht zuordnen. Bitte schreiben Sie an {support}.",
        "en": "Sorry, we could not identify you. Please write to {support}.",
    },
    "connecting": {
        "de": "Ich verbinde.",
        "en": "Connecting you.",
    },
    "reconnecting": {
        "de": "Ich verbinde Sie wieder mit Ihrem Techniker.",
        "en": "Reconnecting you to your engineer.",
    },
    "in_hand": {
        "de": "Ihr Notfall ist bei uns und wird bearbeitet.",
        "en": "We have your emergency and are handling it.",
    },
    "message_waiting": {
        "de": "Ihre Nachricht liegt vor; wir erinnern den Techniker.",
        "en": "We have your message and are reminding the engineer.",
    },
    "another_message": {
        "de": "Nach dem Ton können Sie noch eine Nachricht hinterlassen.",
        "en": "After the tone, you can leave another message.",
    },
    "next_engineer": {
        "de": "Wir versuchen den nächsten Techniker. Bitte bleiben Sie dran.",
        "en": "We are trying the next engineer. Please stay on the line.",
    },
    "hold": {
        "de": "Sie warten seit {waited}. Wir rufen gerade unsere Techniker an. "
        "Bitte bleiben Sie in der Leitung.",
        "en": "You have been waiting for {waited}. We are calling our engineers now. "
        "Please stay on the line.",
    },
    "joining": {
        "de": "Ihr Notfall wird gerade besprochen. Wir schalten Sie dazu.",
        "en": "Your emergency is being discussed right now. We are putting you through.",
    },
    "stranded": {
        "de": "Wir können Sie von hier gerade nicht weiterverbinden. Bitte legen Sie auf und "
        "rufen Sie sofort noch einmal an.",
        "en": "We cannot put you through from here right now. Please hang up and call us "
        "again right away.",
    },
    "hold_first": {
        "de": "Wir rufen gerade unsere Techniker an. Bitte bleiben Sie in der Leitung.",
        "en": "We are calling our engineers now. Please stay on the line.",
    },
    "voicemail": {
        "de": "Im Moment ist kein Techniker erreichbar. Bitte hinterlassen Sie nach dem Ton "
        "Ihren Namen, Ihre Rückrufnummer und eine kurze Beschreibung. Wir rufen zurück.",
        "en": "No engineer is reachable right now. After the tone, please leave your name, "
        "call-back number and a short description. We will call you back.",
    },
    "no_recording": {
        "de": "Wir haben keine Nachricht erhalten. Auf Wiederhören.",
        "en": "We did not receive a message. Goodbye.",
    },
    "thanks": {
        "de": "Vielen Dank. Wir melden uns so schnell wie möglich. Auf Wiederhören.",
        "en": "Thank you. We will get back to you as soon as possible. Goodbye.",
    },
    "goodbye": {"de": "Auf Wiederhören.", "en": "Goodbye."},
    "blocked": {
        "de": "Von dieser Rufnummer nehmen wir keine Anrufe an. Auf Wiederhören.",
        "en": "We do not take calls from this number. Goodbye.",
    },
    "failure": {
        "de": "Entschuldigung, eine technische Störung. Wir verbinden Sie mit unserem Notdienst.",
        "en": "Sorry, we have a technical problem. We are connecting you to our emergency service.",
    },
    # engineers
    "whisper": {
        "de": "Notfall von {customer}, Anrufer {caller}. "
        "Drücken Sie 1 zum Annehmen, 2 zum Ablehnen.",
    },
    "documentation_follows": {"de": "Der Link zur Dokumentation kommt per SMS."},
    "unknown_caller": {"de": "einem nicht identifizierten Anrufer"},
    "whisper_fallback": {
        "de": "Notfall über die Ausfall-Leitung der Hotline. "
        "Drücken Sie 1 zum Annehmen, 2 zum Ablehnen.",
    },
    "accepted": {"de": "Angenommen. Sie werden verbunden."},
    "bridge_accepted": {
        "de": "Angenommen. Sie werden verbunden. Mit der Stern-Taste holen Sie jemanden dazu.",
    },
    "star_menu": {
        "de": "Die 1 holt die nächste Person der Bereitschaft dazu, die 2 die Projektleitung. "
        "Ohne Eingabe geht es zurück ins Gespräch.",
    },
    "pulling": {"de": "{who} wird angerufen. Zurück ins Gespräch."},
    "nobody_to_pull": {"de": "Es ist niemand dafür erreichbar. Zurück ins Gespräch."},
    "back_in": {"de": "Zurück ins Gespräch."},
    "a_colleague": {"de": "Ein Kollege"},
    "warm_whisper": {
        "de": "Notfall von {customer}, Anrufer {caller}. {colleague} bittet Sie in das "
        "laufende Gespräch. Drücken Sie 1 zum Beitreten.",
    },
    "taken": {"de": "Dieser Notfall ist bereits angenommen oder beendet. Danke."},
    # engineers, after a voicemail: the re-page and the call-back (escalation/repage.py,
    # escalation/callback.py)
    "repage": {
        "de": "Notdienst: Nachricht von {customer}, Anrufer {caller}, vor {ago}, noch nicht "
        "übernommen. Die 1 spielt sie ab, die 2 übernimmt den Rückruf, die 3 gibt weiter.",
    },
    "repage_passed": {"de": "Danke. Wir rufen die nächste Person an."},
    "repage_taken": {"de": "Den Rückruf hat bereits jemand übernommen. Danke."},
    "callback_menu": {
        "de": "Rückruf zu Notfall {ticket}: {customer}, Nummer {number}. Die 1 verbindet Sie "
        "jetzt; der Kunde sieht die Nummer der Hotline.",
    },
    "callback_none": {"de": "Für diesen Notfall ist keine Rückrufnummer bekannt. Danke."},
    "callback_done": {"de": "Rückruf beendet. Danke."},
    "callback_unreached": {
        "de": "Der Kunde war nicht erreichbar. Auf der Ticketseite können Sie es erneut versuchen.",
    },
    "engineer_failure": {
        "de": "Entschuldigung, eine technische Störung. Bitte öffnen Sie den Notfall über den "
        "Link in der SMS.",
    },
}

LANGUAGES = {"de": "de-DE", "en": "en-GB"}
WEEKDAYS = {
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
MONTHS = {
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
           "Oktober", "November", "Dezember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}  # fmt: skip


def when_back(back: datetime, now: datetime, at_work: bool, language: str) -> str:
    """When the team takes an urgent request up, as the caller hears it: `back` and `now` are
    wall-clock times of the provider's zone."""
    language = language if language in WEEKDAYS else "de"
    if at_work:
        return text("back_now", language)
    time = f"{back.hour}:{back.minute:02d}"
    days = (back.date() - now.date()).days
    if days == 0:
        return text("back_today", language, time=time)
    if days == 1:
        return text("back_tomorrow", language, time=time)
    return text("back_day", language, weekday=WEEKDAYS[language][back.weekday()],
                day=str(back.day), month=MONTHS[language][back.month - 1], time=time)  # fmt: skip


def waited(seconds: int, language: str) -> str:
    """A waiting time as the hold announcement says it: "40 Sekunden", "einer Minute"."""
    english = language == "en"
    if seconds < 60:
        tens = max(10, seconds // 10 * 10)
        return f"{tens} seconds" if english else f"{tens} Sekunden"
    if seconds < 120:
        return "one minute" if english else "einer Minute"
    return f"{seconds // 60} minutes" if english else f"{seconds // 60} Minuten"


def text(name: str, language: str = "de", **values: str) -> str:
    variants = TEXTS[name]
    return variants.get(language, variants["de"]).format(**values)


def seconds_to_say(spoken: str) -> float:
    """Rough speaking time of a prompt (about 14 characters a second), for the simulator."""
    return round(len(spoken) / 14, 1)

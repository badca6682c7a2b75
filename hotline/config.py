"""Settings: one place, one list.

Order of precedence (later wins): the defaults below, `instance/settings.py`, the environment,
and the `config` mapping given to `create_app()` (tests). Secrets that are missing on the
embedded default (the Flask secret key and, without a Twilio account, the webhook auth token)
are generated once and kept in `instance/secrets.json`, which git ignores.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path
from typing import Any

# name: (default, converter, what it is)
SETTINGS: dict[str, tuple[Any, type, str]] = {
    "DATABASE_URL": (None, str, "SQLAlchemy URL; default SQLite at instance/hotline.db"),
    "PORT": (5000, int, "port of the web server (`flask --app hotline serve`, `bin/serve`)"),
    "HOTLINE_WEB_THREADS": (48, int, "threads of the web server answering requests"),
    "HOTLINE_DB_POOL": (10, int, "database connections a process keeps = voice webhooks at once"),
    "HOTLINE_DB_OVERFLOW": (10, int, "connections a process may open beyond its pool at a peak"),
    "HOTLINE_CONNECTIONS_PER_CLIENT": (64, int, "connections one address may hold (0: any)"),
    "HOTLINE_DEVELOPMENT": (False, bool, "a demo run: demo accounts, generated secrets, http://"),
    "HOTLINE_CLOCK_START": (None, str, "development only: the clock starts at this ISO time"),
    "SECRET_KEY": (None, str, "Flask secret; generated into instance/secrets.json if unset"),
    "TWILIO_ACCOUNT_SID": (None, str, "Twilio account SID; without it SMS are logged, not sent"),
    "TWILIO_AUTH_TOKEN": (None, str, "Twilio auth token: signs every webhook (generated if unset)"),
    "TWILIO_API_URL": (None, str, "Twilio's REST API base; a local stand-in's URL in tests/demos"),
    "HOTLINE_BRIDGE": ("policy", str, "'policy' (the directory's), or 'dial'/'conference' for all"),
    "HOTLINE_DIALER_THREAD": (True, bool, "place REST calls in a thread right after a request"),
    "HOTLINE_HOLD_MUSIC": (
        "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3",
        str,
        "what a caller in the conference hears between announcements",
    ),
    "HOTLINE_PUBLIC_URL": (None, str, "base URL Twilio calls, e.g. https://hotline.example.de"),
    "HOTLINE_FALLBACK_NUMBER": (None, str, "last-resort number; overrides the directory's"),
    "HOTLINE_SMS_FROM": (None, str, "sender of SMS; default the central number"),
    "HOTLINE_RING_TIMEOUT": (20, int, "seconds each engineer's phone rings (Twilio adds 5)"),
    "HOTLINE_WHISPER_TIMEOUT": (10, int, "seconds an engineer has to press 1 or 2"),
    "HOTLINE_VOICE_DEADLINE": (4.0, float, "seconds a voice webhook may take before the fallback"),
    "HOTLINE_MAX_HOLD": (240, int, "seconds a caller waits for an engineer before voicemail"),
    "HOTLINE_VOICEMAIL_MAX": (120, int, "maximum voicemail length in seconds"),
    "HOTLINE_VOICE_DE": (None, str, "Twilio voice for German, e.g. Polly.Vicki-Neural"),
    "HOTLINE_VOICE_EN": (None, str, "Twilio voice for English, e.g. Polly.Amy-Neural"),
    "HOTLINE_UNIDENTIFIED": ("pool", str, "unidentified callers: 'pool' (cross-team) or 'refer'"),
    "HOTLINE_REANNOUNCE_MINUTES": (15, int, "re-send unacknowledged voicemail alerts every N min"),
    "HOTLINE_REPAGE_MINUTES": (10, int, "call the chain about a voicemail not taken in N min"),
    "HOTLINE_REPAGE_ROUNDS": (2, int, "re-page rounds through the chain before the lead"),
    "HOTLINE_SMTP_HOST": (None, str, "SMTP server for e-mail; without it e-mail is logged"),
    "HOTLINE_SMTP_PORT": (25, int, "SMTP port"),
    "HOTLINE_SMTP_USER": (None, str, "SMTP user"),
    "HOTLINE_SMTP_PASSWORD": (None, str, "SMTP password"),
    "HOTLINE_SMTP_STARTTLS": (False, bool, "use STARTTLS"),
    "HOTLINE_MAIL_FROM": ("hotline@localhost", str, "sender address of e-mail"),
    "HOTLINE_RETENTION_DAYS": (90, int, "delete caller numbers and voicemails after N days"),
    "HOTLINE_LINK_DAYS": (3, int, "days a ticket link in an SMS or e-mail opens its ticket"),
    "HOTLINE_SESSION_IDLE_MINUTES": (120, int, "a login ends after this long without a request"),
    "HOTLINE_SESSION_HOURS": (12, int, "a login ends this long after it began"),
    "HOTLINE_METRICS_TOKEN": (None, str, "bearer token for /metrics; unset: loopback only"),
}


def _convert(value: Any, kind: type) -> Any:
    if kind is bool and isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return kind(value) if value is not None else None


def load(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The effective settings as a dict for `app.config`."""
    values = {name: default for name, (default, _, _) in SETTINGS.items()}
    sources = dict.fromkeys(SETTINGS, "default")
    file = instance_path / "settings.py"
    if file.exists():
        scope: dict[str, Any] = {}
        exec(compile(file.read_text(), str(file), "exec"), scope)  # noqa: S102 - operator's file
        values.update({k: v for k, v in scope.items() if k.isupper()})
        sources.update({k: "instance/settings.py" for k in scope if k in SETTINGS})
    for name in SETTINGS:
        if name in os.environ:
            values[name] = os.environ[name]
            sources[name] = "environment"
    values.update(overrides or {})
    sources.update({k: "create_app()" for k in overrides or {} if k in SETTINGS})
    for name, (_, kind, _) in SETTINGS.items():
        values[name] = _convert(values[name], kind)

    if not values["DATABASE_URL"]:
        values["DATABASE_URL"] = f"sqlite:///{instance_path / 'hotline.db'}"
    if not values["HOTLINE_PUBLIC_URL"]:
        values["HOTLINE_PUBLIC_URL"] = f"http://localhost:{values['PORT']}"
    values["HOTLINE_PUBLIC_URL"] = values["HOTLINE_PUBLIC_URL"].rstrip("/")
    values["HOTLINE_GENERATED"] = [n for n in ("SECRET_KEY", "TWILIO_AUTH_TOKEN") if not values[n]]
    for name in values["HOTLINE_GENERATED"]:
        values[name] = _generated_secret(instance_path, name)
        sources[name] = "generated (instance/secrets.json)"
    if sources["DATABASE_URL"] == "default":
        sources["DATABASE_URL"] = "default (SQLite in instance/)"
    values["HOTLINE_SOURCES"] = sources
    return values


def _generated_secret(instance_path: Path, name: str) -> str:
    """A secret kept in instance/secrets.json, made on first use (never in the repo)."""
    file = instance_path / "secrets.json"
    stored = json.loads(file.read_text()) if file.exists() else {}
    if name not in stored:
        stored[name] = secrets.token_hex(20)
        instance_path.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps(stored, indent=2))
        file.chmod(0o600)
    return stored[name]


SECRET = (
    "SECRET_KEY", "TWILIO_AUTH_TOKEN", "HOTLINE_SMTP_PASSWORD", "DATABASE_URL",
    "HOTLINE_METRICS_TOKEN",
)  # fmt: skip


def describe(config: dict[str, Any] | None = None) -> str:
    """The settings for `flask --app hotline settings`: each with its default and meaning, and,
    given an app's config, the value in effect and where it came from (secrets shown masked).

    Columns fit the longest name; a value too long for its column gets the line to itself and
    the rest of its row follows on the next line, so no column runs into the next."""
    names = max(len(name) for name in SETTINGS)
    if config is None:
        rows = [
            _row(name, f"{default!s}", text, names, 22)
            for name, (default, _, text) in SETTINGS.items()
        ]
        return "\n".join(rows)
    rows = []
    for name, (_, _, text) in SETTINGS.items():
        source = config["HOTLINE_SOURCES"][name]
        rows.append(_row(name, _masked(name, config.get(name)), f"{source:36} {text}", names, 34))
    return "\n".join(rows)


def _row(name: str, value: str, rest: str, names: int, width: int) -> str:
    if len(value) <= width:
        return f"{name:{names}} {value:{width}} {rest}"
    return f"{name:{names}} {value}\n{'':{names + width + 1}} {rest}"


def _masked(name: str, value: Any) -> str:
    if value is None or value == "":
        return "(unset)"
    text = str(value)
    if name == "DATABASE_URL":
        return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", text)
    if name in SECRET:
        return text[:4] + "…" if len(text) > 8 else "***"
    return text

"""The central number's configuration at Twilio, and a fallback that Twilio serves itself.

The number's Fallback URL is what Twilio requests when the Voice URL fails. If it pointed at this
host, a dead host, a failed deploy or a broken certificate would take both down, and callers would
hear Twilio's error message. So the fallback TwiML is published as static files on Twilio
Serverless (a service, an environment, protected assets: Twilio checks its own signature before
serving them), and the Fallback URL points there. The documents dial the fallback number
(screened: a key must be pressed, so a voicemail box cannot take the call), then record a
voicemail. Twilio keeps the recording in the account; its status callback goes to this host's
`/voice/fallback-voicemail`, so when the host is alive the voicemail reaches a ticket as any
fallback voicemail does (hotline/voice/fallback.py, the spool).

Static files cannot branch: any key accepts, and a caller whose call with the fallback number
ends while they stay on the line hears the voicemail prompt. The texts are the host's fallback
texts (one wording for both).

Each asset's path carries the hash of its content, so what is deployed is known from the build's
paths alone: a second `twilio-setup` changes nothing, and `check` sees when the published
documents are out of date (the fallback number changed). The assets are fetched with GET: they are
static files, and GET is what static hosting always serves.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from twilio.base.exceptions import TwilioException
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from hotline.voice import fallback as texts

SERVICE = "hotline-fallback"  # unique name of the Serverless service
ENVIRONMENT = "production"
UPLOAD = "https://serverless-upload.twilio.com/v1/Services/{service}/Assets/{asset}/Versions"
BUILD_DEADLINE = 120  # seconds a build may take before twilio-setup gives up
DIAL_TIMEOUT = 30

# The number's fields this deployment sets, in the order they are reported.
FIELDS = (
    ("voice_url", "A call comes in"),
    ("voice_method", "A call comes in, method"),
    ("voice_fallback_url", "Primary handler fails"),
    ("voice_fallback_method", "Primary handler fails, method"),
    ("status_callback", "Call status changes"),
    ("status_callback_method", "Call status changes, method"),
    ("sms_url", "A message comes in"),
    ("sms_method", "A message comes in, method"),
    ("voice_application_sid", "TwiML app (overrides the Voice URL)"),
    ("sms_application_sid", "TwiML app (overrides the SMS URL)"),
)


class SetupError(RuntimeError):
    """Twilio cannot be configured as asked; the message says what to do."""


@dataclass(frozen=True)
class Document:
    name: str
    xml: str

    @property
    def path(self) -> str:
        return f"/{self.name}-{hashlib.sha256(self.xml.encode()).hexdigest()[:12]}.xml"


@dataclass(frozen=True)
class Published:
    url: str  # the Fallback URL: the first document, on the environment's domain
    changed: bool


@dataclass(frozen=True)
class Difference:
    field: str
    label: str
    live: str
    wanted: str


# --- the documents -----------------------------------------------------------------------------


def documents(app: Flask, domain: str, fallback_number: str, central: str) -> list[Document]:
    """The fallback TwiML as Twilio will serve it from `domain`; the entry document first."""
    voice = app.config.get("HOTLINE_VOICE_DE")
    public = app.config["HOTLINE_PUBLIC_URL"]

    def say(response: Any, words: str) -> None:
        response.say(words, language="de-DE", voice=voice)

    def url(document: Document) -> str:
        return f"https://{domain}{document.path}"

    accept = Document("fallback-accept", str(VoiceResponse()))  # empty: the legs are bridged
    done = VoiceResponse()
    say(done, texts.THANKS)
    done.hangup()
    thanks = Document("fallback-thanks", str(done))

    screen = VoiceResponse()
    gather = screen.gather(num_digits=1, timeout=10, action=url(accept), method="GET")
    for _ in range(2):
        say(gather, texts.WHISPER)
    screen.hangup()  # nothing pressed (a voicemail box): not bridged
    whisper = Document("fallback-whisper", str(screen))

    entry = VoiceResponse()
    say(entry, texts.FAILURE)
    dial = entry.dial(timeout=DIAL_TIMEOUT, answer_on_bridge=True, caller_id=central)
    dial.number(fallback_number, url=url(whisper), method="GET")
    say(entry, texts.VOICEMAIL)
    entry.record(
        action=url(thanks), method="GET", max_length=texts.MAX_MESSAGE, finish_on_key="#",
        play_beep=True, recording_status_callback=f"{public}/voice/fallback-voicemail",
        recording_status_callback_method="POST",
    )  # fmt: skip
    say(entry, texts.NOTHING)
    entry.hangup()
    return [Document("fallback", str(entry)), whisper, accept, thanks]


# --- what is live ------------------------------------------------------------------------------


def wanted(app: Flask, fallback_url: str) -> dict[str, str]:
    """The number's fields as this deployment needs them."""
    base = app.config["HOTLINE_PUBLIC_URL"]
    return {
        "voice_url": f"{base}/voice/incoming",
        "voice_method": "POST",
        "voice_fallback_url": fallback_url,
        "voice_fallback_method": "GET",
        "status_callback": f"{base}/voice/status",
        "status_callback_method": "POST",
        "sms_url": f"{base}/sms/incoming",
        "sms_method": "POST",
        "voice_application_sid": "",
        "sms_application_sid": "",
    }


def number(client: Client, central: str) -> Any:
    """The central number's resource in the account, or a `SetupError`."""
    found = client.incoming_phone_numbers.list(phone_number=central, limit=2)
    if not found:
        raise SetupError(
            f"the central number {central} is not a number of Twilio account "
            f"{client.account_sid}: buy or port it there, or correct the directory"
        )
    return found[0]


def differences(live: Any, want: dict[str, str]) -> list[Difference]:
    labels = dict(FIELDS)
    return [
        Difference(field, labels[field], str(getattr(live, field, None) or ""), value)
        for field, value in want.items()
        if str(getattr(live, field, None) or "") != value
    ]


def _find(records: list[Any], unique_name: str) -> Any:
    return next((r for r in records if r.unique_name == unique_name), None)


def deployed(client: Client) -> tuple[str, set[str]] | None:
    """(domain, paths of the deployed build) of the fallback service, or None if not published."""
    service = _find(client.serverless.v1.services.list(), SERVICE)
    if service is None:
        return None
    environment = _find(client.serverless.v1.services(service.sid).environments.list(), ENVIRONMENT)
    if environment is None:
        return None
    return environment.domain_name, _build_paths(client, service.sid, environment.build_sid)


def _build_paths(client: Client, service: str, build: str | None) -> set[str]:
    if not build:
        return set()
    fetched = client.serverless.v1.services(service).builds(build).fetch()
    return {str(version["path"]) for version in fetched.asset_versions or []}


def served(client: Client, url: str, auth_token: str) -> str:
    """The document Twilio serves at `url`, fetched as Twilio fetches a protected asset (GET,
    signed); a `SetupError` when it is not served."""
    signature = RequestValidator(auth_token).compute_signature(url, {})
    response = client.http_client.request(
        "GET", url, headers={"X-Twilio-Signature": signature}, timeout=10
    )
    if response.status_code != 200:
        raise SetupError(f"{url} answers {response.status_code}")
    return str(response.text)


def dialled(xml: str) -> list[str]:
    """The numbers a TwiML document dials (read by the strict parser)."""
    return [(n.text or "").strip() for n in ET.fromstring(xml).iter("Number")]


# --- setting it up -----------------------------------------------------------------------------


def publish(
    client: Client, app: Flask, fallback_number: str, central: str,
    wait: Callable[[float], None] = time.sleep,
) -> Published:  # fmt: skip
    """Publish the fallback documents on Twilio Serverless unless exactly they are deployed."""
    services = client.serverless.v1.services
    service = _find(services.list(), SERVICE) or services.create(
        unique_name=SERVICE, friendly_name="Hotline fallback", include_credentials=False,
        ui_editable=False,
    )  # fmt: skip
    environments = services(service.sid).environments
    environment = _find(environments.list(), ENVIRONMENT) or environments.create(
        unique_name=ENVIRONMENT
    )
    domain = environment.domain_name
    docs = documents(app, domain, fallback_number, central)
    url = f"https://{domain}{docs[0].path}"
    if _build_paths(client, service.sid, environment.build_sid) == {d.path for d in docs}:
        return Published(url, changed=False)

    assets = services(service.sid).assets
    existing = {a.friendly_name: a for a in assets.list()}
    versions = []
    for doc in docs:
        asset = existing.get(doc.name) or assets.create(friendly_name=doc.name)
        versions.append(_upload(client, service.sid, asset.sid, doc))
    build = services(service.sid).builds.create(asset_versions=versions)
    deadline = time.monotonic() + BUILD_DEADLINE
    while build.status != "completed":
        if build.status == "failed" or time.monotonic() > deadline:
            raise SetupError(f"Twilio's build {build.sid} of the fallback {build.status}")
        wait(2)
        build = services(service.sid).builds(build.sid).fetch()
    environments(environment.sid).deployments.create(build_sid=build.sid)
    return Published(url, changed=True)


def _upload(client: Client, service: str, asset: str, doc: Document) -> str:
    """One asset version: a multipart upload, which the REST library has no call for."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in (("Path", doc.path), ("Visibility", "protected"))
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="Content"; '
        f'filename="{doc.path[1:]}"\r\nContent-Type: text/xml\r\n\r\n{doc.xml}\r\n'
        f"--{boundary}--\r\n"
    )
    response = client.request(
        "POST", UPLOAD.format(service=service, asset=asset), data="".join(parts).encode(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )  # fmt: skip
    if response.status_code != 201:
        raise SetupError(f"Twilio refused the upload of {doc.path}: {response.status_code} "
                         f"{response.text[:200]}")  # fmt: skip
    return str(json.loads(response.text)["sid"])


def configure(client: Client, app: Flask, central: str, fallback_url: str) -> list[Difference]:
    """Set the number's fields that differ; returns what was changed (nothing: no request)."""
    live = number(client, central)
    changes = differences(live, wanted(app, fallback_url))
    if changes:
        client.incoming_phone_numbers(live.sid).update(**{c.field: c.wanted for c in changes})
    return changes


def inspect(client: Client, app: Flask, fallback_number: str, central: str) -> list[str]:
    """What is wrong with the live configuration, in words (empty: as twilio-setup leaves it).
    Raises `TwilioException` when Twilio cannot be asked."""
    problems = []
    published = deployed(client)
    if published is None:
        problems.append("the fallback is not published on Twilio: run twilio-setup")
        fallback_url = ""
    else:
        domain, paths = published
        docs = documents(app, domain, fallback_number, central)
        fallback_url = f"https://{domain}{docs[0].path}"
        if paths != {d.path for d in docs}:
            problems.append(
                "the fallback published on Twilio is not this deployment's (the fallback "
                "number or a text changed): run twilio-setup"
            )
        else:
            try:
                dials = dialled(served(client, fallback_url, app.config["TWILIO_AUTH_TOKEN"]))
            except (SetupError, ET.ParseError, TwilioException, OSError) as exc:
                problems.append(f"Twilio does not serve the published fallback: {exc}")
            else:
                if dials != [fallback_number]:
                    problems.append(f"the fallback Twilio serves dials {dials}, not "
                                    f"{fallback_number}")  # fmt: skip
    try:
        live = number(client, central)
    except SetupError as exc:
        return [*problems, str(exc)]
    for change in differences(live, wanted(app, fallback_url or "(published by twilio-setup)")):
        problems.append(f"{change.label}: Twilio has {change.live or '(empty)'!r}, this "
                        f"deployment needs {change.wanted or '(empty)'!r}")  # fmt: skip
    return problems

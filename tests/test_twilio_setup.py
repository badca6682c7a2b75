"""`twilio-setup` points the central number at this deployment and publishes a fallback that
Twilio serves itself; `check` reads it back. Against a Twilio stand-in (tests/twilio_standin.py)
driven by the real twilio REST client, never the real API."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest
from builders import CENTRAL, FALLBACK, small_provider
from conftest import AUTH_TOKEN, PUBLIC_URL
from flask import Flask
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio_standin import TwilioStandIn

from hotline import db, twilio_setup

ACCOUNT = "AC" + "0" * 32


@pytest.fixture
def twilio_account(app: Flask) -> TwilioStandIn:
    standin = TwilioStandIn(ACCOUNT, AUTH_TOKEN, [CENTRAL, "+4930111111"], build_polls=0)
    app.config["TWILIO_HTTP_CLIENT"] = standin
    with app.app_context():
        small_provider(db.session())
        db.session().commit()
    return standin


def run(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def fetch(standin: TwilioStandIn, url: str, signed: bool = True) -> tuple[int, str]:
    """GET an asset the way Twilio fetches a protected one (signed over the URL)."""
    headers = {"X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(url, {})}
    answer = standin.request("GET", url, headers=headers if signed else {})
    return answer.status_code, answer.text


def test_setup_sets_every_url_and_publishes_the_fallback(
    app: Flask, twilio_account: TwilioStandIn
) -> None:
    code, out = run(app, "twilio-setup")
    assert code == 0, out
    live = twilio_account.number(CENTRAL)
    fallback_url = live["voice_fallback_url"]
    assert live | {"voice_fallback_url": "?"} == live | {
        "voice_url": f"{PUBLIC_URL}/voice/incoming", "voice_method": "POST",
        "voice_fallback_url": "?", "voice_fallback_method": "GET",
        "status_callback": f"{PUBLIC_URL}/voice/status", "status_callback_method": "POST",
        "sms_url": f"{PUBLIC_URL}/sms/incoming", "sms_method": "POST",
    }  # fmt: skip
    assert f"fallback published: {fallback_url} (dials {FALLBACK}" in out
    assert f"set A call comes in: https://demo.twilio.com/welcome/voice/ -> {PUBLIC_URL}" in out
    assert twilio_account.number("+4930111111")["voice_url"].startswith("https://demo.twilio")

    # The Fallback URL is on Twilio's own domain, not this host, and served only to Twilio.
    parts = urlsplit(fallback_url)
    assert parts.scheme == "https" and parts.hostname.endswith(".twil.io")
    assert fetch(twilio_account, fallback_url, signed=False)[0] == 403
    status, body = fetch(twilio_account, fallback_url)
    assert status == 200
    entry = ET.fromstring(body)  # strict parser: Twilio must be able to read it
    assert [e.tag for e in entry] == ["Say", "Dial", "Say", "Record", "Say", "Hangup"]
    dial = entry.find("Dial")
    number = dial.find("Number")
    assert number.text == FALLBACK and dial.get("callerId") == CENTRAL
    record = entry.find("Record")
    assert record.get("recordingStatusCallback") == f"{PUBLIC_URL}/voice/fallback-voicemail"
    assert record.get("maxLength") == "120"

    # Every document it names is served too: the screen, the accept, the thanks.
    whisper = ET.fromstring(fetch(twilio_account, number.get("url"))[1])
    assert [e.tag for e in whisper] == ["Gather", "Hangup"]  # no key: not bridged
    accept = ET.fromstring(fetch(twilio_account, whisper.find("Gather").get("action"))[1])
    assert accept.tag == "Response" and len(accept) == 0  # bridged
    thanks = ET.fromstring(fetch(twilio_account, record.get("action"))[1])
    assert [e.tag for e in thanks] == ["Say", "Hangup"]
    for url in (number.get("url"), record.get("action")):
        assert urlsplit(url).hostname == parts.hostname
    assert {v["visibility"] for v in twilio_account.versions.values()} == {"protected"}


def test_a_second_run_changes_nothing_and_says_so(
    app: Flask, twilio_account: TwilioStandIn
) -> None:
    assert run(app, "twilio-setup")[0] == 0
    before = len(twilio_account.requests)
    code, out = run(app, "twilio-setup")
    assert code == 0, out
    assert "fallback unchanged" in out and "nothing changed" in out
    assert [r for r in twilio_account.requests[before:] if r.method != "GET"] == []


def test_a_new_fallback_number_is_published_and_only_the_fallback_url_changes(
    app: Flask, twilio_account: TwilioStandIn
) -> None:
    assert run(app, "twilio-setup")[0] == 0
    app.config["HOTLINE_FALLBACK_NUMBER"] = "+491715559999"
    code, out = run(app, "check")
    assert code == 1
    assert "FAIL  Twilio: the fallback published on Twilio is not this deployment's" in out
    code, out = run(app, "twilio-setup")
    assert code == 0, out
    assert "fallback published" in out
    assert [line for line in out.splitlines() if line.startswith("set ")] == [
        line for line in out.splitlines() if line.startswith("set Primary handler fails:")
    ]
    served = twilio_account.deployed()
    entry = next(xml for path, xml in served.items() if path.startswith("/fallback-") and
                 "<Dial" in xml)  # fmt: skip
    assert ET.fromstring(entry).find("Dial/Number").text == "+491715559999"
    assert run(app, "check")[0] == 0


def test_check_reads_the_live_configuration_back(app: Flask, twilio_account: TwilioStandIn) -> None:
    code, out = run(app, "check")
    assert code == 1
    assert "FAIL  Twilio: the fallback is not published on Twilio: run twilio-setup" in out
    assert "FAIL  Twilio: A call comes in: Twilio has 'https://demo.twilio.com" in out

    assert run(app, "twilio-setup")[0] == 0
    code, out = run(app, "check")
    assert code == 0, out
    assert f"OK    Twilio: {CENTRAL} points here, the fallback Twilio serves dials" in out

    # Someone edits the number in the console: check names the field and both values.
    twilio_account.number(CENTRAL)["voice_url"] = "https://old.example.de/voice"
    twilio_account.number(CENTRAL)["voice_application_sid"] = "AP" + "1" * 32
    code, out = run(app, "check")
    assert code == 1
    assert (
        "FAIL  Twilio: A call comes in: Twilio has 'https://old.example.de/voice', this "
        f"deployment needs '{PUBLIC_URL}/voice/incoming'" in out
    )
    assert "FAIL  Twilio: TwiML app (overrides the Voice URL): Twilio has 'AP111" in out
    code, out = run(app, "twilio-setup")
    assert code == 0 and "set TwiML app (overrides the Voice URL): AP111" in out
    assert twilio_account.number(CENTRAL)["voice_application_sid"] is None
    assert run(app, "check")[0] == 0


def test_a_wrong_auth_token_is_found_by_check(app: Flask, twilio_account: TwilioStandIn) -> None:
    twilio_account.refuse_auth = True
    code, out = run(app, "check")
    assert code == 1, out
    assert "FAIL  Twilio refuses TWILIO_ACCOUNT_SID with this TWILIO_AUTH_TOKEN (401)" in out
    code, out = run(app, "twilio-setup")
    assert code == 1 and "Authenticate" in out


def test_a_central_number_not_in_the_account_is_refused(
    app: Flask, twilio_account: TwilioStandIn
) -> None:
    twilio_account.numbers.clear()
    code, out = run(app, "twilio-setup")
    assert code == 1
    assert f"the central number {CENTRAL} is not a number of Twilio account {ACCOUNT}" in out


def test_setup_refuses_without_an_account_or_https(app: Flask) -> None:
    app.config["HOTLINE_PUBLIC_URL"] = "http://localhost:5000"
    code, out = run(app, "twilio-setup")
    assert code == 1 and "is not an https URL" in out
    app.config["HOTLINE_PUBLIC_URL"] = PUBLIC_URL
    app.config["TWILIO_ACCOUNT_SID"] = None
    code, out = run(app, "twilio-setup")
    assert code == 1 and "TWILIO_ACCOUNT_SID is not set" in out


def test_publishing_waits_for_the_build(app: Flask) -> None:
    standin = TwilioStandIn(ACCOUNT, AUTH_TOKEN, [CENTRAL], build_polls=2)
    waits: list[float] = []
    with app.app_context():
        client = Client(ACCOUNT, AUTH_TOKEN, http_client=standin)
        published = twilio_setup.publish(client, app, FALLBACK, CENTRAL, wait=waits.append)
    assert published.changed and waits == [2, 2]
    (environment,) = standin.environments.values()
    assert standin.builds[environment["build_sid"]]["status"] == "completed"
    uploads = [r for r in standin.requests if "serverless-upload" in r.url]
    assert len(uploads) == 4
    assert {r.data["Content.content_type"] for r in uploads} == {"text/xml"}

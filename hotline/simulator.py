"""A phone call without Twilio: plays the real webhooks the way Twilio would.

Requests are signed with the configured auth token over the public URL, and the simulator follows
the TwiML it gets back: it speaks `<Say>` (by time), answers `<Gather>` with the caller's key
presses, rings the `<Number>` of a `<Dial>` and plays each engineer's behaviour through the
whisper, records a voicemail, and reports the hang-up to the status callback. A simulated clock
moves with the call, so the ticket's times and the hold-time limit are realistic.

Ringing follows Twilio: a `<Dial timeout="20">` rings up to 25 s (Twilio adds 5 s to every
timeout), after the announcement the same document speaks first. The ticket counts an attempt
from the moment the hotline dialled, that announcement included; the simulator prints both.
A scripted hang-up (`hangup_after`) happens at that second of the simulated clock, wherever the
call is: during a prompt, while a phone rings, while talking (Twilio then reports the bridged
seconds to the Dial action) or while leaving a message (the recording so far is kept, as
Twilio's `Digits=hangup`).
"""

from __future__ import annotations

import heapq
import itertools
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from hotline import db, dialer, roster
from hotline.models import RepeatCall, Ticket
from hotline.simulated_twilio import Leg, SimulatedTwilio
from hotline.voice.prompts import seconds_to_say

BEHAVIOURS = ("accept", "decline", "no-answer", "busy", "failed", "voicemail")
RING_BEFORE_ANSWER = 6  # seconds an engineer's phone rings before they pick up
TWILIO_RING_BUFFER = 5  # seconds Twilio rings beyond a <Dial>'s timeout (twilio-facts.md)
ACCOUNT = "AC" + "0" * 32  # the simulated account
HOLD_MUSIC = 20
LONGEST_CALL = (
    4 * 3600
)  # Twilio ends every call after 4 hours  # seconds of music between two hold announcements


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@dataclass
class Script:
    """What the people on the phone do."""

    presses: list[str] = field(default_factory=list)  # answers to the caller's questions, in order
    engineers: dict[str, str] = field(default_factory=dict)  # key (or "fallback") -> behaviour
    default: str = "accept"
    talk: int = 600  # seconds an accepted call lasts
    message: int = 0  # seconds of voicemail the caller leaves (0: none)
    hangup_after: float | None = None  # the caller hangs up at this second of the call
    conference: bool = False  # the bridge is a conference: legs placed by (simulated) REST
    rest_fails: bool = False  # the REST API refuses every new call (the bridge falls back)
    star_after: int | None = None  # the accepting engineer presses * after these seconds
    pull: str = "2"  # then 1 (the next of the chain) or 2 (the project lead)


@dataclass
class Result:
    call_sid: str
    speech_before_ring: float | None
    ticket_id: int | None


def _sid() -> str:
    """A CallSid of Twilio's shape: CA and 32 hex digits."""
    return "CA" + uuid.uuid4().hex


class HungUp(Exception):
    """The scripted caller gives up: the simulator stops following the TwiML."""


class Simulator:
    def __init__(
        self,
        app: Flask,
        clock: Clock,
        script: Script,
        say: Callable[[str], None],
        worker: Callable[[], None] | None = None,
    ) -> None:
        self.app = app
        self.worker = worker  # runs after each webhook, as the worker would within seconds
        self.clock = clock
        self.script = script
        self.say = say
        self.client = app.test_client()
        self.base = app.config["HOTLINE_PUBLIC_URL"]
        self.validator = RequestValidator(app.config["TWILIO_AUTH_TOKEN"])
        self.started = clock()
        self.speech = 0.0
        self.first_ring: float | None = None
        self.presses = list(script.presses)
        self.document_at = clock()  # when the TwiML being played arrived (the ticket's "now")
        self.hung_up_told = False  # the hang-up was told with where the call was
        self.ring_before_answer = RING_BEFORE_ANSWER
        # What happens on other legs meanwhile (the conference bridge): (when, order, what).
        self.events: list[tuple[datetime, int, Callable[[], None]]] = []
        self.order = itertools.count()
        self.twilio: SimulatedTwilio | None = None
        self.conference_over = False  # the caller left the conference

    # --- transport ---------------------------------------------------------------------

    def post(self, url: str, form: dict[str, str]) -> ET.Element | None:
        path = url.removeprefix(self.base)
        parts = urlsplit(path)
        full = self.base + parts.path + (f"?{parts.query}" if parts.query else "")
        signature = self.validator.compute_signature(full, form)
        response = self.client.post(path, data=form, headers={"X-Twilio-Signature": signature})
        if self.worker is not None:
            self.worker()
        if self.twilio is not None:  # the dialer's REST calls, as its thread would send them
            with self.app.app_context(), db.new_session() as session:
                dialer.send(session, self.clock())
        if response.status_code == 204:
            return None
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        return ET.fromstring(response.get_data(as_text=True))

    def stamp(self) -> str:
        seconds = (self.clock() - self.started).total_seconds()
        return f"[{int(seconds // 60):02d}:{seconds % 60:04.1f}]"

    def elapsed(self) -> float:
        return (self.clock() - self.started).total_seconds()

    def wait(self, seconds: float) -> None:
        """Let `seconds` pass (what other legs do meanwhile happens at its time), or only up to
        the scripted hang-up, which then ends the call."""
        limit = self.script.hangup_after
        if limit is not None and self.elapsed() + seconds >= limit:
            self.run_until(self.started + timedelta(seconds=limit))
            raise HungUp
        self.run_until(self.clock() + timedelta(seconds=seconds))

    def schedule(self, seconds: float, what: Callable[[], None]) -> None:
        at = self.clock() + timedelta(seconds=seconds)
        heapq.heappush(self.events, (at, next(self.order), what))

    def run_until(self, until: datetime) -> None:
        while self.events and self.events[0][0] <= until:
            at, _, what = heapq.heappop(self.events)
            self.clock.at = max(self.clock.at, at)
            what()
        self.clock.at = max(self.clock.at, until)

    def drain(self) -> None:
        """After the caller's call: what the other legs still do (stopped phones, hang-ups)."""
        if self.events:
            self.run_until(self.events[-1][0] if len(self.events) == 1 else max(self.events)[0])
        if self.events:
            self.drain()

    def first_ringing(self) -> None:
        if self.first_ring is None:
            self.first_ring = self.speech

    def connected(self, who: str) -> None:
        self.say(f"{self.stamp()} the conference starts: the caller and {who} are connected")

    # --- the call ------------------------------------------------------------------------

    def run(self, from_: str, to: str) -> Result:
        """Play the call. With `conference`, Twilio's REST API is simulated too (the app's
        Twilio client reaches this simulator for the call's duration) and the bridge is a
        conference."""
        if not self.script.conference:
            return self._run(from_, to)
        self.twilio = SimulatedTwilio(self, fails=self.script.rest_fails)
        names = ("TWILIO_ACCOUNT_SID", "TWILIO_HTTP_CLIENT", "TWILIO_API_URL",
                 "HOTLINE_DIALER_THREAD", "HOTLINE_BRIDGE")  # fmt: skip
        saved = {name: self.app.config.get(name) for name in names}
        self.app.config.update(
            TWILIO_ACCOUNT_SID=ACCOUNT, TWILIO_HTTP_CLIENT=self.twilio, TWILIO_API_URL=None,
            HOTLINE_DIALER_THREAD=False, HOTLINE_BRIDGE="conference",
        )  # fmt: skip
        try:
            return self._run(from_, to)
        finally:
            self.app.config.update(saved)

    def _run(self, from_: str, to: str) -> Result:
        self.sid = _sid()
        self.form = {
            "CallSid": self.sid,
            "From": from_,
            "To": to,
            "Direction": "inbound",
            "CallStatus": "in-progress",
            "AccountSid": ACCOUNT,
        }
        self.say(f"{self.stamp()} call from {from_ or '(withheld)'} to {to}, CallSid {self.sid}")
        inside: list[Leg] = []
        try:
            document = self.post("/voice/incoming", self.form)
            while document is not None:
                document = self.play(document)
        except HungUp:
            if not self.hung_up_told:
                self.say(f"{self.stamp()} the caller hangs up")
            if self.twilio is not None and not self.conference_over and self.in_conference:
                inside = self.twilio.caller_left()
        self.post(
            "/voice/status",
            {
                **self.form,
                "CallStatus": "completed",
                "CallDuration": str(int((self.clock() - self.started).total_seconds())),
                "SequenceNumber": "1",
            },
        )
        if self.twilio is not None:
            self.twilio.out(inside)
            self.drain()
        self.say(f"{self.stamp()} call ended")
        with self.app.app_context(), db.new_session() as session:
            ticket_id = session.scalar(
                select(Ticket.id).where(Ticket.call_sid == self.sid)
            ) or session.scalar(  # a repeat call that joined its open ticket without taking it
                select(RepeatCall.ticket_id).where(RepeatCall.call_sid == self.sid)
            )
        return Result(self.sid, self.first_ring, ticket_id)

    def play(self, document: ET.Element) -> ET.Element | None:
        """Run one TwiML document; return the next one, or None when the call is over."""
        self.document_at = self.clock()
        for verb in document:
            if self.twilio is not None and self.twilio.moved_to:  # the hotline moved the call
                moved, self.twilio.moved_to = self.twilio.moved_to, None
                self.say(f"{self.stamp()} the hotline moves the caller on")
                return self.post(moved, self.form)
            if verb.tag == "Say":
                self.hear(verb.text or "")
            elif verb.tag == "Gather":
                for say in verb.iter("Say"):
                    self.hear(say.text or "")
                digits = self.presses.pop(0) if self.presses else ""
                self.say(f"{self.stamp()} caller presses {digits or '(nothing)'}")
                self.wait(2 if digits else float(verb.get("timeout", 5)))
                return self.post(verb.get("action", ""), {**self.form, "Digits": digits})
            elif verb.tag == "Redirect":
                return self.post(verb.text or "", self.form)
            elif verb.tag == "Pause":
                self.wait(float(verb.get("length", 1)))
            elif verb.tag == "Dial" and verb.find("Conference") is not None:
                return self.conference(verb)
            elif verb.tag == "Dial":
                return self.dial(verb)
            elif verb.tag == "Record":
                if self.script.message:
                    return self.record(verb)
                self.say(f"{self.stamp()} caller says nothing after the tone")
                self.wait(5)
            elif verb.tag == "Hangup":
                return None
        return None

    in_conference = False

    def conference(self, verb: ET.Element) -> ET.Element | None:
        """The caller holds in the conference: the wait document (announcement and music)
        until an engineer joins, then the talk, until the hotline moves the caller on."""
        assert self.twilio is not None, "a conference needs the simulated Twilio (conference)"
        twilio, room = self.twilio, verb.find("Conference")
        assert room is not None
        twilio.events = room.get("statusCallback", twilio.events)
        self.in_conference, twilio.moved_to = True, None
        self.say(f"{self.stamp()} the caller enters the conference")
        twilio.conference_event("participant-join", self.sid)
        music_until = self.clock()
        while twilio.moved_to is None:
            if not twilio.started and self.clock() >= music_until and room.get("waitUrl"):
                wait = self.post(room.get("waitUrl", ""), self.form)
                for say in wait.iter("Say") if wait is not None else []:
                    self.say(f"{self.stamp()} caller hears (on hold): {say.text}")
                    self.wait(seconds_to_say(say.text or ""))
                music_until = self.clock() + timedelta(seconds=HOLD_MUSIC)
                continue
            if self.elapsed() > LONGEST_CALL:
                self.told("Twilio ends the call after 4 hours (the hotline never moved it)")
                raise HungUp
            self.wait(1)
        self.in_conference = False
        twilio.conference_event("participant-leave", self.sid)
        moved, twilio.moved_to = twilio.moved_to, None
        self.say(f"{self.stamp()} the hotline moves the caller on")
        return self.post(moved, self.form)

    def record(self, verb: ET.Element) -> ET.Element | None:
        """The caller leaves a message; hanging up ends it, and Twilio still posts what was
        recorded to the action (`Digits=hangup`)."""
        self.say(f"{self.stamp()} caller leaves a {self.script.message} s message")
        began = self.clock()
        try:
            self.wait(self.script.message)
        except HungUp:
            seconds = int((self.clock() - began).total_seconds())
            self.told(f"the caller hangs up after {seconds} s of message")
            if seconds:
                self.post(
                    verb.get("action", ""), {**self.form, **self.recording(seconds, "hangup")}
                )
            raise
        return self.post(
            verb.get("action", ""), {**self.form, **self.recording(self.script.message, "#")}
        )

    def recording(self, seconds: int, digits: str) -> dict[str, str]:
        return {
            "RecordingUrl": f"https://api.twilio.com/sim/{self.sid}",
            "RecordingDuration": str(seconds),
            "Digits": digits,
        }

    def hear(self, words: str) -> None:
        if not words:
            return
        self.say(f"{self.stamp()} caller hears: {words}")
        seconds = seconds_to_say(words)
        if self.first_ring is None:
            self.speech += seconds
        self.wait(seconds)

    def dial(self, verb: ET.Element) -> ET.Element | None:
        number_el = verb.find("Number")
        assert number_el is not None and number_el.text
        number, whisper = number_el.text, number_el.get("url", "")
        action, timeout = verb.get("action", ""), int(verb.get("timeout", 30))
        who = self.who(number)
        behaviour = self.script.engineers.get(who, self.script.default)
        if self.first_ring is None:
            self.first_ring = self.speech
        rings_from = self.clock()
        self.say(
            f"{self.stamp()} rings {who} at {number} for up to {timeout + TWILIO_RING_BUFFER} s "
            f"(timeout {timeout} s, Twilio adds {TWILIO_RING_BUFFER}): {behaviour}"
        )
        try:
            if behaviour in ("no-answer", "busy", "failed"):
                self.wait(timeout + TWILIO_RING_BUFFER if behaviour == "no-answer" else 2)
                self.rang(f"{who}: {behaviour}", rings_from)
                return self.post(action, {**self.form, "DialCallStatus": behaviour})
            self.wait(RING_BEFORE_ANSWER)
        except HungUp:
            self.hung_up_told = True
            self.rang(f"the caller hangs up while {who}'s phone rings", rings_from)
            raise
        self.rang(f"{who} picks up", rings_from)
        child = {
            "CallSid": _sid(),
            "ParentCallSid": self.sid,
            "From": self.form["To"],
            "To": number,
            "Direction": "outbound-dial",
            "CallStatus": "in-progress",
        }
        screen = self.post(whisper, child)
        bridged = False
        if screen is not None:
            bridged = self.screen(who, behaviour, screen, child)
        talked = 0
        if bridged:
            self.say(f"{self.stamp()} caller and {who} are connected")
            connected = self.clock()
            try:
                self.wait(self.script.talk)
            except HungUp:
                talked = int((self.clock() - connected).total_seconds())
                self.told(f"the caller hangs up after {talked} s with {who}")
                self.post(action, {**self.form, **self.dial_outcome(child, True, talked)})
                raise
            talked = self.script.talk
            self.say(f"{self.stamp()} {who} hangs up after {talked} s")
        return self.post(action, {**self.form, **self.dial_outcome(child, bridged, talked)})

    def dial_outcome(self, child: dict[str, str], bridged: bool, talked: int) -> dict[str, str]:
        """What Twilio posts to the Dial action when the engineer's leg ends."""
        return {
            "DialCallStatus": "completed",
            "DialBridged": "true" if bridged else "false",
            "DialCallSid": child["CallSid"],
            "DialCallDuration": str(talked),
        }

    def told(self, what: str) -> None:
        self.say(f"{self.stamp()} {what}")
        self.hung_up_told = True

    def rang(self, what: str, rings_from: datetime) -> None:
        """How long the phone rang, and the figure the ticket shows: counted from the dial,
        the announcement before it included."""
        ringing = (self.clock() - rings_from).total_seconds()
        announced = (rings_from - self.document_at).total_seconds()
        counted = int(ringing + announced)
        self.say(
            f"{self.stamp()} {what}; the ticket's 'rang {counted} s' is "
            f"{announced:.1f} s announcement + {ringing:.1f} s ringing"
        )

    def screen(self, who: str, behaviour: str, document: ET.Element, child: dict[str, str]) -> bool:
        """The engineer's leg: hear the whisper, press (or not); True when the legs bridge."""
        for verb in document:
            if verb.tag == "Say":
                self.say(f"{self.stamp()}   {who} hears: {verb.text}")
            elif verb.tag == "Gather":
                said = [s.text for s in verb.iter("Say")]
                self.say(f"{self.stamp()}   {who} hears: {said[0] if said else ''}")
                press = {"accept": "1", "decline": "2"}.get(behaviour, "")
                if not press:
                    self.say(f"{self.stamp()}   ({who}'s voicemail answered; nobody presses a key)")
                    self.wait(float(verb.get("timeout", 5)) + 8)
                    continue
                self.say(f"{self.stamp()}   {who} presses {press}")
                self.wait(3)
                after = self.post(verb.get("action", ""), {**child, "Digits": press})
                if after is None:
                    return False
                for say in after.iter("Say"):
                    self.say(f"{self.stamp()}   {who} hears: {say.text}")
                return after.find("Hangup") is None
            elif verb.tag == "Hangup":
                self.say(f"{self.stamp()}   {who}'s leg is hung up")
                return False
        return True  # a document that simply ends bridges the call

    def who(self, number: str) -> str:
        with self.app.app_context(), db.new_session() as session:
            engineer = roster.engineer_with(session, number)  # the mobile or a further phone
        return engineer.key if engineer else "fallback"

"""Twilio's side of a conference-bridge call, for the simulator: its REST API, the legs it
places, and the conference.

A twilio `HttpClient`: the real `twilio.rest.Client` (the dialer's, the SMS sender's) builds
every request, and this answers it the way Twilio's API does. A created call becomes a leg that
rings on the simulator's clock and plays the engineer's behaviour through the real, signed
webhooks: the whisper, the key press, joining the conference, `*`, hanging up. It posts the
leg's status callbacks and the conference's join and leave events, and it moves the caller when
the hotline updates the caller's call with a new URL.
"""

from __future__ import annotations

import json
import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from twilio.http import HttpClient
from twilio.http.response import Response

if TYPE_CHECKING:
    from hotline.simulator import Simulator

RING_BUFFER = 5  # Twilio rings a REST-created call up to its timeout plus these seconds
CALL = re.compile(r"/Calls/(CA\w+)\.json$")


@dataclass
class Leg:
    sid: str
    to: str
    who: str
    behaviour: str
    url: str
    callback: str
    timeout: int
    state: str = "ringing"  # ringing | answered | ended
    answered: datetime | None = None
    in_conference: bool = False
    action: str = ""  # the conference <Dial>'s action (`*`, or the conference ended)
    talking: bool = False  # joined once: the hang-up after the talk is scheduled
    form: dict[str, str] = field(default_factory=dict)


class SimulatedTwilio(HttpClient):
    """Twilio for one simulated call. `fails`: the REST API answers every new call with 500."""

    def __init__(self, sim: Simulator, fails: bool = False) -> None:
        super().__init__(logger=logging.getLogger(__name__), is_async=False)
        self.sim, self.fails = sim, fails
        self.legs: dict[str, Leg] = {}
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self.moved_to: str | None = None  # the caller's call was sent to this URL
        self.started = False  # an engineer is in the conference (it started)
        self.events = ""  # the conference's status callback
        self.count = 0
        self.sequence = 0

    # --- the REST API ----------------------------------------------------------------------

    def request(self, method: str, uri: str, params: Any = None, data: Any = None,
                headers: Any = None, auth: Any = None, timeout: Any = None,
                allow_redirects: bool = False) -> Response:  # fmt: skip
        form = dict(data or {})
        self.requests.append((method, uri, form))
        if method == "POST" and uri.endswith("/Calls.json"):
            if self.fails:
                return Response(500, json.dumps({"code": 20500, "message": "simulated outage"}))
            return Response(201, json.dumps({"sid": self.create(form), "status": "queued"}))
        if method == "POST" and (found := CALL.search(uri)):
            self.update(found.group(1), form)
            return Response(200, json.dumps({"sid": found.group(1)}))
        if method == "POST" and uri.endswith("/Messages.json"):
            self.count += 1
            self.sim.say(f"{self.sim.stamp()} SMS to {form.get('To')}: {form.get('Body')}")
            return Response(201, json.dumps({"sid": f"SM{self.count:032d}", "status": "queued"}))
        return Response(404, json.dumps({"code": 20404, "message": "not simulated"}))

    def create(self, form: dict[str, Any]) -> str:
        self.count += 1
        sid = f"CA{self.count:032d}"
        to = str(form.get("To", ""))
        who = self.sim.who(to)
        behaviour = self.sim.script.engineers.get(who, self.sim.script.default)
        leg = Leg(sid, to, who, behaviour, str(form.get("Url", "")),
                  str(form.get("StatusCallback", "")), int(form.get("Timeout", 60)))  # fmt: skip
        leg.form = {
            "CallSid": sid, "From": str(form.get("From", "")), "To": to,
            "Direction": "outbound-api", "AccountSid": self.sim.form["AccountSid"],
        }  # fmt: skip
        self.legs[sid] = leg
        self.sim.first_ringing()
        self.sim.say(f"{self.sim.stamp()} rings {who} at {to} (placed by the REST API, "
                     f"up to {leg.timeout + RING_BUFFER} s): {behaviour}")  # fmt: skip
        if behaviour == "no-answer":
            self.sim.schedule(leg.timeout + RING_BUFFER, lambda: self.end(leg, "no-answer"))
        elif behaviour in ("busy", "failed"):
            self.sim.schedule(2, lambda: self.end(leg, behaviour))
        else:
            self.sim.schedule(self.sim.ring_before_answer, lambda: self.answer(leg))
        return sid

    def update(self, sid: str, form: dict[str, Any]) -> None:
        if sid == self.sim.sid:
            if form.get("Url"):
                self.moved_to = str(form["Url"])
            return
        leg = self.legs.get(sid)
        if (
            leg is None
            or leg.state == "ended"
            or form.get("Status") not in ("canceled", "completed")
        ):
            return
        self.sim.say(f"{self.sim.stamp()} the hotline stops {leg.who}'s phone")
        self.sim.schedule(0.5, lambda: self.end(leg, "canceled" if leg.state == "ringing"
                                                else "completed"))  # fmt: skip

    # --- a leg -------------------------------------------------------------------------------

    def post(self, url: str, leg: Leg, **more: str) -> ET.Element | None:
        status = "in-progress" if leg.state == "answered" else "ringing"
        return self.sim.post(url, {**leg.form, "CallStatus": status, **more})

    def answer(self, leg: Leg) -> None:
        if leg.state != "ringing":
            return
        leg.state, leg.answered = "answered", self.sim.clock()
        self.sim.say(f"{self.sim.stamp()} {leg.who} picks up")
        self.post(leg.callback, leg, CallStatus="in-progress")
        self.play(leg, self.post(leg.url, leg))

    def play(self, leg: Leg, document: ET.Element | None) -> None:
        """Follow an engineer leg's TwiML (never waits: what comes later is scheduled)."""
        for verb in document if document is not None else []:
            if verb.tag == "Say":
                self.sim.say(f"{self.sim.stamp()}   {leg.who} hears: {verb.text}")
            elif verb.tag == "Gather":
                self.gather(leg, verb)
                return
            elif verb.tag == "Dial" and verb.find("Conference") is not None:
                self.join(leg, verb)
                return
            elif verb.tag == "Hangup":
                break
        self.end(leg, "completed")

    def gather(self, leg: Leg, verb: ET.Element) -> None:
        said = [s.text for s in verb.iter("Say")]
        self.sim.say(f"{self.sim.stamp()}   {leg.who} hears: {said[0] if said else ''}")
        action = verb.get("action", "")
        if "/voice/pull" in action:
            press = self.sim.script.pull
        else:
            press = {"accept": "1", "decline": "2"}.get(leg.behaviour, "")
        if not press:
            self.sim.say(f"{self.sim.stamp()}   ({leg.who}'s voicemail answered; nobody "
                         "presses a key)")  # fmt: skip
            wait = float(verb.get("timeout", 5)) + 8
            self.sim.schedule(wait, lambda: self.end(leg, "completed"))
            return

        def pressed() -> None:
            if leg.state != "answered":
                return
            self.sim.say(f"{self.sim.stamp()}   {leg.who} presses {press}")
            self.play(leg, self.post(action, leg, Digits=press))

        self.sim.schedule(3, pressed)

    def join(self, leg: Leg, dial: ET.Element) -> None:
        conference = dial.find("Conference")
        assert conference is not None
        leg.in_conference, leg.action = True, dial.get("action", "")
        self.events = conference.get("statusCallback", self.events)
        self.sim.say(f"{self.sim.stamp()} {leg.who} joins the conference")
        self.conference_event("participant-join", leg.sid)
        if not self.started:
            self.started = True
            self.sim.connected(leg.who)
            if self.sim.script.star_after is not None:
                self.sim.schedule(self.sim.script.star_after, lambda: self.star(leg))
        if not leg.talking:  # back after `*`: the same conversation goes on
            leg.talking = True
            talk = self.sim.script.talk
            self.sim.schedule(talk, lambda: self.hang_up(leg, talk))

    def star(self, leg: Leg) -> None:
        if not leg.in_conference:
            return
        self.sim.say(f"{self.sim.stamp()} {leg.who} presses * (the caller stays on the line)")
        self.leave(leg)
        self.after_dial(leg)

    def after_dial(self, leg: Leg) -> None:
        """The leg's conference `<Dial>` ended: its action says what next (none: hang up)."""
        if not leg.action:
            self.end(leg, "completed")
            return
        self.play(leg, self.post(leg.action, leg, DialCallStatus="completed"))

    def hang_up(self, leg: Leg, talked: int) -> None:
        if leg.state != "ended" and leg.in_conference:
            self.sim.say(f"{self.sim.stamp()} {leg.who} hangs up after {talked} s")
            self.end(leg, "completed")

    def leave(self, leg: Leg) -> None:
        if leg.in_conference:
            leg.in_conference = False
            self.conference_event("participant-leave", leg.sid)

    def end(self, leg: Leg, status: str) -> None:
        if leg.state == "ended":
            return
        self.leave(leg)
        seconds = int((self.sim.clock() - leg.answered).total_seconds()) if leg.answered else 0
        leg.state = "ended"
        if status != "completed":
            self.sim.say(f"{self.sim.stamp()} {leg.who}: {status}")
        self.sim.post(leg.callback, {**leg.form, "CallStatus": status,
                                     "CallDuration": str(seconds)})  # fmt: skip

    def conference_event(self, event: str, sid: str) -> None:
        if self.events:
            self.sequence += 1  # Twilio numbers a conference's events, and stamps them
            self.sim.post(self.events, {
                "StatusCallbackEvent": event, "CallSid": sid, "ConferenceSid": "CF" + "0" * 32,
                "AccountSid": self.sim.form["AccountSid"], "SequenceNumber": str(self.sequence),
                "Timestamp": self.sim.clock().strftime("%a, %d %b %Y %H:%M:%S +0000"),
            })  # fmt: skip

    def caller_left(self) -> list[Leg]:
        """The caller left the conference: it ends (the caller's endConferenceOnExit). Returns
        the engineers who were in it: their `<Dial>` ends too (`out`)."""
        self.conference_event("participant-leave", self.sim.sid)
        inside = [leg for leg in self.legs.values() if leg.in_conference]
        for leg in inside:
            self.leave(leg)
        return inside

    def out(self, legs: list[Leg]) -> None:
        """Their conference ended: Twilio asks each `<Dial>`'s action what now."""
        for leg in legs:
            self.after_dial(leg)

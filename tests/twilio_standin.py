"""A stand-in for the parts of Twilio that `twilio-setup` and `check` talk to, as a twilio
`HttpClient`: the real `twilio.rest.Client` builds every request, this answers it the way
Twilio's REST API does (JSON field names, list pages, SIDs) and keeps state, so a second run sees
what the first one set. It also serves deployed assets the way a protected asset is served: only
to a request with a valid X-Twilio-Signature. Every request is recorded.

Multipart uploads are read with Python's email parser, independent of how they were written.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from twilio.http import HttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator

API = "https://api.twilio.com/2010-04-01/Accounts/(?P<account>AC\\w+)"
SERVERLESS = "https://serverless.twilio.com/v1/Services"
UPLOAD = "https://serverless-upload.twilio.com/v1/Services"


@dataclass
class Request:
    method: str
    url: str
    data: dict[str, Any]
    params: dict[str, Any] = field(default_factory=dict)


def _camel_to_snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class TwilioStandIn(HttpClient):
    """One account, with the given numbers, an empty Serverless, and `token` as its auth token."""

    def __init__(self, account: str, token: str, numbers: list[str], build_polls: int = 1) -> None:
        super().__init__(logger=logging.getLogger(__name__), is_async=False)
        self.account, self.token = account, token
        self.requests: list[Request] = []
        self.counter = 0
        self.numbers: dict[str, dict[str, Any]] = {}
        for phone in numbers:
            sid = self._sid("PN")
            self.numbers[sid] = {
                "sid": sid, "account_sid": account, "phone_number": phone,
                "voice_url": "https://demo.twilio.com/welcome/voice/", "voice_method": "POST",
                "voice_fallback_url": None, "voice_fallback_method": "POST",
                "status_callback": None, "status_callback_method": "POST",
                "sms_url": "https://demo.twilio.com/welcome/sms/reply", "sms_method": "POST",
                "voice_application_sid": None, "sms_application_sid": None, "trunk_sid": None,
            }  # fmt: skip
        self.services: dict[str, dict[str, Any]] = {}
        self.environments: dict[str, dict[str, Any]] = {}
        self.assets: dict[str, dict[str, Any]] = {}
        self.versions: dict[str, dict[str, Any]] = {}
        self.builds: dict[str, dict[str, Any]] = {}
        self.build_polls = build_polls  # fetches that still say "building"
        self.refuse_auth = False  # answer 401 to everything (a wrong auth token)

    # --- what tests look at --------------------------------------------------------------------

    def writes(self) -> list[Request]:
        return [r for r in self.requests if r.method == "POST"]

    def number(self, phone: str) -> dict[str, Any]:
        return next(n for n in self.numbers.values() if n["phone_number"] == phone)

    def deployed(self) -> dict[str, str]:
        """path -> content of what the environment serves."""
        (environment,) = self.environments.values()
        build = self.builds[environment["build_sid"]]
        return {v["path"]: self.versions[v["sid"]]["content"] for v in build["asset_versions"]}

    # --- the HttpClient ------------------------------------------------------------------------

    def _sid(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter:032x}"

    def request(
        self, method: str, uri: str, params: dict[str, object] | None = None,
        data: Any = None, headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None, timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:  # fmt: skip
        headers = headers or {}
        if isinstance(data, bytes):
            form = self._multipart(headers.get("Content-Type", ""), data)
        else:
            form = dict(data or {})
        self.requests.append(Request(method, uri, form, dict(params or {})))
        host = urlsplit(uri).hostname or ""
        if host.endswith(".twil.io"):
            return self._asset(uri, headers)
        if self.refuse_auth or auth != (self.account, self.token):
            return self._json(401, {"code": 20003, "message": "Authenticate", "status": 401})
        for pattern, handler in self._routes():
            match = re.fullmatch(pattern, uri)
            if match and handler[0] == method:
                return handler[1](form, dict(params or {}), **match.groupdict())
        return self._json(404, {"code": 20404, "message": f"no stand-in for {method} {uri}"})

    def _routes(self) -> list[tuple[str, tuple[str, Any]]]:
        return [
            (f"{API}/IncomingPhoneNumbers.json", ("GET", self._list_numbers)),
            (f"{API}/IncomingPhoneNumbers/(?P<sid>PN\\w+).json", ("POST", self._update_number)),
            (SERVERLESS, ("GET", self._list("services", self.services))),
            (SERVERLESS, ("POST", self._create_service)),
            (
                f"{SERVERLESS}/(?P<service>ZS\\w+)/Environments",
                ("GET", self._children("environments", self.environments)),
            ),  # fmt: skip
            (f"{SERVERLESS}/(?P<service>ZS\\w+)/Environments", ("POST", self._create_env)),
            (
                f"{SERVERLESS}/(?P<service>ZS\\w+)/Assets",
                ("GET", self._children("assets", self.assets)),
            ),  # fmt: skip
            (f"{SERVERLESS}/(?P<service>ZS\\w+)/Assets", ("POST", self._create_asset)),
            (
                f"{UPLOAD}/(?P<service>ZS\\w+)/Assets/(?P<asset>ZH\\w+)/Versions",
                ("POST", self._create_version),
            ),  # fmt: skip
            (f"{SERVERLESS}/(?P<service>ZS\\w+)/Builds", ("POST", self._create_build)),
            (
                f"{SERVERLESS}/(?P<service>ZS\\w+)/Builds/(?P<sid>ZB\\w+)",
                ("GET", self._fetch_build),
            ),
            (
                f"{SERVERLESS}/(?P<service>ZS\\w+)/Environments/(?P<env>ZE\\w+)/Deployments",
                ("POST", self._create_deployment),
            ),  # fmt: skip
        ]

    @staticmethod
    def _json(status: int, body: dict[str, Any]) -> Response:
        return Response(status, json.dumps(body))

    @staticmethod
    def _multipart(content_type: str, body: bytes) -> dict[str, Any]:
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        assert message.is_multipart(), "an upload must be multipart/form-data"
        parts: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            parts[str(name)] = part.get_content()
            if part.get_filename():
                parts[f"{name}.content_type"] = part.get_content_type()
        return parts

    def _page(self, key: str, records: list[dict[str, Any]]) -> Response:
        meta = {"key": key, "page": 0, "page_size": 50, "next_page_url": None,
                "previous_page_url": None, "first_page_url": "", "url": ""}  # fmt: skip
        return self._json(200, {key: records, "meta": meta})

    def _list_numbers(self, form: dict[str, Any], params: dict[str, Any], account: str) -> Response:
        wanted = params.get("PhoneNumber")
        found = [n for n in self.numbers.values() if wanted in (None, n["phone_number"])]
        return self._json(200, {"incoming_phone_numbers": found, "next_page_uri": None,
                                "page": 0, "page_size": 50, "uri": "", "start": 0, "end": 0,
                                "first_page_uri": "", "previous_page_uri": None})  # fmt: skip

    def _update_number(self, form: dict[str, Any], params: dict[str, Any], account: str,
                       sid: str) -> Response:  # fmt: skip
        record = self.numbers[sid]
        for name, value in form.items():
            key = _camel_to_snake(name)
            assert key in record, f"Twilio has no number field {name}"
            record[key] = value or None  # Twilio keeps an emptied field as null
        return self._json(200, record)

    def _list(self, key: str, table: dict[str, dict[str, Any]]) -> Any:
        return lambda form, params: self._page(key, list(table.values()))

    def _children(self, key: str, table: dict[str, dict[str, Any]]) -> Any:
        def answer(form: dict[str, Any], params: dict[str, Any], service: str) -> Response:
            return self._page(key, [r for r in table.values() if r["service_sid"] == service])

        return answer

    def _create_service(self, form: dict[str, Any], params: dict[str, Any]) -> Response:
        assert re.fullmatch(r"[A-Za-z0-9-]{1,50}", form["UniqueName"]), form
        sid = self._sid("ZS")
        self.services[sid] = {"sid": sid, "unique_name": form["UniqueName"],
                              "friendly_name": form.get("FriendlyName")}  # fmt: skip
        return self._json(201, self.services[sid])

    def _create_env(self, form: dict[str, Any], params: dict[str, Any], service: str) -> Response:
        sid = self._sid("ZE")
        name = self.services[service]["unique_name"]
        self.environments[sid] = {
            "sid": sid, "service_sid": service, "unique_name": form["UniqueName"],
            "domain_suffix": None, "domain_name": f"{name}-{self.counter:04d}.twil.io",
            "build_sid": None,
        }  # fmt: skip
        return self._json(201, self.environments[sid])

    def _create_asset(self, form: dict[str, Any], params: dict[str, Any], service: str) -> Response:
        sid = self._sid("ZH")
        self.assets[sid] = {"sid": sid, "service_sid": service,
                            "friendly_name": form["FriendlyName"]}  # fmt: skip
        return self._json(201, self.assets[sid])

    def _create_version(self, form: dict[str, Any], params: dict[str, Any], service: str,
                        asset: str) -> Response:  # fmt: skip
        assert self.assets[asset]["service_sid"] == service
        assert form["Visibility"] in ("public", "protected", "private"), form
        sid = self._sid("ZN")
        self.versions[sid] = {"sid": sid, "service_sid": service, "asset_sid": asset,
                              "path": form["Path"], "visibility": form["Visibility"],
                              "content": form["Content"],
                              "content_type": form.get("Content.content_type")}  # fmt: skip
        public = {k: v for k, v in self.versions[sid].items() if k != "content"}
        return self._json(201, public)

    def _create_build(self, form: dict[str, Any], params: dict[str, Any], service: str) -> Response:
        sids = form["AssetVersions"]
        sids = [sids] if isinstance(sids, str) else list(sids)
        paths = [self.versions[s]["path"] for s in sids]
        assert len(paths) == len(set(paths)), "a build's paths must be unique"
        sid = self._sid("ZB")
        self.builds[sid] = {
            "sid": sid, "service_sid": service, "status": "building",
            "polls": self.build_polls,
            "asset_versions": [{k: v for k, v in self.versions[s].items() if k != "content"}
                               for s in sids],
        }  # fmt: skip
        return self._fetch_build(form, params, service, sid)

    def _fetch_build(self, form: dict[str, Any], params: dict[str, Any], service: str,
                     sid: str) -> Response:  # fmt: skip
        build = self.builds[sid]
        if build["polls"] <= 0:
            build["status"] = "completed"
        build["polls"] -= 1
        return self._json(200 if self.requests[-1].method == "GET" else 201,
                          {k: v for k, v in build.items() if k != "polls"})  # fmt: skip

    def _create_deployment(self, form: dict[str, Any], params: dict[str, Any], service: str,
                           env: str) -> Response:  # fmt: skip
        build = self.builds[form["BuildSid"]]
        assert build["status"] == "completed", "Twilio deploys only a completed build"
        self.environments[env]["build_sid"] = build["sid"]
        return self._json(201, {"sid": self._sid("ZD"), "build_sid": build["sid"],
                                "environment_sid": env})  # fmt: skip

    def _asset(self, uri: str, headers: dict[str, str]) -> Response:
        """A protected asset: served only with Twilio's signature over its URL."""
        parts = urlsplit(uri)
        env = next((e for e in self.environments.values() if e["domain_name"] == parts.hostname),
                   None)  # fmt: skip
        if env is None or not env["build_sid"]:
            return Response(404, "not found")
        build = self.builds[env["build_sid"]]
        for version in build["asset_versions"]:
            if version["path"] == parts.path:
                signature = headers.get("X-Twilio-Signature", "")
                if version["visibility"] != "public" and not RequestValidator(self.token).validate(
                    uri, {}, signature
                ):
                    return Response(403, "forbidden")
                return Response(200, self.versions[version["sid"]]["content"],
                                {"Content-Type": version["content_type"]})  # fmt: skip
        return Response(404, "not found")

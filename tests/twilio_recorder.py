"""A twilio `HttpClient` for tests: records every REST request and never reaches the network.

Give it to the app as `app.config["TWILIO_HTTP_CLIENT"]`; the real `twilio.rest.Client` builds
the requests, so a test sees exactly what Twilio would receive (method, URL, form data).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from twilio.http import HttpClient
from twilio.http.response import Response


@dataclass
class Recorded:
    method: str
    url: str
    data: dict[str, Any]


class RecordingHttpClient(HttpClient):
    """Answers 201 with a fresh SID, or the statuses queued with `fail(...)` first, in order."""

    def __init__(self) -> None:
        super().__init__(logger=logging.getLogger(__name__), is_async=False)
        self.requests: list[Recorded] = []
        self.statuses: list[int] = []

    def fail(self, status: int = 500, times: int = 1) -> None:
        """The next `times` requests get `status` (e.g. 500, or 400 for a bad number)."""
        self.statuses += [status] * times

    def request(
        self,
        method: str,
        uri: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        self.requests.append(Recorded(method, uri, dict(data or {})))
        status = self.statuses.pop(0) if self.statuses else 201
        if status >= 300:
            return Response(status, json.dumps({"code": 20500, "message": f"recorded {status}"}))
        prefix = "CA" if uri.endswith("/Calls.json") else "SM"
        return Response(status, json.dumps({"sid": f"{prefix}{len(self.requests):032d}"}))

    @property
    def sms(self) -> list[dict[str, Any]]:
        """The form data (To, From, Body) of every Messages.json POST, in order."""
        return [r.data for r in self.requests if r.url.endswith("/Messages.json")]

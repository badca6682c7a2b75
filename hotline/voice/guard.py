"""What stands in front of every webhook: the signature check and the never-a-dead-line net.

`X-Twilio-Signature` is checked over the configured public URL plus the path and the raw query
string (never `request.url`, which a proxy or Werkzeug's IRI decoding would change). A handler
that fails answers with safe TwiML for its leg of the call, and the failure is logged with the
CallSid; Twilio never sees a 500.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import Response, abort, current_app, request
from twilio.request_validator import RequestValidator

log = logging.getLogger("hotline.voice")


def public_url() -> str:
    query = request.query_string.decode("ascii", "replace")
    return current_app.config["HOTLINE_PUBLIC_URL"] + request.path + (f"?{query}" if query else "")


def signed() -> bool:
    validator = RequestValidator(current_app.config["TWILIO_AUTH_TOKEN"])
    signature = request.headers.get("X-Twilio-Signature", "")
    return bool(signature) and validator.validate(public_url(), request.form, signature)


def webhook(
    on_failure: Callable[[], Response],
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Verify, then run the handler; on any exception roll back and answer `on_failure()`."""

    def decorate(handler: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(handler)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            if not signed():
                # Twilio signs the URL it calls: if this is every request, HOTLINE_PUBLIC_URL
                # or TWILIO_AUTH_TOKEN is wrong (`flask --app hotline check`).
                log.error(
                    "403: bad or missing X-Twilio-Signature for %s (checked against %s; the "
                    "request came to %s)",
                    request.path,
                    public_url(),
                    request.host_url,
                )
                abort(403)
            try:
                return handler(*args, **kwargs)
            except Exception:
                log.exception(
                    "voice handler %s failed for CallSid=%s; answering with the fallback",
                    request.path,
                    request.form.get("CallSid"),
                )
                _rollback()
                return on_failure()

        return wrapper

    return decorate


def _rollback() -> None:
    from flask import g

    session = g.get("db_session")
    if session is not None:
        try:
            session.rollback()
        except Exception:  # noqa: BLE001 - the database may be gone; the caller comes first
            log.exception("rollback failed")

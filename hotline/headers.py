"""Response headers every answer carries: ticket links hold a token in their query string.

So no answer may leak its URL to another site (Referrer-Policy), be kept by a browser or proxy
(Cache-Control), be framed (X-Frame-Options and the CSP's frame-ancestors), be sniffed into
another type, or run anything but our own files (Content-Security-Policy without
'unsafe-inline'). One policy for every answer: TwiML, audio and calendar clients ignore it, and
a browser that opens a feed or a webhook URL gets the same protection as on a page.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

MAX_BODY = 1024 * 1024  # Twilio's webhooks and the ticket form post a few kilobytes

POLICY = "; ".join(
    [
        "default-src 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        "form-action 'self'",  # does not fall back to default-src
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def secure(response: Response) -> Response:
    """The headers above; `no-store` unless the handler chose its caching (static files)."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Cache-Control", "no-store")
    return response

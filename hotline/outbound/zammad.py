"""An event as Zammad's REST API takes it: the ticket's first event makes a Zammad ticket with
an article, every later one adds an article to it.

- first event: `POST /api/v1/tickets` with `title`, `group`, `customer_id` ("guess:<e-mail>":
  Zammad finds the customer by e-mail, or creates them), `state`, `priority` and the first
  `article` (`subject`, `body`, `content_type`, `type: note`, `internal`); Zammad answers
  201 with the ticket, whose `id` is kept (`Delivery.external_id`);
- a later event: `POST /api/v1/ticket_articles` with that `ticket_id` and the article;
- `emergency.resolved` with `close`: `PUT /api/v1/tickets/<id>` with `state: closed` and the
  article, so the ticket is closed and says why in one request.

Every request carries `Authorization: Token token=<the token the directory names>`. The words
of titles and articles are in hotline/templates/zammad/ (German: the provider's staff read
them), as every text the hotline writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hotline import texts
from hotline.clock import local
from hotline.directory.schema import WebhookEntry as Target
from hotline.directory.schema import ZammadSettings as Zammad

PRIORITY = {"emergency": "3 high", "urgent": "3 high", "message": "2 normal"}


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    json: dict[str, Any]


def request(
    target: Target, event: dict[str, Any], ticket_id: str | None, zone: ZoneInfo
) -> Request:
    """The request for `event` (the generic body); `ticket_id`: the Zammad ticket this
    hotline ticket has already, None for its first event."""
    settings = target.zammad
    assert settings is not None, "a zammad target has zammad settings (the import checks)"
    base = target.url.rstrip("/")
    ticket = event["ticket"]
    subject, text = article(event, zone, first=ticket_id is None)
    note = {"subject": subject, "body": text, "content_type": "text/plain", "type": "note",
            "internal": settings.internal}  # fmt: skip
    if ticket_id is None:
        fields: dict[str, Any] = {
            "title": title(event, zone),
            "group": settings.group,
            "state": "new",
            "priority": PRIORITY.get(ticket["kind"], "2 normal"),
            "article": note,
        }
        customer = customer_of(settings, ticket)
        if customer:
            fields["customer_id"] = f"guess:{customer}"
        return Request("POST", f"{base}/api/v1/tickets", fields)
    if event["event"] == "emergency.resolved" and settings.close:
        return Request("PUT", f"{base}/api/v1/tickets/{ticket_id}",
                       {"state": "closed", "article": note})  # fmt: skip
    return Request("POST", f"{base}/api/v1/ticket_articles", {"ticket_id": int(ticket_id), **note})


def customer_of(settings: Zammad, ticket: dict[str, Any]) -> str | None:
    """The Zammad customer: the directory's mapping for the customer number, else the
    customer's e-mail address, else the default; None leaves it to Zammad (the token's user)."""
    known = ticket.get("customer") or {}
    return (
        settings.customers.get(known.get("number", ""))
        or known.get("email")
        or settings.default_customer
    )


def title(event: dict[str, Any], zone: ZoneInfo) -> str:
    return texts.one_line(texts.render("zammad/title.txt", **_context(event, zone)))[:250]


def article(event: dict[str, Any], zone: ZoneInfo, first: bool = True) -> tuple[str, str]:
    """(subject, body) of the event's article: the first paragraph of its text is the subject;
    the `first` article of a ticket also says who called, when, and where the hotline has it."""
    text = texts.render(f"zammad/{event['event']}.txt", **_context(event, zone), first=first)
    subject, _, body = text.partition("\n\n")
    return texts.one_line(subject)[:250], body.strip() + "\n"


def _context(event: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    def when(iso: str | None) -> str:
        if not iso:
            return "?"
        return f"{local(datetime.fromisoformat(iso), zone):%d.%m.%Y %H:%M}"

    return {"event": event, "ticket": event["ticket"], "when": when}


def ticket_id(answer: Any) -> str | None:
    """The Zammad ticket's id from the answer to a create (a JSON object with `id`)."""
    if isinstance(answer, dict) and isinstance(answer.get("id"), int | str):
        return str(answer["id"])[:64]
    return None

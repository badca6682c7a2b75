"""The texts of SMS and e-mails, rendered from hotline/templates/ (`sms/NAME.txt`,
`email/NAME.txt` and, where there is one, `email/NAME.html`): every message the hotline writes
is composed here, and its words live in the templates, not in code.

An environment of our own rather than Flask's `render_template`: a misspelt name in a template
fails loudly (`StrictUndefined`) instead of sending an SMS with a gap in it, and every value put
into a text is cleaned first (`plain`), so a name typed with a line break can neither split an
SMS into lines nor end an e-mail's subject early and start its body with the rest of the name.
Only `.html` templates escape markup: in a plain text, `<` is a character like any other.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound, select_autoescape
from markupsafe import Markup

from hotline.notify import BREAKS, one_line

# Embeddings, overrides and isolates: a name holding one would turn the rest of a text around.
BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def plain(value: Any) -> Any:
    """A value as a text shows it: control characters and line breaks become spaces and bidi
    controls go; what our own templates made (Markup) is left as it is."""
    if isinstance(value, Markup):
        return value
    text = str(value).translate(BIDI)
    return "".join(" " if unicodedata.category(c) in BREAKS else c for c in text)


ENV = Environment(
    loader=PackageLoader("hotline", "templates"),
    autoescape=select_autoescape(["html"], default_for_string=False),
    undefined=StrictUndefined,
    finalize=plain,
)


def render(name: str, **context: Any) -> str:
    """One template of hotline/templates/ with `context`."""
    return ENV.get_template(name).render(**context)


def sms(name: str, **context: Any) -> str:
    """The SMS `sms/NAME.txt`, on one line: an SMS is one readable text."""
    return one_line(render(f"sms/{name}.txt", **context))


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str | None = None


def email(name: str, **context: Any) -> Email:
    """The e-mail `email/NAME.txt`: its first paragraph is the subject (one line), the rest the
    text; `email/NAME.html`, where it exists, is the HTML alternative."""
    subject, _, text = render(f"email/{name}.txt", **context).partition("\n\n")
    try:
        html_template = ENV.get_template(f"email/{name}.html")
    except TemplateNotFound:
        return Email(one_line(subject), text)
    return Email(one_line(subject), text, html_template.render(**context))

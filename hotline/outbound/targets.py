"""The webhook targets as the directory gives them (`provider.webhooks`, docs/directory.md), and
their secrets, which the directory only names: a secret lives in the environment or in
instance/settings.py, never in the YAML file (it is exported, mailed and kept in git).
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from flask import current_app
from sqlalchemy.orm import Session

from hotline.models import Provider

if TYPE_CHECKING:
    from hotline.directory.schema import WebhookEntry as Target

ALL = "all"  # `events: [all]`, the default: every event of hotline/outbound/events.py
# What a secret's or token's name must look like: a directory (which an admin may upload on a
# page) can name the webhooks' own settings only, never SECRET_KEY or TWILIO_AUTH_TOKEN, which
# would otherwise go to whatever URL it gives.
PREFIX = "HOTLINE_WEBHOOK_"
NAME = re.compile(PREFIX + r"[A-Z0-9_]{1,48}")


def targets(session: Session) -> list[Target]:
    """The provider's webhook targets, as the import checked and stored them (the schema's
    defaults filled in); none before a directory with `webhooks` is imported."""
    from hotline.directory.schema import WebhookEntry

    provider = Provider.one(session)
    return [WebhookEntry.model_validate(entry) for entry in (provider and provider.webhooks) or []]


def setting(name: str | None) -> str | None:
    """The value of a setting the directory names: the environment wins over
    instance/settings.py, as for every setting (hotline/config.py)."""
    if not name or not NAME.fullmatch(name):
        return None
    return os.environ.get(name) or current_app.config.get(name) or None

"""Outbound webhooks: a ticket system told of every ticket's life (docs/webhooks.md).

- `events`: the events and their deliveries, queued in the transaction of the event (`publish`);
- `targets`: the targets the directory gives (`provider.webhooks`) and the secrets it names;
- `deliver`: the worker sends, signs (`sign`), retries and logs every try;
- `zammad`: the mapping of an event onto Zammad's REST API; `standin`: a local Zammad to try
  it against (`flask zammad-standin`).

Not to be confused with Twilio's webhooks into the hotline (hotline/voice/), which these never
run inside.
"""

from hotline.outbound.events import EVENTS, publish

__all__ = ["EVENTS", "publish"]

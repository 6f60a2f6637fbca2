"""Native webhook deliveries: Standard Webhooks (https://www.standardwebhooks.com).

Body ``{"type", "timestamp", "data"}``; headers ``webhook-id`` (the event id, the same on every
retry, for the receiver's dedupe), ``webhook-timestamp`` (this attempt, Unix seconds) and
``webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`` keyed by the
``whsec_`` secret, signed with the ``standardwebhooks`` package its receivers verify with.
"""

from datetime import datetime
from typing import Any

import orjson
from standardwebhooks import Webhook

from resolvers import events as event_data

USER_AGENT = "passgate-webhooks/1"


def wire(event: Any, hook: Any, secret: str, now: datetime) -> tuple[dict[str, str], bytes]:
    at = event.occurred_at
    body = orjson.dumps({
        "type": event.type,
        "timestamp": at.isoformat().replace("+00:00", "Z"),
        "data": event_data.present(event.type, event.data, at),
    })
    signature = Webhook(secret).sign(event.id, now, body.decode())
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": event.id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }, body

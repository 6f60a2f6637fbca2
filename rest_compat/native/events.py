"""Native webhook deliveries: Standard Webhooks (https://www.standardwebhooks.com).

Body ``{"type", "timestamp", "data"}``, signed as ``resolvers.delivery.standard_webhook_headers``
says, with the event id as ``webhook-id``.
"""

from datetime import datetime
from typing import Any

import orjson

from resolvers import events as event_data
from resolvers.delivery import standard_webhook_headers


def wire(event: Any, hook: Any, secret: str, now: datetime) -> tuple[dict[str, str], bytes]:
    at = event.occurred_at
    body = orjson.dumps({
        "type": event.type,
        "timestamp": at.isoformat().replace("+00:00", "Z"),
        "data": event_data.present(event.type, event.data, at),
    })
    return standard_webhook_headers(event.id, body, secret, now), body

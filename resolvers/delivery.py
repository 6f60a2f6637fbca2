"""Outbound webhook requests: one signed POST, and the answer reduced to what a caller needs.

Kept apart from the webhook rules so the delivery worker and ``verifyWebhook`` send exactly
the same bytes and headers. A receiver checks the signature against the raw body,
so the body is signed and sent as the same bytes, never re-encoded in between.
"""

import hashlib
import hmac
from datetime import datetime

from standardwebhooks import Webhook

from .outbound import Outbound, Reply

# The first is ours; the second is The Wallet Crew's spelling, so their receivers work as is.
SIGNATURE_HEADERS = ("X-Passgate-Signature", "X-NEOSTORE-SIGNATURE")
USER_AGENT = "passgate-webhooks/1"
TIMEOUT_SECONDS = 5.0


def signature(body: bytes, secret: str) -> str:
    """Lower-case hex HMAC-SHA256 of the raw body (Wallet Crew's format)."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def post_signed(
    client: Outbound, url: str, body: bytes, secret: str, *,
    limit_seconds: float = TIMEOUT_SECONDS,
) -> Reply:
    """POST ``body`` (JSON) to ``url`` with its signature, through the guarded client. Never
    raises for network trouble: an unreachable, slow, misbehaving or refused receiver is an
    outcome (``Reply.error``), not a failure of ours. Redirects are not followed."""
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    headers.update(dict.fromkeys(SIGNATURE_HEADERS, signature(body, secret)))
    return await client.request("POST", url, headers=headers, body=body, timeout=limit_seconds)


def standard_webhook_headers(message_id: str, body: bytes, secret: str,
                             now: datetime) -> dict[str, str]:
    """Standard Webhooks headers for ``body`` (https://www.standardwebhooks.com):
    ``webhook-id`` (the same on every retry, for the receiver's dedupe),
    ``webhook-timestamp`` (this attempt, Unix seconds) and ``webhook-signature: v1,<base64
    HMAC-SHA256 of "{id}.{timestamp}.{body}">`` keyed by the ``whsec_`` secret, signed with
    the ``standardwebhooks`` package its receivers verify with."""
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, now, body.decode()),
    }

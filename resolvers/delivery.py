"""Outbound webhook requests: one signed POST, and the answer reduced to what a caller needs.

Kept apart from the webhook rules so the durable outbox (later) and ``verifyWebhook`` (now)
send exactly the same bytes and headers. A receiver checks the signature against the raw body,
so the body is signed and sent as the same bytes, never re-encoded in between.
"""

import hashlib
import hmac
from dataclasses import dataclass

import aiohttp

# The first is ours; the second is The Wallet Crew's spelling, so their receivers work as is.
SIGNATURE_HEADERS = ("X-Passgate-Signature", "X-NEOSTORE-SIGNATURE")
USER_AGENT = "passgate-webhooks/1"
TIMEOUT_SECONDS = 5.0


def signature(body: bytes, secret: str) -> str:
    """Lower-case hex HMAC-SHA256 of the raw body (Wallet Crew's format)."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one POST went: the HTTP status, or the error that prevented an answer."""

    status: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


async def post_signed(
    url: str, body: bytes, secret: str, *, limit_seconds: float = TIMEOUT_SECONDS
) -> Attempt:
    """POST ``body`` (JSON) to ``url`` with its signature. Never raises for network trouble:
    an unreachable, slow or misbehaving receiver is an outcome, not a failure of ours.
    Redirects are not followed: a receiver must answer at the URL it registered."""
    sig = signature(body, secret)
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    headers.update(dict.fromkeys(SIGNATURE_HEADERS, sig))
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=limit_seconds)) as session,
            session.post(url, data=body, headers=headers, allow_redirects=False) as resp,
        ):
            return Attempt(resp.status)
    except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
        return Attempt(None, f"{type(exc).__name__}: {exc}"[:500])

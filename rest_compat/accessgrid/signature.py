"""AccessGrid request signatures: ``hex(HMAC-SHA256(secret, base64(payload)))``.

The payload is the raw request body as sent when there is one; otherwise (GET, DELETE, a POST
without a body) it is the ``sig_payload`` query parameter, or ``{}`` when that is absent.
The body is checked byte for byte, never re-serialised.
"""

import base64
import hashlib
import hmac

NO_BODY_METHODS = ("GET", "DELETE", "HEAD")


def signed_payload(method: str, query_sig_payload: str | None, raw_body: bytes) -> bytes:
    if method not in NO_BODY_METHODS and raw_body.strip():
        return raw_body
    return (query_sig_payload if query_sig_payload is not None else "{}").encode()


def sign(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), base64.b64encode(payload), hashlib.sha256).hexdigest()


def verify(secret: str, signature: str, payload: bytes) -> bool:
    return bool(signature) and hmac.compare_digest(sign(secret, payload), signature.lower())

"""schemathesis hooks for tests/test_openapi_schemathesis.py (loaded by ``SCHEMATHESIS_HOOKS``).

AccessGrid requests are signed as its SDKs sign them, independently of the server's code:
``X-PAYLOAD-SIG = hex HMAC-SHA256(secret, base64(payload))`` where the payload is the body as
sent, or for a bodiless request the ``sig_payload`` query parameter ``{"id": "<id>"}`` naming
the path's resource (the last segment, or the one before an action word). The signature is
computed on the prepared request (a ``requests`` auth), so it covers the exact bytes sent.
"""

import base64
import hashlib
import hmac
import json
import os
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit, urlunsplit

import requests
import schemathesis

SECRET_ENV = "PASSGATE_ST_ACCESSGRID_SECRET"
ACTIONS = ("suspend", "resume", "unlink", "delete", "publish", "verify")


class AccessGridSignature(requests.auth.AuthBase):
    def __init__(self, secret: str) -> None:
        self.secret = secret

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        if "X-PAYLOAD-SIG" not in r.headers:  # a case testing a missing signature
            return r
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode()
        if r.method not in ("GET", "DELETE", "HEAD") and body.strip():
            payload = body
        else:
            url = urlsplit(r.url or "")
            parts = [unquote(p) for p in url.path.strip("/").split("/")]
            rid = parts[-2] if len(parts) >= 2 and parts[-1] in ACTIONS else parts[-1]
            signed = json.dumps({"id": rid})
            kept = [p for p in url.query.split("&") if p and not p.startswith("sig_payload=")]
            r.url = urlunsplit(url._replace(
                query="&".join([*kept, urlencode({"sig_payload": signed})])))
            payload = signed.encode()
        r.headers["X-PAYLOAD-SIG"] = hmac.new(self.secret.encode(), base64.b64encode(payload),
                                              hashlib.sha256).hexdigest()
        return r


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    secret = os.environ.get(SECRET_ENV)
    if secret:
        kwargs["auth"] = AccessGridSignature(secret)

"""AccessGrid request signatures: ``hex(HMAC-SHA256(secret, base64(payload)))``.

The payload is the raw request body as sent when there is one; otherwise (GET, DELETE, a POST
without a body) it is the ``sig_payload`` query parameter, or ``{}`` when that is absent.
The body is checked byte for byte, never re-serialised.

A signature must also be bound to the request it came with (``binding_problem``): AccessGrid's
SDKs (Python, JavaScript, Ruby, PHP, C#, Java, Go) sign ``{"id": "<id>"}`` where ``<id>`` is
the path's last segment, or the one before an action word (``/v1/key-cards/{id}/suspend``).
On a route that names a resource, that id must be the path's, so a signature captured for
one card authorises nothing on another card or on a listing; ``{}`` is accepted on listings
only (the Java and C# SDKs send it there).
"""

import base64
import hashlib
import hmac
from urllib.parse import unquote

import orjson

NO_BODY_METHODS = ("GET", "DELETE", "HEAD")
ACTIONS = ("suspend", "resume", "unlink", "delete", "publish", "verify")


def signed_payload(method: str, query_sig_payload: str | None, raw_body: bytes) -> bytes:
    if method not in NO_BODY_METHODS and raw_body.strip():
        return raw_body
    return (query_sig_payload if query_sig_payload is not None else "{}").encode()


def sign(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), base64.b64encode(payload), hashlib.sha256).hexdigest()


def verify(secret: str, signature: str, payload: bytes) -> bool:
    return bool(signature) and hmac.compare_digest(sign(secret, payload), signature.lower())


def sdk_id(path: str) -> str:
    """The id the SDKs put in a bodiless request's payload for ``path``."""
    parts = [unquote(p) for p in path.strip("/").split("/")]
    return parts[-2] if len(parts) >= 2 and parts[-1] in ACTIONS else parts[-1]


def _query_without_sig(query_string: str) -> str:
    return "&".join(p for p in query_string.split("&") if not p.startswith("sig_payload="))


def binding_problem(method: str, path: str, query_string: str, resource_id: str | None,
                    payload: bytes, *, from_body: bool) -> str | None:
    """Why ``payload`` (already verified) does not authorise this request, or None.

    ``resource_id``: the id the route's path names (None on listings). A body that is the
    request's content (a create, a PATCH) is bound by what it says; an action's or a read's
    payload must name the path's resource."""
    names_resource = resource_id is not None and sdk_id(path) == resource_id
    acts = method in NO_BODY_METHODS or path.rstrip("/").rsplit("/", 1)[-1] in ACTIONS
    if from_body and not acts:
        return None
    try:
        signed = orjson.loads(payload)
    except orjson.JSONDecodeError:
        signed = None
    signed_id = signed.get("id") if isinstance(signed, dict) else None
    if names_resource:
        if signed_id == resource_id:
            return None
        wanted = f'sign sig_payload {{"id": "{resource_id}"}} (the id in the path)'
        if signed_id is None:
            return f"the signed payload names no resource: {wanted}"
        return f"the signed payload names {str(signed_id)[:100]!r}, not this path's: {wanted}"
    # A listing (or a path the SDKs name by its last word, as /logs): {} or that word; the
    # JavaScript SDK appends the query string it sent ("key-cards?template_id=…"). The id in
    # the path (a template's, for /logs) binds it too.
    expected = sdk_id(path)
    if signed == {} or signed_id in (expected, resource_id or expected) or signed_id == (
        f"{expected}?{_query_without_sig(query_string)}"
    ):
        return None
    return (f'the signed payload does not match this request: sign {{"id": "{expected}"}} '
            "or {} here")

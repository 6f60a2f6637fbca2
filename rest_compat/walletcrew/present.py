"""The Wallet Crew's wire objects and its ProblemDetails errors (RFC 9457, as ASP.NET writes
them: the .NET platform behind The Wallet Crew answers in this shape)."""

from typing import Any

from aiohttp import web

from ..present import iso, raw_id

_RFC9110 = "https://tools.ietf.org/html/rfc9110#section-"
PROBLEMS: dict[int, tuple[str, str]] = {
    400: (_RFC9110 + "15.5.1", "Bad Request"),
    401: (_RFC9110 + "15.5.2", "Unauthorized"),
    403: (_RFC9110 + "15.5.4", "Forbidden"),
    404: (_RFC9110 + "15.5.5", "Not Found"),
    405: (_RFC9110 + "15.5.6", "Method Not Allowed"),
    409: (_RFC9110 + "15.5.10", "Conflict"),
    412: (_RFC9110 + "15.5.13", "Precondition Failed"),
    413: (_RFC9110 + "15.5.14", "Content Too Large"),
    422: (_RFC9110 + "15.5.21", "Unprocessable Content"),
    429: ("https://tools.ietf.org/html/rfc6585#section-4", "Too Many Requests"),
    500: (_RFC9110 + "15.6.1", "Internal Server Error"),
    501: (_RFC9110 + "15.6.2", "Not Implemented"),
}
VALIDATION_TITLE = "One or more validation errors occurred."
# Where passgate keeps a pass's identifiers: inside metadata, the graph's one filterable JSON.
IDENTIFIERS = "identifiers"


def error_body(status: int, code: str, message: str, field: str | None,
               request: web.Request) -> dict[str, Any]:
    """ProblemDetails; a 400 also carries ``errors`` keyed by the field at fault (``$`` for
    the request as a whole, as ASP.NET does), and ``code`` is passgate's error code."""
    kind, title = PROBLEMS.get(status, ("about:blank", "Error"))
    body: dict[str, Any] = {"type": kind, "title": title, "status": status, "detail": message,
                            "instance": request.path, "code": code}
    if status in (400, 412, 422):  # HttpValidationProblemDetails
        if status == 400:
            body["title"] = VALIDATION_TITLE
        body["errors"] = {field or "$": [message]}
    return body


def split_metadata(metadata: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """passgate metadata → (identifiers, metadata) as The Wallet Crew sees them."""
    meta = dict(metadata or {})
    identifiers = meta.pop(IDENTIFIERS) if isinstance(meta.get(IDENTIFIERS), dict) else {}
    return identifiers, meta


def providers(devices: list[dict[str, Any]]) -> dict[str, str]:
    """The date the pass was first installed in each wallet (``{"apple": …}``), from its
    device registrations (oldest first)."""
    out: dict[str, str] = {}
    for device in devices:
        out.setdefault(device["platform"], iso(device["registeredAt"]))
    return out


def pass_(p: dict[str, Any]) -> dict[str, Any]:
    identifiers, metadata = split_metadata(p["metadata"])
    return {
        "id": p["externalId"] or raw_id(p["id"]),  # a moved pass keeps its id
        "secret": p["code"],
        "creationDate": iso(p["createdAt"]),
        "lastUpdateDate": iso(p["updatedAt"]),
        "passType": p["template"]["name"] if p["template"] else None,
        "identifiers": identifiers,
        "metadata": metadata,
        "additionalData": p["attributes"],
        "providers": providers(p["wallet"]["devices"]),
        "status": p["status"].lower(),
    }


def customer(c: dict[str, Any]) -> dict[str, Any]:
    identifiers, metadata = split_metadata(c["attributes"])
    return {
        "id": c["externalId"],
        "identifiers": identifiers,
        "metadata": metadata,
        "creationDate": iso(c["createdAt"]),
        "lastUpdateDate": iso(c["updatedAt"]),
    }


SHORT_WEBHOOK_ID = 5


def short_webhook_id(own: str) -> str:
    """The Wallet Crew's webhook ids are 5 random characters: the last 5 of passgate's
    (``whk_``, 10 characters of time, 16 random ones), which routes take back."""
    return own[-SHORT_WEBHOOK_ID:]


def webhook(w: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": short_webhook_id(raw_id(w["id"]) or ""),
        "endpoint": w["url"],
        "events": w["events"],
        "enabled": w["enabled"],
        "description": w["description"],
        "creationDate": iso(w["createdAt"]),
        "lastUpdateDate": iso(w["updatedAt"]),
    }

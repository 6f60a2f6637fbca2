"""The Wallet Crew's webhook deliveries: ``{id, event, tenantId, date, data}`` with
``X-NEOSTORE-SIGNATURE``, the lower-case hex HMAC-SHA256 of the raw body keyed by the
webhook's signatureSecret (../shared/specs/walletcrew.md, walletcrew-vendor.md).

Event names are ``Category:Action`` (``Pass:Created``). ``data`` is the object in the
dialect's own shape where it has one (a pass as ``GET /passes`` shows it), else the native
object."""

from datetime import datetime
from typing import Any

import orjson

from resolvers import events as event_data
from resolvers.delivery import USER_AGENT, signature

from .present import split_metadata


def _pass(p: dict[str, Any]) -> dict[str, Any]:
    identifiers, metadata = split_metadata(p["metadata"])
    return {
        "id": p["id"], "secret": p["code"], "creationDate": p["created_at"],
        "lastUpdateDate": p["updated_at"], "passType": p["template_id"],
        "identifiers": identifiers, "metadata": metadata, "additionalData": p["attributes"],
        "providers": {}, "status": p["status"],
    }


def _installation(obj: dict[str, Any]) -> dict[str, Any]:
    """Pass:Installed / Pass:Uninstalled: the install hook's parameters (walletcrew.md)."""
    wallet_pass, installation = _pass(obj), obj["installation"]
    return {
        "passId": wallet_pass["id"], "passType": wallet_pass["passType"],
        "identifiers": wallet_pass["identifiers"], "device": installation["platform"],
        "additionalInformation": {
            "activeRegistrationCount": installation["active_registrations"]},
    }


def data_of(event: Any) -> dict[str, Any]:
    obj = event_data.present(event.type, event.data, event.occurred_at)
    if event.type in event_data.INSTALLATION_EVENTS:
        return _installation(obj)
    if event.type == "pass.scanned":
        return {**obj, "pass": _pass(obj["pass"]) if obj["pass"] else None}
    if event.type.startswith("pass."):
        return _pass(obj)
    return obj


def wire(event: Any, hook: Any, secret: str, now: datetime) -> tuple[dict[str, str], bytes]:
    name = event_data.CATALOGUE.get(event.type, (event.type, None))[0]
    body = orjson.dumps({
        "id": event.id,
        "event": name,
        "tenantId": event.tenant_id,
        "date": event.occurred_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "data": data_of(event),
    })
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-NEOSTORE-SIGNATURE": signature(body, secret),
    }, body

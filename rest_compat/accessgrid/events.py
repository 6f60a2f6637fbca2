"""AccessGrid's webhook deliveries: CloudEvents 1.0 in structured mode
(../shared/specs/accessgrid-webhooks.md §2), ``Content-Type: application/cloudevents+json``,
``User-Agent: AccessGrid-Webhooks/1.0`` and, for a ``bearer_token`` subscription,
``Authorization: Bearer <private_key>`` (the secret shown once at creation).

``type`` is AccessGrid's name (``ag.access_pass.issued``…) where its catalogue has one;
other events keep passgate's dotted name. Access-pass ``data`` carries the documented fields
(``access_pass_id``, ``protocol``, ``metadata``, ``card_number``, ``site_code``,
``file_data``) and the SDKs' pass snapshot beside them (``id``, ``state``, ``full_name``…)."""

from datetime import datetime
from typing import Any

import orjson

from resolvers import events as event_data

from .present import STATE

USER_AGENT = "AccessGrid-Webhooks/1.0"


def _access_pass(p: dict[str, Any]) -> dict[str, Any]:
    attrs = p["attributes"] or {}
    return {
        "access_pass_id": p["id"],
        "protocol": attrs.get("protocol"),
        "card_number": attrs.get("card_number"),
        "site_code": attrs.get("site_code"),
        "file_data": attrs.get("file_data"),
        "metadata": p["metadata"],
        "id": p["id"],
        "card_template_id": p["template_id"],
        "state": STATE.get(p["state"].upper(), p["state"]),
        "full_name": p["holder_name"],
        "employee_id": attrs.get("employee_id"),
        "start_date": p["valid_from"],
        "expiration_date": p["valid_until"],
    }


def _template(t: dict[str, Any]) -> dict[str, Any]:
    settings = t.get("settings") or {}
    return {"card_template_id": t["id"], "name": t["name"],
            "protocol": settings.get("protocol"), "platform": settings.get("platform"),
            "metadata": {}}


def data_of(event: Any) -> dict[str, Any]:
    obj = event_data.present(event.type, event.data, event.occurred_at)
    if event.type == "pass.scanned":
        return {**obj, "pass": _access_pass(obj["pass"]) if obj["pass"] else None}
    if event.type in event_data.INSTALLATION_EVENTS:
        # ag.access_pass.devices.added / .removed: the device beside the pass. Apple's
        # registration does not say iPhone or Watch; AccessGrid's enum has no "apple".
        installation = obj["installation"]
        device = {"type": "iphone" if installation["platform"] == "apple" else
                  "android_phone", "id": installation["device_library_id"]}
        return {**_access_pass(obj), "device": device}
    if event.type.startswith("pass."):
        return _access_pass(obj)
    if event.type.startswith("template."):
        return _template(obj)
    return obj


def wire(event: Any, hook: Any, secret: str, now: datetime) -> tuple[dict[str, str], bytes]:
    name = event_data.CATALOGUE.get(event.type, (None, None))[1] or event.type
    body = orjson.dumps({
        "specversion": "1.0",
        "id": event.id,
        "source": "accessgrid",
        "type": name,
        "datacontenttype": "application/json",
        "time": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": data_of(event),
    })
    headers = {"Content-Type": "application/cloudevents+json", "User-Agent": USER_AGENT}
    if hook.auth_method == "bearer_token":
        headers["Authorization"] = f"Bearer {secret}"
    return headers, body

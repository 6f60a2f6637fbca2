"""The native dialect's wire objects: PassQR's snake_case names, extended with the graph's."""

from typing import Any

from ..present import enum_out, iso
from .uuids import out as uuid_out

# PassQR's status vocabulary (active|used|expired|revoked) and ours for the rest.
PASS_STATUS = {
    "ACTIVE": "active", "USED_UP": "used", "EXPIRED": "expired", "DELETED": "revoked",
    "SUSPENDED": "suspended", "UNLINKED": "unlinked", "NOT_YET_VALID": "not_yet_valid",
}
STATUS_FILTER = {wire: graph for graph, wire in PASS_STATUS.items()}

# validatePass reasons as PassQR's results (valid|expired|used|revoked|not_found).
RESULT = {
    None: "valid", "EXPIRED": "expired", "NOT_YET_VALID": "expired", "USED_UP": "used",
    "DELETED": "revoked", "SUSPENDED": "revoked", "UNLINKED": "revoked",
    "NOT_FOUND": "not_found",
}
MESSAGE = {
    None: "Pass is valid", "EXPIRED": "Pass has expired",
    "NOT_YET_VALID": "Pass is not valid yet", "USED_UP": "Pass has already been used",
    "DELETED": "Pass has been revoked", "SUSPENDED": "Pass is suspended",
    "UNLINKED": "Pass has been unlinked", "NOT_FOUND": "Pass not found",
}

# Template kinds, with PassQR's shorter spellings accepted on input.
KINDS = {k.lower(): k for k in (
    "GENERIC", "EVENT_TICKET", "MEMBERSHIP", "COUPON", "BOARDING_PASS", "ACCESS_BADGE",
    "HOTEL_KEY")}
KIND_ALIASES = {**KINDS, "ticket": "EVENT_TICKET", "loyalty": "MEMBERSHIP",
                "badge": "ACCESS_BADGE"}


def pass_(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": uuid_out(p["id"]),
        "code": p["code"],
        "external_id": p["externalId"],
        "type": enum_out(p["type"]),
        "name": p["name"],
        "note": p["note"],
        "template_id": uuid_out(p["templateId"]),
        "customer_id": uuid_out(p["customerId"]),
        "holder_name": p["holderName"],
        "holder_email": p["holderEmail"],
        "holder_phone": p["holderPhone"],
        "status": PASS_STATUS[p["status"]],
        "state": enum_out(p["state"]),
        "uses_count": p["usagesCount"],
        "max_uses": p["maxUsages"],
        "remaining_uses": p["remainingUsages"],
        "valid_from": iso(p["validFrom"]),
        "expires_at": iso(p["validUntil"]),
        "data": p["metadata"],
        "metadata": p["metadata"],
        "attributes": p["attributes"],
        "custom_fields": [
            {"key": f["key"], "value": f["value"], "is_public": f["isPublic"]}
            for f in p["customFields"]
        ],
        "public_url": p["publicUrl"],
        "created_at": iso(p["createdAt"]),
        "updated_at": iso(p["updatedAt"]),
        "last_scanned_at": iso(p["lastScannedAt"]),
    }


def template(t: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": uuid_out(t["id"]),
        "name": t["name"],
        "type": t["kindLabel"] or enum_out(t["kind"]),
        "description": t["description"],
        "color": t["backgroundColor"],
        "foreground_color": t["foregroundColor"],
        "label_color": t["labelColor"],
        "logo_url": t["logoUrl"],
        "icon_url": t["iconUrl"],
        "barcode_format": enum_out(t["barcodeFormat"]),
        "fields": t["fieldLayout"],
        "default_type": enum_out(t["defaultType"]),
        "default_max_uses": t["defaultMaxUsages"],
        "default_valid_from": iso(t["defaultValidFrom"]),
        "default_expires_at": iso(t["defaultValidUntil"]),
        "default_valid_days": t["defaultValidDays"],
        "apple_pass_type_id": t["applePassTypeId"],
        "apple_team_id": t["appleTeamId"],
        "google_issuer_id": t["googleIssuerId"],
        "localizations": t["localizations"],
        "images": [{"image": enum_out(i["image"]), "scale": i["scale"],
                    "file_name": i["fileName"], "width": i["width"], "height": i["height"],
                    "size": i["size"], "sha1": i["sha1"], "url": i["url"]}
                   for i in t["images"]],
        "settings": t["settings"] or {},
        "created_at": iso(t["createdAt"]),
        "updated_at": iso(t["updatedAt"]),
    }


def customer(c: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": uuid_out(c["id"]),
        "external_id": c["externalId"],
        "email": c["email"],
        "name": c["name"],
        "phone": c["phone"],
        "attributes": c["attributes"],
        "created_at": iso(c["createdAt"]),
        "updated_at": iso(c["updatedAt"]),
    }


def scan(s: dict[str, Any]) -> dict[str, Any]:
    reason = s["reason"]
    return {
        "id": uuid_out(s["id"]),
        "pass_id": uuid_out(s["pass"]["id"]) if s["pass"] else None,
        "code": s["code"],
        "result": enum_out(s["result"]),
        "reason": enum_out(reason),
        "message": MESSAGE[reason],
        "scan_id": s["scanId"],
        "device_id": s["deviceId"],
        "location": s["location"],
        "operator_key_id": s["operatorKeyId"],
        "uses_after": s["usagesAfter"],
        "scanned_at": iso(s["scannedAt"]),
    }


def validation(v: dict[str, Any]) -> dict[str, Any]:
    reason, p = v["reason"], v["pass"]
    t = p["template"] if p else None
    return {
        "result": RESULT[reason],
        "message": MESSAGE[reason],
        "valid": v["valid"],
        "reason": enum_out(reason),
        "remaining_uses": v["remainingUsages"],
        "scan_id": uuid_out(v["scan"]["id"]) if v["scan"] else None,
        "pass": pass_(p) if p else None,
        "template": {"id": uuid_out(t["id"]), "name": t["name"],
                     "type": t["kindLabel"] or enum_out(t["kind"]),
                     "color": t["backgroundColor"]} if t else None,
    }


def delivery(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": d["id"], "event_id": d["eventId"], "event_type": d["eventType"],
        "state": enum_out(d["state"]), "attempt_count": d["attempts"],
        "next_attempt_at": iso(d["nextAttemptAt"]), "last_status": d["lastStatus"],
        "last_error": d["lastError"], "created_at": iso(d["createdAt"]),
        "delivered_at": iso(d["deliveredAt"]),
        "attempts": [{"attempt": a["attempt"], "status": a["status"],
                      "latency_ms": a["latencyMs"], "error": a["error"],
                      "response_excerpt": a["responseExcerpt"],
                      "attempted_at": iso(a["attemptedAt"])} for a in d["attemptLog"]],
    }


def listing(items: list[Any], total: int, query: dict[str, Any]) -> dict[str, Any]:
    return {"data": items,
            "meta": {"page": query.get("page", 1), "limit": query.get("limit", 20),
                     "total": total}}

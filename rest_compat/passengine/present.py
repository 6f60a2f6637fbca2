"""PassEngine's wire objects (seed 000): camelCase, times as ``2025-12-31T23:59:59.000Z``."""

from datetime import UTC, datetime
from typing import Any

from ..present import enum_out, raw_id

STATUS = {
    "ACTIVE": "active", "USED_UP": "used", "EXPIRED": "expired", "DELETED": "revoked",
    "SUSPENDED": "suspended", "UNLINKED": "revoked", "NOT_YET_VALID": "active",
}
STATUS_FILTER = {"active": "ACTIVE", "used": "USED_UP", "expired": "EXPIRED",
                 "revoked": "DELETED", "suspended": "SUSPENDED"}
# ScanResult.reason: ok|used|expired|revoked|not_yet_valid.
REASON = {None: "ok", "USED_UP": "used", "EXPIRED": "expired", "DELETED": "revoked",
          "SUSPENDED": "revoked", "UNLINKED": "revoked", "NOT_YET_VALID": "not_yet_valid"}


def when(value: str | None) -> str | None:
    """JavaScript's ``toISOString()`` shape, which PassEngine's examples show."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value).astimezone(UTC)
    # isoformat, not strftime: "%Y" does not pad years before 1000 ("121-03-11…")
    return parsed.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def pass_(p: dict[str, Any], *, listing: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        # A pass moved from PassEngine keeps showing its PassEngine id.
        "id": p["externalId"] or raw_id(p["id"]),
        "code": p["code"],
        "name": p["name"],
        "type": enum_out(p["type"]),
        "status": STATUS[p["status"]],
        # Seed 000 answers a single pass with "maxUsages": null (a count is for multi passes).
        "maxUsages": None if p["type"] == "SINGLE" else p["maxUsages"],
        "usagesCount": p["usagesCount"],
        "validFrom": when(p["validFrom"]),
        "validUntil": when(p["validUntil"]),
        "publicUrl": p["publicUrl"],
        "createdAt": when(p["createdAt"]),
        "note": p["note"],
        "templateId": p["templateId"],
        "customFields": p["customFields"],
    }
    if listing:
        customer = p["customer"]
        out["client"] = ({"name": customer["name"], "email": customer["email"]}
                         if customer else None)
    return out


def client(c: dict[str, Any]) -> dict[str, Any]:
    """A client (passgate's customer) in the style of the seed's pass."""
    return {
        "id": raw_id(c["id"]), "externalId": c["externalId"], "name": c["name"],
        "email": c["email"], "phone": c["phone"], "createdAt": when(c["createdAt"]),
        "updatedAt": when(c["updatedAt"]),
    }


def webhook(w: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": raw_id(w["id"]), "url": w["url"], "events": w["events"], "active": w["enabled"],
        "description": w["description"], "createdAt": when(w["createdAt"]),
        "updatedAt": when(w["updatedAt"]),
    }

"""AccessGrid's wire objects (seed 002, ``specs/accessgrid.md``) from the graph's.

A key card is a pass: the AccessGrid fields without a pass column of their own are kept in
the pass's attributes under their wire names and come back out under the same names. A card
template is a template: AccessGrid's settings are kept in the template's ``settings`` object.
"""

import math
from typing import Any

from ..present import enum_out, iso, raw_id

# The pass state in AccessGrid's words (``unlink``, not ``unlinked``).
STATE = {"ACTIVE": "active", "SUSPENDED": "suspended", "UNLINKED": "unlink",
         "DELETED": "deleted"}
STATE_FILTER = {"active": "ACTIVE", "suspended": "SUSPENDED", "unlink": "UNLINKED",
                "unlinked": "UNLINKED", "deleted": "DELETED"}

# Our wallet platforms in AccessGrid's device words.
DEVICE_PLATFORMS = {"apple": "ios", "google": "android"}
DEVICE_TYPES = {"apple": "iphone", "google": "phone"}

# Issue and update fields kept in the pass's attributes, with their wire type. Only these
# come back on a card, so attributes written through another dialect never leak (a stray
# ``details`` would make the SDK read the card as a unified pass).
ATTRIBUTES: dict[str, str] = {
    "employee_id": "str", "tag_id": "str", "site_code": "str", "card_number": "str",
    "file_data": "str", "classification": "str", "department": "str", "location": "str",
    "site_name": "str", "workstation": "str", "mail_stop": "str", "company_address": "str",
    "temporary": "bool", "employee_photo": "str", "title": "str", "member_id": "str",
    "membership_status": "str", "is_pass_ready_to_transact": "bool", "tile_data": "object",
    "checkInAvailableWindowStartDateTime": "str", "checkInAvailableWindowEndDateTime": "str",
    "checkInDateTime": "str", "checkInURL": "str", "isCheckedIn": "bool",
    "numberOfRoomsReserved": "int", "roomNumbers": "array", "reservations": "object",
    "propertyLocation": "str", "propertyName": "str", "propertyMapUrl": "str",
    "propertyCategory": "str", "restaurantVoucher": "str", "reservationStartDateTime": "str",
    "reservationEndDateTime": "str", "reservationNumber": "str", "credential_pool_id": "str",
    "allow_on_multiple_devices": "bool",
}
# Kept, but not echoed: a base64 photo would swell every card of a list.
NOT_ECHOED = frozenset({"employee_photo"})


def card(p: dict[str, Any], organization: str | None, *, devices: bool = False
         ) -> dict[str, Any]:
    attrs = p["attributes"] or {}
    out: dict[str, Any] = {k: v for k, v in attrs.items()
                           if k in ATTRIBUTES and k not in NOT_ECHOED}
    wallet = p.get("wallet") or {}
    out.update({
        "id": p["externalId"] or raw_id(p["id"]),  # a moved card keeps its id
        "install_url": wallet.get("installUrl") or p["publicUrl"],
        # A Google save link; on Apple-only tenants the .pkpass; else the install page.
        "direct_install_url": wallet.get("googleSaveUrl") or wallet.get("applePassUrl")
        or p["publicUrl"],
        # An active card past its expiration date says so, as AccessGrid's does.
        "state": "expired" if p.get("status") == "EXPIRED" else STATE[p["state"]],
        "full_name": p["holderName"],
        "email": p["holderEmail"],
        "phone_number": p["holderPhone"],
        "employee_id": attrs.get("employee_id"),
        "card_template_id": p["templateId"],
        "card_number": attrs.get("card_number"),
        "site_code": attrs.get("site_code"),
        "file_data": attrs.get("file_data") or _file_data(wallet.get("applePassFile")),
        "temporary": bool(attrs.get("temporary", False)),
        "organization_name": organization,
        "start_date": iso(p["validFrom"]),
        "expiration_date": iso(p["validUntil"]),
        "created_at": iso(p["createdAt"]),
        "metadata": p["metadata"] or {},
    })
    if devices:  # the devices that registered the pass (Apple Wallet's web service)
        out["devices"] = [{"id": d["id"], "platform": DEVICE_PLATFORMS.get(d["platform"],
                                                                            d["platform"]),
                           "device_type": DEVICE_TYPES.get(d["platform"], "phone"),
                           "status": "active"} for d in wallet.get("devices") or []]
    return out


def _file_data(file: dict[str, Any] | None) -> dict[str, Any] | None:
    """Seed 002's ``{file_name, file_size, content_type}`` of the signed .pkpass."""
    if not file:
        return None
    return {"file_name": file["fileName"], "file_size": file["fileSize"],
            "content_type": file["contentType"]}


def one_card(p: dict[str, Any], organization: str | None, *, devices: bool = False
             ) -> dict[str, Any]:
    """A single card as an answer: AccessGrid adds ``status``; never ``details``."""
    return {"status": "success", **card(p, organization, devices=devices)}


def total_pages(total: int, per_page: int) -> int:
    return math.ceil(total / per_page)


def card_list(conn: dict[str, Any], organization: str | None, query: dict[str, Any]
              ) -> dict[str, Any]:
    keys = [card(p, organization) for p in conn["nodes"]]
    per_page = query.get("per_page", 20)
    return {"status": "success", "count": len(keys), "total_count": conn["totalCount"],
            "page": query.get("page", 1), "per_page": per_page,
            "total_pages": total_pages(conn["totalCount"], per_page), "keys": keys}


# Where each AccessGrid template setting lives inside the template's settings object.
SETTING_GROUPS = ("allowed_device_counts", "support_settings", "terms_settings",
                  "style_settings")


def template(t: dict[str, Any]) -> dict[str, Any]:
    s = t["settings"] or {}
    style = {"background_color": t["backgroundColor"], "label_color": t["labelColor"],
             **(s.get("style_settings") or {})}
    return {
        "id": raw_id(t["id"]),
        "name": t["name"],
        "platform": s.get("platform"),
        "use_case": s.get("use_case"),
        "protocol": s.get("protocol"),
        "created_at": iso(t["createdAt"]),
        "last_published_at": iso(t["publishedAt"]),
        "issued_keys_count": t["issued"]["totalCount"],
        "active_keys_count": t["active"]["totalCount"],
        "allowed_device_counts": s.get("allowed_device_counts") or {},
        "support_settings": s.get("support_settings") or {},
        "terms_settings": s.get("terms_settings") or {},
        "style_settings": style,
        "metadata": s.get("metadata") or {},
    }


# The event log's names: scans as access_granted / access_denied; card events by the
# event_type values AccessGrid's SDKs document (issue, install, update, suspend, resume,
# unlink), and passgate's own for the rest of a card's life (delete, expire, uninstall).
EVENT = {"ACCEPTED": "access_granted", "REJECTED": "access_denied"}
CARD_EVENT = {
    "pass.created": "issue", "pass.installed": "install", "pass.updated": "update",
    "pass.suspended": "suspend", "pass.resumed": "resume", "pass.unlinked": "unlink",
    "pass.deleted": "delete", "pass.expired": "expire", "pass.uninstalled": "uninstall",
}
# filters[event_type] → (activity types, scan result)
EVENT_FILTER: dict[str, tuple[str, str | None]] = {
    **{event: ("pass.scanned", result) for result, event in EVENT.items()},
    **{event: (dotted, None) for dotted, event in CARD_EVENT.items()},
}
PLATFORM = {"apple": "ios", "google": "android"}


def event(entry: dict[str, Any], template_id: str) -> dict[str, Any]:
    """One entry of AccessGrid's event log (``id, event, created_at, ip_address,
    user_agent, metadata {device, platform, card_id, template_id}``), plus a scan's
    ``location`` and ``reason`` in its metadata (null for card events)."""
    scan, card = entry["scan"], entry["pass"]
    metadata = {
        "device": entry["deviceId"],
        "platform": PLATFORM.get(entry["platform"] or ""),
        "card_id": raw_id(card["id"]) if card else None,
        "template_id": template_id,
        "location": scan["location"] if scan else None,
        "reason": enum_out(scan["reason"]) if scan else None,
    }
    return {
        "id": entry["id"],
        "event": EVENT[scan["result"]] if scan is not None else CARD_EVENT[entry["type"]],
        "created_at": iso(entry["occurredAt"]),
        "ip_address": None,
        "user_agent": None,
        "metadata": metadata,
    }


def event_log(data: dict[str, Any], template_id: str, query: dict[str, Any]
              ) -> dict[str, Any]:
    conn = data["template"]["activity"]
    per_page = query.get("per_page", 20)
    return {
        "logs": [event(e, template_id) for e in conn["nodes"]],
        "pagination": {"current_page": query.get("page", 1), "per_page": per_page,
                       "total_pages": total_pages(conn["totalCount"], per_page),
                       "total_count": conn["totalCount"]},
    }


def webhook(w: dict[str, Any], secret: str | None = None) -> dict[str, Any]:
    out = {
        "id": raw_id(w["id"]),
        "name": w["name"],
        "url": w["url"],
        "auth_method": enum_out(w["authMethod"]),
        "subscribed_events": w["events"],
        "created_at": iso(w["createdAt"]),
    }
    if secret is not None:
        # AccessGrid's private_key is the credential the receiver checks deliveries with:
        # passgate's signing secret, shown once. No client certificates are issued.
        out.update(private_key=secret, client_cert=None, cert_expires_at=None)
    return out

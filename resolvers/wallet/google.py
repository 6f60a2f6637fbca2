"""Google Wallet: "Save to Google Wallet" links and the Wallet REST API client.

A save link is ``https://pay.google.com/gp/v/save/<JWT>``, the JWT signed RS256 with the
tenant's service-account key (claims ``iss, aud: "google", typ: "savetowallet", iat, origins,
payload``). The payload carries the class and object of the template's vertical. Browsers
and Google cut long URLs, so a link that would pass 1,800 characters becomes a "skinny"
JWT naming only the object's id, after the class and object were inserted through the API.

API calls authenticate with a self-signed service-account JWT (audience
``https://walletobjects.googleapis.com/``), so no token endpoint is involved, and go through
``Outbound`` (the SSRF-guarded client) to ``PASSGATE_GOOGLE_WALLET_API_URL``.
"""

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
import orjson

from ..outbound import Outbound
from ..passes import derive_status
from .settings import GoogleSigner

SAVE_URL = "https://pay.google.com/gp/v/save/"
GOOGLE_WALLET_API_URL = "https://walletobjects.googleapis.com"
API_AUDIENCE = "https://walletobjects.googleapis.com/"
MAX_LINK = 1800

# Template kind -> Google Wallet vertical.
VERTICALS = {"event_ticket": "eventTicket", "membership": "loyalty", "coupon": "offer"}
BARCODES = {"qr": "QR_CODE", "pdf417": "PDF_417", "aztec": "AZTEC", "code128": "CODE_128"}

# Where Google reports saves and deletes (gateway/google_callbacks.py), under the base URL.
CALLBACK_PATH = "/wallet/google/callbacks"

def vertical_of(template: Any | None) -> str:
    return VERTICALS.get(template.kind if template is not None else "generic", "generic")


def class_id(signer: GoogleSigner, template: Any | None) -> str:
    return f"{signer.issuer_id}.{template.id if template is not None else 'passgate_default'}"


def object_id(signer: GoogleSigner, row: Any) -> str:
    return f"{signer.issuer_id}.{row.id}"


def _text(value: str) -> dict[str, Any]:
    return {"defaultValue": {"language": "en", "value": value}}


def object_state(row: Any, now: datetime) -> str:
    status = derive_status(row, now)
    if status in ("active", "not_yet_valid"):
        return "ACTIVE"
    if status == "expired":
        return "EXPIRED"
    if status == "used_up":
        return "COMPLETED"
    return "INACTIVE"  # suspended, unlinked, deleted


def _title(row: Any, template: Any | None) -> str:
    return row.name or (template.name if template is not None else None) or "Pass"


def wallet_class(signer: GoogleSigner, row: Any, template: Any | None, *, issuer_name: str,
                 logo_url: str, callback_url: str | None = None) -> dict[str, Any]:
    """The template's class; ``callback_url`` is where Google reports saves and deletes."""
    vertical = vertical_of(template)
    data: dict[str, Any] = {"id": class_id(signer, template)}
    if callback_url is not None:
        data["callbackOptions"] = {"url": callback_url}
    title = template.name if template is not None else _title(row, template)
    if vertical == "eventTicket":
        data.update(issuerName=issuer_name, eventName=_text(title), reviewStatus="UNDER_REVIEW")
    elif vertical == "loyalty":
        data.update(issuerName=issuer_name, programName=title, reviewStatus="UNDER_REVIEW",
                    programLogo={"sourceUri": {"uri": logo_url}})
    elif vertical == "offer":
        data.update(issuerName=issuer_name, title=title, provider=issuer_name,
                    redemptionChannel="BOTH", reviewStatus="UNDER_REVIEW")
    return data


def wallet_object(signer: GoogleSigner, row: Any, template: Any | None, *, now: datetime,
                  logo_url: str) -> dict[str, Any]:
    """The pass as a Google Wallet object: state, barcode, holder, public fields, validity."""
    vertical = vertical_of(template)
    fmt = template.barcode_format if template is not None else "qr"
    data: dict[str, Any] = {
        "id": object_id(signer, row),
        "classId": class_id(signer, template),
        "state": object_state(row, now),
        "barcode": {"type": BARCODES[fmt], "value": row.code, "alternateText": row.code},
        "textModulesData": [
            {"id": f"f{i}", "header": f["key"][:50], "body": str(f["value"])[:500]}
            for i, f in enumerate(row.custom_fields) if f.get("isPublic")],
    }
    colour = template.background_color if template is not None else None
    if colour:
        data["hexBackgroundColor"] = colour
    interval: dict[str, Any] = {}
    if row.valid_from is not None:
        interval["start"] = {"date": row.valid_from.isoformat()}
    if row.valid_until is not None:
        interval["end"] = {"date": row.valid_until.isoformat()}
    if interval:
        data["validTimeInterval"] = interval
    if vertical == "generic":
        data.update(cardTitle=_text(_title(row, template)),
                    header=_text(row.holder_name or _title(row, template)),
                    logo={"sourceUri": {"uri": logo_url}})
    elif vertical == "eventTicket" and row.holder_name:
        data["ticketHolderName"] = row.holder_name
    elif vertical == "loyalty" and row.holder_name:
        data["accountName"] = row.holder_name
    return data


def _sign(signer: GoogleSigner, claims: dict[str, Any]) -> str:
    return jwt.encode(claims, signer.key, algorithm="RS256")


def save_jwt(signer: GoogleSigner, vertical: str, origins: list[str], *,
             klass: dict[str, Any] | None, obj: dict[str, Any]) -> str:
    payload: dict[str, Any] = {f"{vertical}Objects": [obj]}
    if klass is not None:
        payload[f"{vertical}Classes"] = [klass]
    return _sign(signer, {"iss": signer.service_account_email, "aud": "google",
                          "typ": "savetowallet", "iat": int(time.time()), "origins": origins,
                          "payload": payload})


@dataclass(frozen=True, slots=True)
class SaveLink:
    url: str
    skinny: bool  # names only the object id: the class and object must exist at Google


def save_link(signer: GoogleSigner, row: Any, template: Any | None, *, origins: list[str],
              issuer_name: str, logo_url: str, now: datetime,
              callback_url: str | None = None) -> SaveLink:
    """The full link when it fits in 1,800 characters, else the skinny one."""
    vertical = vertical_of(template)
    obj = wallet_object(signer, row, template, now=now, logo_url=logo_url)
    klass = wallet_class(signer, row, template, issuer_name=issuer_name, logo_url=logo_url,
                         callback_url=callback_url)
    url = SAVE_URL + save_jwt(signer, vertical, origins, klass=klass, obj=obj)
    if len(url) <= MAX_LINK:
        return SaveLink(url, False)
    return SaveLink(SAVE_URL + save_jwt(signer, vertical, origins, klass=None,
                                        obj={"id": obj["id"], "classId": obj["classId"]}),
                    True)


# ---------------------------------------------------------------- Wallet REST API


@dataclass(frozen=True, slots=True)
class ApiResult:
    ok: bool
    status: int | None
    detail: str = ""


class WalletApi:
    """Inserts or patches classes and objects (``walletobjects/v1``)."""

    def __init__(self, outbound: Outbound, base_url: str = GOOGLE_WALLET_API_URL) -> None:
        self.outbound = outbound
        self.base_url = base_url.rstrip("/") + "/walletobjects/v1"

    @staticmethod
    def _bearer(signer: GoogleSigner) -> str:
        now = int(time.time())
        return _sign(signer, {"iss": signer.service_account_email,
                              "sub": signer.service_account_email, "aud": API_AUDIENCE,
                              "iat": now, "exp": now + 3600})

    async def _call(self, signer: GoogleSigner, method: str, path: str, body: dict[str, Any]
                    ) -> ApiResult:
        reply = await self.outbound.request(
            method, f"{self.base_url}/{path}", body=orjson.dumps(body),
            headers={"Authorization": f"Bearer {self._bearer(signer)}",
                     "Content-Type": "application/json"})
        return ApiResult(reply.ok, reply.status,
                         reply.error or reply.body[:300].decode(errors="replace"))

    async def upsert(self, signer: GoogleSigner, kind: str, data: dict[str, Any]
                     ) -> ApiResult:
        """Insert ``data`` as a ``kind`` (``genericClass``, ``eventTicketObject``, …); when it
        exists already (409), patch it instead."""
        inserted = await self._call(signer, "POST", kind, data)
        if inserted.status != 409:
            return inserted
        return await self.patch(signer, kind, data)

    async def patch(self, signer: GoogleSigner, kind: str, data: dict[str, Any]) -> ApiResult:
        return await self._call(signer, "PATCH", f"{kind}/{data['id']}", data)

    async def add_message(self, signer: GoogleSigner, kind: str, object_id: str,
                          message: dict[str, Any]) -> ApiResult:
        """``{kind}/{id}/addMessage``: the holder sees it and is notified."""
        digest = hashlib.sha1(f"{object_id}|{message['sent_at']}".encode()).hexdigest()[:20]
        return await self._call(signer, "POST", f"{kind}/{object_id}/addMessage", {"message": {
            "id": f"msg-{digest}", "header": message["title"], "body": message["message"],
            "messageType": "TEXT_AND_NOTIFY"}})

    async def sync_pass(self, signer: GoogleSigner, row: Any, template: Any | None, *,
                        issuer_name: str, logo_url: str, now: datetime,
                        callback_url: str | None = None) -> ApiResult:
        """The pass's class and object, inserted or brought up to date."""
        vertical = vertical_of(template)
        klass = wallet_class(signer, row, template, issuer_name=issuer_name, logo_url=logo_url,
                             callback_url=callback_url)
        result = await self.upsert(signer, f"{vertical}Class", klass)
        if not result.ok:
            return result
        obj = wallet_object(signer, row, template, now=now, logo_url=logo_url)
        return await self.upsert(signer, f"{vertical}Object", obj)


class SaveLinkUnavailable(Exception):
    """The pass needs a skinny link but the Wallet API did not take its class and object."""


async def save_url(signer: GoogleSigner, row: Any, template: Any | None, *,
                   api: "WalletApi | None", base_url: str, issuer_name: str, now: datetime,
                   logo_path: str) -> str:
    """The full save link, or the skinny one after inserting the class and object through
    the Wallet API (a link may not pass 1,800 characters). ``logo_path``: the public path
    of the logo (``template_images.logo_path``)."""
    logo_url, callback_url = base_url + logo_path, base_url + CALLBACK_PATH
    link = save_link(signer, row, template, origins=[base_url], issuer_name=issuer_name,
                     logo_url=logo_url, now=now, callback_url=callback_url)
    if link.skinny:
        result = None if api is None else await api.sync_pass(
            signer, row, template, issuer_name=issuer_name, logo_url=logo_url, now=now,
            callback_url=callback_url)
        if result is None or not result.ok:
            detail = f" ({result.status}: {result.detail[:120]})" if result else ""
            raise SaveLinkUnavailable(
                "this pass is too large for a Google save link on its own and the Google "
                "Wallet API did not take its class and object" + detail)
    return link.url

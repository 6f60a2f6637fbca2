"""Apple Wallet: ``pass.json`` from a pass and its template, and the signed ``.pkpass``.

A ``.pkpass`` is a zip of ``pass.json``, images, ``manifest.json`` (SHA-1 of every file) and
``signature``: a detached PKCS#7 (DER) over the exact manifest bytes, carrying the signer and
WWDR certificates and a signingTime. The ``Binary`` option matters: without it the manifest
is signed as S/MIME text (LF turned into CRLF) and Wallet rejects the pass.
"""

import hashlib
import hmac
import io
import time
import zipfile
from collections import OrderedDict
from datetime import datetime
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from sqlalchemy import bindparam, select

from ..db import Database
from ..models import passes, templates, wallet_settings
from ..passes import derive_status
from . import strings, template_images
from .messages import message_of
from .settings import AppleSigner, InstanceDefaults, apple_signer, effective

IMAGES = Path(__file__).resolve().parent / "images"
DEFAULT_IMAGES = ("icon.png", "icon@2x.png", "icon@3x.png", "logo.png", "logo@2x.png")
CONTENT_TYPE = "application/vnd.apple.pkpass"

# Template kind -> pass style (Apple's top-level key).
STYLES = {
    "event_ticket": "eventTicket",
    "coupon": "coupon",
    "boarding_pass": "boardingPass",
    "membership": "storeCard",
}
BARCODES = {
    "qr": "PKBarcodeFormatQR",
    "pdf417": "PKBarcodeFormatPDF417",
    "aztec": "PKBarcodeFormatAztec",
    "code128": "PKBarcodeFormatCode128",
}
FIELD_AREAS = ("header", "primary", "secondary", "auxiliary", "back")
VOIDED_STATES = ("deleted", "unlinked")


def authentication_token(server_secret: bytes, pass_id: str) -> str:
    """The pass's ``authenticationToken`` (32 hex characters): derived, so nothing is stored,
    and different from the public-page token."""
    return hmac.new(server_secret, b"applepass:" + pass_id.encode(), hashlib.sha256
                    ).hexdigest()[:32]


def check_authentication_token(server_secret: bytes, pass_id: str, token: str) -> bool:
    return hmac.compare_digest(authentication_token(server_secret, pass_id), token)


@cache
def default_image(name: str) -> bytes:
    return (IMAGES / name).read_bytes()


def _rgb(hex_colour: str | None, fallback: str) -> str:
    value = (hex_colour or fallback).lstrip("#")
    r, g, b = (int(value[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgb({r}, {g}, {b})"


def _date(value: datetime | None) -> str | None:
    return None if value is None else value.replace(microsecond=0).isoformat()


def _status_text(status: str) -> str:
    return status.replace("_", " ").capitalize()


def _fields(row: Any, template: Any | None, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """Fields per area. A template's ``fieldLayout`` ({area: [{key, label?, value?,
    changeMessage?}]}) places pass values by key: a public custom field, or one of
    holderName, name, validFrom, validUntil, status, code. Without one: a default layout."""
    public = {f["key"]: f["value"] for f in row.custom_fields if f.get("isPublic")}
    known: dict[str, Any] = {
        "holderName": row.holder_name, "name": row.name, "code": row.code,
        "validFrom": _date(row.valid_from), "validUntil": _date(row.valid_until),
        "status": _status_text(derive_status(row, now)), **public,
    }
    layout = (template.field_layout if template is not None else None) or {}
    if not isinstance(layout, dict):  # a vendor's list of fields (PassQR): no areas to place
        layout = {}
    areas: dict[str, list[dict[str, Any]]] = {area: [] for area in FIELD_AREAS}
    placed: set[str] = set()
    if any(isinstance(layout.get(area), list) for area in FIELD_AREAS):
        for area in FIELD_AREAS:
            for spec in layout.get(area) or []:
                if not isinstance(spec, dict) or not isinstance(spec.get("key"), str):
                    continue
                key = spec["key"]
                value = spec.get("value", known.get(key))
                if value is None:
                    continue
                field: dict[str, Any] = {"key": key, "label": str(spec.get("label", key)),
                                         "value": value if isinstance(value, int | float)
                                         else str(value)}
                if isinstance(spec.get("changeMessage"), str) and "%@" in spec["changeMessage"]:
                    field["changeMessage"] = spec["changeMessage"]
                if key in ("validFrom", "validUntil"):
                    field["dateStyle"] = "PKDateStyleMedium"
                areas[area].append(field)
                placed.add(key)
    else:
        title = row.name or (template.name if template is not None else None) or "Pass"
        areas["primary"].append({"key": "name", "label": "PASS", "value": title})
        placed.add("name")
        if row.holder_name:
            areas["secondary"].append({"key": "holderName", "label": "HOLDER",
                                       "value": row.holder_name,
                                       "changeMessage": "Holder changed to %@"})
        for key, label in (("validFrom", "VALID FROM"), ("validUntil", "VALID UNTIL")):
            if known[key]:
                areas["auxiliary"].append({"key": key, "label": label, "value": known[key],
                                           "dateStyle": "PKDateStyleMedium",
                                           "changeMessage": f"{label.capitalize()} %@"})
        areas["header"].append({"key": "status", "label": "STATUS", "value": known["status"],
                                "changeMessage": "Pass is now %@"})
        placed.update(("holderName", "validFrom", "validUntil", "status"))
    sent = message_of(row)
    if sent is not None:  # the holder's lock screen shows the text of a new message
        areas["back"].append({"key": "passgate.message", "label": sent["title"],
                              "value": sent["message"], "changeMessage": "%@"})
    for key, value in public.items():
        if key not in placed:
            areas["back"].append({"key": f"cf.{key}", "label": key, "value": str(value)})
    areas["back"].append({"key": "code", "label": "Code", "value": row.code})
    return {f"{area}Fields": fields for area, fields in areas.items() if fields}


def pass_json(row: Any, template: Any | None, signer: AppleSigner, *, server_secret: bytes,
              web_service_url: str, now: datetime) -> dict[str, Any]:
    """``pass.json`` for a pass row (``passes`` table) and its template row (or None)."""
    kind = template.kind if template is not None else "generic"
    style = STYLES.get(kind, "generic")
    body: dict[str, Any] = _fields(row, template, now)
    if style == "boardingPass":
        body["transitType"] = (template.settings or {}).get("transitType", "PKTransitTypeGeneric")
    fmt = BARCODES[template.barcode_format if template is not None else "qr"]
    title = row.name or (template.name if template is not None else None) or "Pass"
    data: dict[str, Any] = {
        "formatVersion": 1,
        "passTypeIdentifier": signer.pass_type_id,
        "teamIdentifier": signer.team_id,
        "organizationName": signer.organization,
        "serialNumber": row.id,
        "authenticationToken": authentication_token(server_secret, row.id),
        "webServiceURL": web_service_url,
        "description": title,
        "logoText": title,
        "backgroundColor": _rgb(template.background_color if template else None, "#1f2937"),
        "foregroundColor": _rgb(template.foreground_color if template else None, "#ffffff"),
        "labelColor": _rgb(template.label_color if template else None, "#d1d5db"),
        "barcodes": [{"format": fmt, "message": row.code, "messageEncoding": "iso-8859-1",
                      "altText": row.code}],
        style: body,
    }
    if row.valid_until is not None:
        data["expirationDate"] = _date(row.valid_until)
    if row.valid_from is not None and style in ("eventTicket", "boardingPass"):
        data["relevantDate"] = _date(row.valid_from)
    if row.state in VOIDED_STATES:
        data["voided"] = True
    return data


def sign_manifest(manifest: bytes, signer: AppleSigner) -> bytes:
    """Detached PKCS#7 (DER) over the manifest's exact bytes, with the WWDR certificate."""
    return (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(manifest)
        .add_signer(signer.certificate, signer.key, hashes.SHA256())
        .add_certificate(signer.wwdr)
        .sign(serialization.Encoding.DER,
              [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary])
    )


def build_pkpass(data: dict[str, Any], signer: AppleSigner,
                 images: dict[str, bytes] | None = None,
                 localizations: dict[str, dict[str, str]] | None = None) -> bytes:
    """The zip: pass.json, the template's own image set (passgate's where it has none), the
    ``xx.lproj/pass.strings`` files, the manifest of them all and its signature."""
    files: dict[str, bytes] = {"pass.json": orjson.dumps(data)}
    if images:
        files.update(sorted(images.items()))
    else:
        files.update((name, default_image(name)) for name in DEFAULT_IMAGES)
    files.update(strings.lproj_files(localizations))
    manifest = orjson.dumps({name: hashlib.sha1(content).hexdigest()
                             for name, content in files.items()}, option=orjson.OPT_INDENT_2)
    files["manifest.json"] = manifest
    files["signature"] = sign_manifest(manifest, signer)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return out.getvalue()


def file_name(row: Any) -> str:
    return f"{row.code.lower()}.pkpass"


# ---------------------------------------------------------------- loading and caching


def wallet_tag(row: Any) -> datetime:
    """When what the holder sees last changed (creation when it never did)."""
    return row.wallet_updated_at or row.created_at


_TPL = templates.alias("tpl")
_LOAD = (select(passes, *[c.label(f"tpl_{c.name}") for c in _TPL.c])
         .outerjoin(_TPL, _TPL.c.id == passes.c.template_id))
# Built once: a download is one prepared statement (plus the settings, cached below).
_BY_ID = _LOAD.where(passes.c.id == bindparam("pass_id"))
SETTINGS_TTL = 1.0  # seconds another process's change of wallet settings may take to show
_settings: dict[str, tuple[float, Any]] = {}


async def tenant_settings(db: Database, tenant_id: str) -> Any | None:
    """The tenant's wallet settings row, read at most once a second per process (they
    change rarely; ``forget_settings`` drops this process's copy at once)."""
    now = time.monotonic()
    cached = _settings.get(tenant_id)
    if cached is not None and now - cached[0] < SETTINGS_TTL:
        return cached[1]
    async with db.read() as conn:
        found = (await conn.execute(select(wallet_settings).where(
            wallet_settings.c.tenant_id == tenant_id))).first()
    row = SimpleNamespace(**found._mapping) if found is not None else None
    if len(_settings) > 10_000:
        _settings.clear()
    _settings[tenant_id] = (now, row)
    return row


_generation = 0  # counts this process's changes of wallet settings


def settings_generation() -> int:
    """Changes with every change of wallet settings this process made: answers made from
    the settings (gateway/wallet.HOT) are made again when it moved."""
    return _generation


def forget_settings(tenant_id: str) -> None:
    global _generation
    _settings.pop(tenant_id, None)
    _generation += 1


async def load(db: Database, *, pass_id: str, defaults: InstanceDefaults | None = None
               ) -> tuple[Any, Any | None, Any | None] | None:
    """The pass row, its template row and the tenant's wallet settings (its own row
    completed from the instance ``defaults``); None when no such pass. (Codes are unique
    per tenant only: find the id from a public URL with
    ``resolvers.public.pass_id_by_token``.)"""
    async with db.read() as conn:
        found = (await conn.execute(_BY_ID, {"pass_id": pass_id})).first()
    if found is None:
        return None
    m = found._mapping
    row = SimpleNamespace(**{c.name: m[c.name] for c in passes.c})
    template = (SimpleNamespace(**{c.name: m[f"tpl_{c.name}"] for c in _TPL.c})
                if m["tpl_id"] is not None else None)
    own = await tenant_settings(db, row.tenant_id)
    return row, template, effective(own, defaults, row.tenant_id)


class PkpassCache:
    """Signed passes by everything that shapes them, so a repeat download signs nothing."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._items: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()

    async def render(self, db: Database, row: Any, template: Any | None, settings: Any | None,
                     *, server_secret: bytes, web_service_url: str, now: datetime) -> bytes:
        """The signed pass. The template's ``updated_at`` keys its images and
        localisations too: changing them moves it."""
        signer_row = settings
        key = (row.id, wallet_tag(row), derive_status(row, now),
               template.updated_at if template is not None else None,
               settings.updated_at if settings is not None else None, web_service_url)
        cached = self._items.get(key)
        if cached is not None:
            self._items.move_to_end(key)
            return cached
        signer = apple_signer(signer_row, server_secret)
        data = pass_json(row, template, signer, server_secret=server_secret,
                         web_service_url=web_service_url, now=now)
        blob = build_pkpass(data, signer, await template_images.image_set(db, template),
                            template.localizations if template is not None else None)
        self._items[key] = blob
        if len(self._items) > self._size:
            self._items.popitem(last=False)
        return blob


CACHE = PkpassCache()  # one per process, shared by the page, the API and the web service

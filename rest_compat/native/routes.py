"""The native dialect: PassQR's ``/api/v1`` (seed 001) and a superset with the whole graph.

Envelopes ``{"data": …}``, lists ``{"data": [...], "meta": {"page", "limit", "total"}}``,
errors ``{"error": CODE, "message": text}`` (plus ``field`` when one field is at fault).
"""

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from resolvers.errors import BadInput
from resolvers.wallet import barcodes, template_images

from .. import export
from ..engine import Answer, Call, Route, with_pass_param
from ..errors import RestError
from ..fields import CODE_PATTERN, COLOUR, HEX_COLOUR, NOT_BLANK, F, spec
from ..images import image_answer
from ..openapi_types import ref
from ..present import MAX_PAGE, enum_out, iso, page_window
from . import present as P
from . import uuids as U

PAGE = (F("page", "int", minimum=1, maximum=MAX_PAGE,
          description="1-based page number (default 1)"),
        F("limit", "int", minimum=1, maximum=100, description="rows per page, 1 to 100 "
          "(default 20)"))

CUSTOM_FIELD_ITEMS = {"type": "object", "required": ["key"], "properties": {
    "key": {"type": "string"}, "value": {"type": "string"}, "is_public": {"type": "boolean"}}}


def _custom_fields(items: list[Any]) -> list[dict[str, Any]]:
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise RestError.bad(f"custom_fields[{i}] must be an object with a string key",
                                "custom_fields")
        unknown = set(item) - {"key", "value", "is_public", "isPublic"}
        if unknown:
            raise RestError.bad(f"custom_fields[{i}] has unknown fields: "
                                f"{', '.join(sorted(unknown))}", "custom_fields")
        value, public = item.get("value", ""), item.get("is_public", item.get("isPublic", False))
        if not isinstance(value, str) or not isinstance(public, bool):
            raise RestError.bad(f"custom_fields[{i}]: value must be a string and is_public "
                                "true or false", "custom_fields")
        out.append({"key": item["key"], "value": value, "isPublic": public})
    return out


PASS_FIELDS = (
    F("type", "enum", values={"single": "SINGLE", "multi": "MULTI"},
      description="single or multi; defaults to the template's"),
    F("template_id", to="templateId", convert=U.into("template"),
      description="the template's id (a UUID, or tpl_…)"),
    F("customer_id", to="customerId", convert=U.into("customer"),
      description="the customer's id (a UUID, or cus_…)"),
    F("name", max_length=200),
    F("note", max_length=2000, description="internal; never on the public page"),
    F("holder_name", to="holderName", max_length=200),
    F("holder_email", to="holderEmail", max_length=320),
    F("holder_phone", to="holderPhone", max_length=40),
    F("max_uses", "int", to="maxUsages", minimum=1, description="null = unlimited"),
    F("valid_from", "datetime", to="validFrom"),
    F("expires_at", "datetime", to="validUntil"),
    F("valid_until", "datetime", to="validUntil", description="alias of expires_at"),
    F("custom_fields", "array", to="customFields", items=CUSTOM_FIELD_ITEMS,
      convert=_custom_fields),
    # "metadata" before "data": an error names a field by the first wire name of its target.
    F("metadata", "object", description="filterable JSON object"),
    F("data", "object", to="metadata", description="PassQR's name for metadata"),
    F("attributes", "object", description="kind-specific attributes"),
)
# On create only: an existing code and the pass's id at its former vendor (imports).
CREATE_PASS = spec(*PASS_FIELDS,
                   F("code", max_length=64, pattern=CODE_PATTERN,
                     description="an existing code to keep (letters, "
                     "digits, . _ ~ -); unique in the tenant; omitted: one is minted"),
                   F("external_id", to="externalId", max_length=200,
                     description="the pass's id at its former vendor; unique in the tenant; "
                     "/api/v1/passes/{id} takes it too"))
UPDATE_PASS = spec(*PASS_FIELDS, F("status", "enum", values={
    "active": "resume", "suspended": "suspend", "revoked": "revoke"},
    description="change of state: active (resume), suspended, revoked (delete)"),
    at_least_one=True)
BULK = spec(F("template_id", to="templateId", convert=U.into("template"),
              description="default for every pass"),
            F("passes", "array", required=True, items={"type": "object"}, min_items=1,
              max_items=1000, description="1 to 1,000 passes, each as in POST /api/v1/passes"))
LIST_PASSES = spec(
    *PAGE,
    F("template_id", to="templateId", convert=U.into("template")),
    F("customer_id", to="customerId", convert=U.into("customer")),
    F("status", "enum", values=P.STATUS_FILTER),
    F("search", description="name, holder name or email, or the exact code"),
    F("metadata", "object", description="JSON object the metadata must contain"),
    strict=False,
)
EXPORT = spec(
    F("format", "enum", values={"ndjson": "ndjson", "csv": "csv"},
      description="ndjson (default): one native pass object a line; csv: the same columns"),
    *(f for f in LIST_PASSES.fields if f.wire not in ("page", "limit")),
    F("include_deleted", "bool", to="includeDeleted",
      description="with every other pass, the deleted ones (default true without status)"),
    strict=False,
)
VALIDATE = spec(
    F("code", required=True, max_length=200, nullable=False, pattern=NOT_BLANK),
    F("scan_id", to="scanId", max_length=200, description="idempotency id"),
    F("device_id", to="deviceId", max_length=200),
    F("location", max_length=200),
    F("dry_run", "bool", to="dryRun", nullable=False,
      description="check only; consume nothing"),
)
TEMPLATE_FIELDS = (
    F("name", max_length=200, nullable=False, pattern=NOT_BLANK),
    F("kind", "enum", values=P.KINDS),
    F("type", "enum", to="kindLabel", values={w: w for w in P.KIND_ALIASES},
      description="PassQR's type (ticket, membership, loyalty, …), answered back as sent"),
    F("description", max_length=2000),
    F("color", to="backgroundColor", pattern=COLOUR, description="#rrggbb"),
    F("background_color", to="backgroundColor", pattern=COLOUR),
    F("foreground_color", to="foregroundColor", pattern=COLOUR),
    F("label_color", to="labelColor", pattern=COLOUR),
    F("logo_url", to="logoUrl"),
    F("icon_url", to="iconUrl"),
    F("barcode_format", "enum", to="barcodeFormat",
      values={"qr": "QR", "pdf417": "PDF417", "aztec": "AZTEC", "code128": "CODE128"}),
    F("fields", "json", to="fieldLayout",
      description="PassQR's array of fields, or passgate's {area: [fields]} layout"),
    F("default_type", "enum", to="defaultType", values={"single": "SINGLE", "multi": "MULTI"}),
    F("default_max_uses", "int", to="defaultMaxUsages", minimum=1),
    F("default_valid_from", "datetime", to="defaultValidFrom"),
    F("default_expires_at", "datetime", to="defaultValidUntil"),
    F("default_valid_days", "int", to="defaultValidDays", minimum=1),
    F("apple_pass_type_id", to="applePassTypeId"),
    F("apple_team_id", to="appleTeamId"),
    F("google_issuer_id", to="googleIssuerId"),
    F("localizations", "object", description='wallet pass translations: {"fr": {"SEAT": '
      '"Place"}} (fr.lproj/pass.strings); null clears them'),
    F("settings", "object", description="a JSON object kept as given"),
)
CREATE_TEMPLATE = spec(*(replace(f, required=f.wire == "name") for f in TEMPLATE_FIELDS))
UPDATE_TEMPLATE = spec(*TEMPLATE_FIELDS, at_least_one=True)
PASS_MESSAGE = spec(F("title", required=True, nullable=False, max_length=100),
                    F("message", required=True, nullable=False, max_length=500))
TEMPLATE_IMAGE = spec(F("data", required=True, nullable=False,
                        description="the PNG file, base64 (at most 256 KiB)"))
CUSTOMER = spec(
    F("external_id", to="externalId", max_length=200),
    F("email", max_length=320),
    F("name", max_length=200),
    F("phone", max_length=40),
    F("attributes", "object"),
)
LIST_SCANS = spec(*PAGE, F("pass_id", to="passId", convert=U.into("pass")),
                  F("result", "enum", values={"accepted": "ACCEPTED", "rejected": "REJECTED"}),
                  F("since", "datetime"), F("until", "datetime"), strict=False)
LIST_CUSTOMERS = spec(*PAGE, F("search"), strict=False)
PAGE_ONLY = spec(*PAGE, strict=False)


# --- variables ------------------------------------------------------------------------


_pass_id = U.path_id("pass")
_template_id = U.path_id("template")
_customer_id = U.path_id("customer")


def _pass_ref(call: Call) -> dict[str, Any]:
    """``/passes/{id}`` takes the pass id (either form) or, as PassQR's clients hold it, the
    code."""
    ref = U.own("pass", call.params["id"])
    return {"id": ref} if ref.startswith("pass_") else {"code": ref}


def _list_passes(call: Call) -> dict[str, Any]:
    q = call.query
    flt = {k: q[k] for k in ("templateId", "customerId", "status", "search", "metadata")
           if k in q}
    return {"filter": flt or None, **page_window(q)}


def _create_pass(call: Call) -> dict[str, Any]:
    return {"input": call.body}


def _bulk(call: Call) -> dict[str, Any]:
    items = call.body["passes"]
    if not 1 <= len(items) <= 1000:
        raise RestError.bad("passes must hold 1 to 1,000 passes", "passes")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise RestError.bad(f"passes[{i}] must be a JSON object", "passes")
        try:
            values = CREATE_PASS.read(item, where=f"passes[{i}]")
        except RestError as exc:
            raise RestError.bad(f"passes[{i}]: {exc.message}", f"passes[{i}].{exc.field}"
                                ) from None
        if "templateId" in call.body:
            values.setdefault("templateId", call.body["templateId"])
        out.append(values)
    return {"input": {"passes": out}}


async def _export(call: Call) -> Answer:
    """Streamed, one keyset page in memory at a time; the first page is read before the
    answer starts, so a bad filter is still a clean 400."""
    assert call.run is not None  # the engine supplies it
    q = call.query
    flt: dict[str, Any] = {k: q[k] for k in ("templateId", "customerId", "status", "search",
                                             "metadata") if k in q}
    flt["includeDeleted"] = q.get("includeDeleted", "status" not in q)
    fmt = q.get("format", "ndjson")
    chunks = export.export_lines(call.run, fmt, flt)
    first = await anext(chunks, b"")

    async def body() -> AsyncIterator[bytes]:
        yield first
        async for chunk in chunks:
            yield chunk

    name = f"passes.{fmt}"
    return Answer(body(), headers={"Content-Disposition": f'attachment; filename="{name}"'},
                  content_type=export.FORMATS[fmt])


def _patch_pass(call: Call) -> dict[str, Any]:
    body = dict(call.body)
    action = body.pop("status", None)
    if not body and action is None:
        raise RestError.bad("nothing to change: send at least one field")
    pass_id = U.own("pass", call.params["id"])
    return {"input": {"id": pass_id, **body}, "id": pass_id,
            "suspend": action == "suspend", "resume": action == "resume",
            "revoke": action == "revoke"}


def _validate(call: Call) -> dict[str, Any]:
    return {"input": call.body}


def _list_scans(call: Call) -> dict[str, Any]:
    q = call.query
    flt = {k: q[k] for k in ("passId", "result", "since", "until") if k in q}
    return {"filter": flt or None, **page_window(q)}


def _pass_scans(call: Call) -> dict[str, Any]:
    return {"id": U.own("pass", call.params["id"]), **page_window(call.query)}


def _deliveries_of(call: Call) -> dict[str, Any]:
    return {"id": call.params["id"], **page_window(call.query)}


def _page(call: Call) -> dict[str, Any]:
    return page_window(call.query)


def _list_customers(call: Call) -> dict[str, Any]:
    return {"search": call.query.get("search"), **page_window(call.query)}


def _input(call: Call) -> dict[str, Any]:
    return {"input": call.body}


def _pass_message(call: Call) -> dict[str, Any]:
    return {"input": {"id": U.own("pass", call.params["id"]), **call.body}}


def _sent_message(data: dict[str, Any], call: Call) -> dict[str, Any]:
    sent = data["sendPassMessage"]
    return _data({"pass_id": P.uuid_out(sent["pass"]["id"]), "title": sent["title"],
                  "message": sent["message"], "sent_at": iso(sent["sentAt"])})


def _template_image(call: Call) -> dict[str, Any]:
    """``{image}`` is the file's name in the pass: icon, logo@2x, strip@3x.png …"""
    try:
        name, scale = template_images.parse_file_name(call.params["image"])
    except BadInput as exc:
        raise RestError.bad(exc.message, "image") from None
    return {"input": {"templateId": U.own("template", call.params["id"]),
                      "image": name.upper(), "scale": scale, **call.body}}



def _input_with_id(kind: str) -> Callable[[Call], dict[str, Any]]:
    def variables(call: Call) -> dict[str, Any]:
        if not call.body:
            raise RestError.bad("nothing to change: send at least one field")
        body = _template_kind(call.body) if kind == "template" else call.body
        return {"input": {"id": U.own(kind, call.params["id"]), **body}}

    return variables


def _template_kind(body: dict[str, Any]) -> dict[str, Any]:
    """PassQR's ``type`` gives the kind and is kept as sent, to be answered back as sent."""
    if "kindLabel" not in body:
        return body
    if "kind" in body:
        raise RestError.bad("give either kind or type, not both", "type")
    label = body["kindLabel"]
    kind = P.KIND_ALIASES[label]
    return {**body, "kind": kind, "kindLabel": None if kind.lower() == label else label}


def _create_template(call: Call) -> dict[str, Any]:
    return {"input": _template_kind(call.body)}


LEGACY_VALIDATE = spec(F("code", required=True, max_length=200, nullable=False,
                         pattern=NOT_BLANK))
LEGACY_MAX = 100
LEGACY_BULK = spec(F("template_id", to="templateId", convert=U.into("template"),
                     description="for every pass"),
                   F("passes", "array", required=True, items={"type": "object"}, min_items=1,
                     max_items=LEGACY_MAX,
                     description="1 to 100 passes: holder_name, holder_email, max_uses"))


def _legacy_validate(call: Call) -> dict[str, Any]:
    return {"input": {"code": (call.body or call.query)["code"]}}


def _legacy_bulk(call: Call) -> dict[str, Any]:
    if len(call.body["passes"]) > LEGACY_MAX:
        raise RestError.bad(f"passes must hold 1 to {LEGACY_MAX} passes", "passes")
    return _bulk(call)


def _legacy_validation(data: dict[str, Any], call: Call) -> dict[str, Any]:
    """PassQR's older answer: camelCase, no envelope, ``status`` in its result words."""
    v = data["validatePass"]
    reason, p = v["reason"], v["pass"]
    t = p["template"] if p else None
    return {
        "valid": v["valid"],
        "status": P.RESULT[reason],
        "message": P.MESSAGE[reason],
        "pass": {
            "code": p["code"], "holderName": p["holderName"], "holderEmail": p["holderEmail"],
            "templateName": t["name"] if t else None,
            "templateType": (t["kindLabel"] or enum_out(t["kind"])) if t else None,
            "usesCount": p["usagesCount"], "maxUses": p["maxUsages"],
            "scansRemaining": p["remainingUsages"],
        } if p else None,
        "timestamp": iso(datetime.now(UTC).isoformat()),
    }


# --- presenters -----------------------------------------------------------------------


def _data(obj: Any) -> dict[str, Any]:
    return {"data": obj}


def _passes(data: dict[str, Any], call: Call) -> dict[str, Any]:
    conn = data["passes"]
    return P.listing([P.pass_(p) for p in conn["nodes"]], conn["totalCount"], call.query)


def _patched(data: dict[str, Any], call: Call) -> dict[str, Any]:
    last = next(data[k] for k in ("deletePass", "resumePass", "suspendPass", "updatePass")
                if data.get(k))
    return _data(P.pass_(last["pass"]))


def _scans(data: dict[str, Any], call: Call) -> dict[str, Any]:
    conn = data["scans"] if "scans" in data else data["pass"]["scans"]
    return P.listing([P.scan(s) for s in conn["nodes"]], conn["totalCount"], call.query)


def _deliveries(data: dict[str, Any], call: Call) -> dict[str, Any]:
    if data["webhook"] is None:
        raise RestError.not_found(f"no webhook {call.params['id']!r}")
    conn = data["webhook"]["deliveries"]
    return P.listing([P.delivery(d) for d in conn["nodes"]], conn["totalCount"], call.query)


def _upserted(data: dict[str, Any], call: Call) -> Answer:
    payload = data["upsertCustomer"]
    return Answer(_data(P.customer(payload["customer"])), 201 if payload["created"] else 200)


def _usage(data: dict[str, Any], call: Call) -> dict[str, Any]:
    viewer = data["viewer"]
    details, usage = viewer["planDetails"], viewer["planDetails"]["usage"]
    return _data({
        "plan": viewer["plan"],
        "api_access": details["apiAccess"],
        "month": usage["month"],
        "api_calls": usage["apiCalls"],
        "validations": usage["validations"],
        "monthly_api_calls_quota": usage["monthlyApiCallsQuota"],
        "monthly_validations_quota": usage["monthlyValidationsQuota"],
        "resets_at": P.iso(usage["resetsAt"]),
        "max_passes": details["maxPasses"],
        "passes_kept": details["passesKept"],
        "rate_limits_per_minute": viewer["limits"],
    })


def _single(name: str) -> dict[str, Any]:
    return {"type": "object", "properties": {"data": {"$ref": f"#/components/schemas/{name}"}}}


def _many(name: str) -> dict[str, Any]:
    return {"type": "object", "properties": {
        "data": {"type": "array", "items": {"$ref": f"#/components/schemas/{name}"}},
        "meta": {"$ref": "#/components/schemas/NativePageMeta"}}}


BARCODE = spec(
    F("data", required=True, max_length=2000, description="the text to encode"),
    F("type", "enum", values={"png": "png", "svg": "svg"}, description="png (default) or svg"),
    F("size", "int", minimum=1, maximum=40, description="pixels a module (default 4)"),
    F("margin", "int", minimum=0, maximum=40,
      description="quiet zone in modules (default 4)"),
    F("fg", pattern=HEX_COLOUR, description="foreground colour, hex (default 000000)"),
    F("bg", pattern=HEX_COLOUR, description="background colour, hex (default FFFFFF)"),
)


# The image a barcode URL answered before, by its format and raw query string: a repeat
# skips the colours and the image cache's key and lock (bounded; cleared when full).
_DRAWN: dict[tuple[str, str], barcodes.Image] = {}


async def _barcode(call: Call) -> Answer | None:
    request = call.request
    url = (call.params["format"], request.rel_url.raw_query_string)
    image = _DRAWN.get(url)
    if image is None:
        q = call.query
        try:
            image = barcodes.CACHE.image(
                url[0].lower(), q["data"], kind=q.get("type", "png"),
                scale=q.get("size", 4), margin=q.get("margin", 4),
                fg=barcodes.colour(q.get("fg"), "fg", b"\x00\x00\x00"),
                bg=barcodes.colour(q.get("bg"), "bg", b"\xff\xff\xff"))
        except BadInput as e:
            raise RestError.bad(e.message, e.field) from None
        if len(_DRAWN) >= barcodes.CACHE.size:
            _DRAWN.clear()
        _DRAWN[url] = image
    return image_answer(image, request.headers.get("If-None-Match"), "public, max-age=86400")


WALLET_QUERY = spec(F("code", required=True, max_length=64, description="the pass code"))
WALLETS = {"apple": ("applePassUrl", "Apple Wallet", "setAppleWallet"),
           "google": ("googleSaveUrl", "Google Wallet", "setGoogleWallet")}


def _wallet_link(platform: str) -> Any:
    field, name, mutation = WALLETS[platform]

    def present(data: dict[str, Any], call: Call) -> Answer:
        url = data["pass"]["wallet"][field]
        if url is None:
            raise RestError(409, "CONFLICT", f"{name} is not configured for this tenant "
                                             f"(an admin sets it with {mutation})")
        return Answer({"data": {"url": url}}, status=302, headers={"Location": url})

    return present


B = "/api/v1"
# What POST /passes/{id}/messages and its alias /push do, in both routes' documents.
MESSAGE_DELIVERY = (
    "Apple Wallet: the pass shows the message in a field whose changeMessage is %@ and every "
    "registered device is pushed, so the lock screen shows it; Google Wallet: the message is "
    "added to the object (addMessage, TEXT_AND_NOTIFY). Sent after the change commits, "
    "through the outbox; 409 for a deleted pass.")
ROUTES: list[Route] = [
    Route("GET", f"{B}/passes", "NativeListPasses", "passes:read", "read", "List passes",
          _list_passes, _passes, query=LIST_PASSES, response=_many("NativePass"), tag="Passes"),
    Route("POST", f"{B}/passes", "NativeCreatePass", "passes:write", "write", "Create a pass",
          _create_pass, lambda d, c: _data(P.pass_(d["createPass"]["pass"])), status=201,
          body=CREATE_PASS, response=_single("NativePass"), tag="Passes"),
    Route("POST", f"{B}/passes/bulk", "NativeCreatePasses", "passes:write", "write",
          "Create up to 1,000 passes, all or none", _bulk,
          lambda d, c: {"data": [P.pass_(p) for p in d["createPasses"]["passes"]],
                        "meta": {"count": d["createPasses"]["count"]}},
          status=201, body=BULK, response=_many("NativePass"), tag="Passes"),
    Route("GET", f"{B}/passes/export", None, "passes:read", "read",
          "Every pass as native objects (NDJSON or CSV), streamed", lambda c: {},
          lambda d, c: None, query=EXPORT, precheck=_export, tag="Passes",
          response={"anyOf": [{"type": "string", "contentMediaType": media}
                              for media in export.FORMATS.values()]},
          description="Filtered like GET /api/v1/passes; deleted passes included unless a "
                      "status is asked for. `passgate import --from native` reads it back."),
    Route("GET", f"{B}/passes/{{id}}", "NativeGetPass", "passes:read", "read",
          "Get a pass by id or code", _pass_ref, lambda d, c: _data(P.pass_(d["pass"])),
          response=_single("NativePass"), tag="Passes"),
    Route("PATCH", f"{B}/passes/{{id}}", "NativePatchPass", "passes:write", "write",
          "Update a pass (and change its status)", _patch_pass, _patched, body=UPDATE_PASS,
          response=_single("NativePass"), tag="Passes"),
    Route("DELETE", f"{B}/passes/{{id}}", "NativeDeletePass", "passes:write", "write",
          "Revoke a pass (soft delete)", _pass_id,
          lambda d, c: {"data": P.pass_(d["deletePass"]["pass"]), "message": "Pass revoked"},
          response=_single("NativePass"), tag="Passes"),
    Route("POST", f"{B}/passes/{{id}}/suspend", "NativeSuspendPass", "passes:write", "write",
          "Suspend a pass", _pass_id, lambda d, c: _data(P.pass_(d["suspendPass"]["pass"])),
          response=_single("NativePass"), tag="Passes"),
    Route("POST", f"{B}/passes/{{id}}/resume", "NativeResumePass", "passes:write", "write",
          "Resume a suspended pass", _pass_id,
          lambda d, c: _data(P.pass_(d["resumePass"]["pass"])),
          response=_single("NativePass"), tag="Passes"),
    Route("POST", f"{B}/passes/{{id}}/unlink", "NativeUnlinkPass", "passes:write", "write",
          "Unlink a pass from its wallet", _pass_id,
          lambda d, c: _data(P.pass_(d["unlinkPass"]["pass"])),
          response=_single("NativePass"), tag="Passes"),
    Route("POST", f"{B}/passes/{{id}}/messages", "NativeSendPassMessage", "passes:write",
          "write", "Send a message to the holders of the pass", _pass_message,
          _sent_message, status=201, body=PASS_MESSAGE,
          response=_single("NativePassMessage"), tag="Passes",
          description=MESSAGE_DELIVERY),
    Route("POST", f"{B}/passes/{{id}}/push", "NativeSendPassMessage", "passes:write",
          "write", "Send a message to the holders of the pass (alias of /messages)",
          _pass_message, _sent_message, status=201, body=PASS_MESSAGE,
          response=_single("NativePassMessage"), tag="Passes",
          description=MESSAGE_DELIVERY),
    Route("GET", f"{B}/passes/{{id}}/scans", "NativePassScans", "scans:read", "read",
          "A pass's scans, newest first", _pass_scans, _scans, query=PAGE_ONLY,
          response=_many("NativeScan"), tag="Scans"),
    Route("POST", f"{B}/validate", "NativeValidate", "scans:write", "validate",
          "Validate a code at a gate (uses it once unless dry_run)", _validate,
          lambda d, c: _data(P.validation(d["validatePass"])), body=VALIDATE,
          response=_single("NativeValidation"), tag="Validation",
          description="Every outcome answers 200; `result` says which (PassQR's "
                      "valid|expired|used|revoked|not_found), `reason` says exactly why."),
    Route("GET", f"{B}/scans", "NativeListScans", "scans:read", "read", "List scans",
          _list_scans, _scans, query=LIST_SCANS, response=_many("NativeScan"), tag="Scans"),
    Route("GET", f"{B}/webhooks/{{id}}/deliveries", "NativeWebhookDeliveries",
          "webhooks:read", "read", "A webhook's deliveries, newest first, with every attempt",
          _deliveries_of, _deliveries, query=PAGE_ONLY, response=_many("NativeWebhookDelivery"),
          tag="Webhooks"),
    Route("GET", f"{B}/templates", "NativeListTemplates", "templates:read", "read",
          "List templates", _page,
          lambda d, c: P.listing([P.template(t) for t in d["templates"]["nodes"]],
                                 d["templates"]["totalCount"], c.query),
          query=PAGE_ONLY, response=_many("NativeTemplate"), tag="Templates"),
    Route("POST", f"{B}/templates", "NativeCreateTemplate", "templates:write", "write",
          "Create a template", _create_template,
          lambda d, c: _data(P.template(d["createTemplate"]["template"])), status=201,
          body=CREATE_TEMPLATE, response=_single("NativeTemplate"), tag="Templates"),
    Route("GET", f"{B}/templates/{{id}}", "NativeGetTemplate", "templates:read", "read",
          "Get a template", _template_id, lambda d, c: _data(P.template(d["template"])),
          response=_single("NativeTemplate"), tag="Templates"),
    Route("PATCH", f"{B}/templates/{{id}}", "NativeUpdateTemplate", "templates:write",
          "write", "Update a template", _input_with_id("template"),
          lambda d, c: _data(P.template(d["updateTemplate"]["template"])),
          body=UPDATE_TEMPLATE, response=_single("NativeTemplate"), tag="Templates"),
    Route("DELETE", f"{B}/templates/{{id}}", "NativeDeleteTemplate", "templates:write",
          "write", "Delete a template no pass uses", _template_id,
          lambda d, c: {"data": P.template(d["deleteTemplate"]["template"]),
                        "message": "Template deleted"},
          response=_single("NativeTemplate"), tag="Templates"),
    Route("PUT", f"{B}/templates/{{id}}/images/{{image}}", "NativeUploadTemplateImage",
          "templates:write", "write", "Upload one wallet image of a template",
          _template_image,
          lambda d, c: _data(P.template(d["uploadTemplateImage"]["template"])),
          body=TEMPLATE_IMAGE, response=_single("NativeTemplate"), tag="Templates",
          description="image: icon, logo, strip or thumbnail, optionally @2x or @3x (e.g. "
                      "logo@2x). A PNG within Apple's size for it (1x: icon 38x38, logo "
                      "160x50, strip 375x144, thumbnail 90x90; @2x and @3x twice and three "
                      "times that), at most 256 KiB: 400 names what is wrong. The icon comes "
                      "first (409 otherwise). The template's passes get a new version."),
    Route("DELETE", f"{B}/templates/{{id}}/images/{{image}}", "NativeDeleteTemplateImage",
          "templates:write", "write", "Remove one wallet image of a template",
          _template_image,
          lambda d, c: _data(P.template(d["deleteTemplateImage"]["template"])),
          response=_single("NativeTemplate"), tag="Templates",
          description="The icon goes last (409 while other images remain); without images "
                      "the passes carry passgate's own icon and logo."),
    Route("GET", f"{B}/customers", "NativeListCustomers", "customers:read", "read",
          "List customers", _list_customers,
          lambda d, c: P.listing([P.customer(x) for x in d["customers"]["nodes"]],
                                 d["customers"]["totalCount"], c.query),
          query=LIST_CUSTOMERS, response=_many("NativeCustomer"), tag="Customers"),
    Route("POST", f"{B}/customers", "NativeUpsertCustomer", "customers:write", "write",
          "Create or update a customer (matched by external_id, else email)", _input,
          _upserted, status=201, body=CUSTOMER, response=_single("NativeCustomer"),
          tag="Customers", also=(200,)),
    Route("GET", f"{B}/customers/{{id}}", "NativeGetCustomer", "customers:read", "read",
          "Get a customer", _customer_id, lambda d, c: _data(P.customer(d["customer"])),
          response=_single("NativeCustomer"), tag="Customers"),
    Route("PATCH", f"{B}/customers/{{id}}", "NativeUpdateCustomer", "customers:write",
          "write", "Update a customer", _input_with_id("customer"),
          lambda d, c: _data(P.customer(d["updateCustomer"]["customer"])),
          body=replace(CUSTOMER, at_least_one=True),
          response=_single("NativeCustomer"), tag="Customers"),
    Route("DELETE", f"{B}/customers/{{id}}", "NativeDeleteCustomer", "customers:write",
          "write", "Delete a customer (their passes stay)", _customer_id,
          lambda d, c: {"data": P.customer(d["deleteCustomer"]["customer"]),
                        "message": "Customer deleted"},
          response=_single("NativeCustomer"), tag="Customers"),
    Route("POST", "/api/validate", "PassqrLegacyValidate", "scans:write", "validate",
          "PassQR's older validate route", _legacy_validate, _legacy_validation,
          body=LEGACY_VALIDATE, response=ref("PassqrLegacyValidation"), tag="Validation",
          description="Every outcome answers 200, as PassQR's older API: `{valid, status, "
                      "message, pass, timestamp}` in camelCase, without an envelope."),
    Route("GET", "/api/validate", "PassqrLegacyValidateGet", "scans:write", "validate",
          "PassQR's older validate route (code in the query string)", _legacy_validate,
          _legacy_validation, query=LEGACY_VALIDATE, response=ref("PassqrLegacyValidation"),
          tag="Validation"),
    Route("POST", "/api/passes/bulk", "PassqrLegacyBulk", "passes:write", "write",
          "PassQR's older bulk create: up to 100 passes, answers their codes", _legacy_bulk,
          lambda d, c: [p["code"] for p in d["createPasses"]["passes"]], status=201,
          body=LEGACY_BULK, response={"type": "array", "items": {"type": "string"}},
          tag="Passes"),
    Route("GET", f"{B}/usage", "NativeUsage", "any", "read",
          "This month's usage, quotas and rate limits", lambda c: {}, _usage,
          response=_single("NativeUsage"), tag="Account"),
    Route("GET", "/api/wallet/apple", "NativeWalletLinks", "passes:read", "read",
          "Add to Apple Wallet: a redirect to the signed .pkpass", lambda c: dict(c.query),
          _wallet_link("apple"), query=WALLET_QUERY, status=302, tag="Wallet",
          response={"type": "object"},
          description="302 to the pass's public, token-signed .pkpass link (application/"
                      "vnd.apple.pkpass); 409 when the tenant has no Apple Wallet settings."),
    Route("GET", "/api/wallet/google", "NativeWalletLinks", "passes:read", "read",
          "Save to Google Wallet: a redirect to the save link", lambda c: dict(c.query),
          _wallet_link("google"), query=WALLET_QUERY, status=302, tag="Wallet",
          response={"type": "object"},
          description="302 to https://pay.google.com/gp/v/save/<JWT>; 409 when the tenant "
                      "has no Google Wallet settings."),
    Route("GET", f"{B}/barcodes/{{format}}", None, "any", "read",
          "A barcode image (PNG or SVG)", lambda c: {}, lambda d, c: None, query=BARCODE,
          precheck=_barcode, tag="Barcodes",
          response={"type": "string", "contentMediaType": "image/png"},
          description="format: qr, pdf417, aztec, code128 (the template formats), code39, "
                      "code93, ean8, ean13, itf14, upca, upce. Drawn by zxing-cpp; strong "
                      "ETag (If-None-Match answers 304); cacheable for a day."),
]
# A pass's former vendor id works wherever these routes take a pass id.
ROUTES = with_pass_param(ROUTES, f"{B}/passes/{{id}}", "id")

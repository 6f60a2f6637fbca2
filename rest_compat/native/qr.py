"""Dynamic QR codes (seed 004) in the native dialect: ``/api/v1/qr…``. The team plan or above;
the graph refuses other plans with 403 PLAN_LIMIT."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from resolvers.errors import BadInput
from resolvers.wallet import barcodes

from ..engine import Answer, Call, Route
from ..errors import RestError
from ..fields import HEX_COLOUR, NOT_BLANK, URL_PATTERN, F, parse_datetime, spec
from ..images import image_answer
from ..openapi_types import array, obj, ref
from ..present import MAX_PAGE, iso, page_window, raw_id

STATUS = {"active": "ACTIVE", "paused": "PAUSED"}
FIELDS = (
    F("name", max_length=200, nullable=False, pattern=NOT_BLANK),
    F("destination_url", to="destinationUrl", max_length=2000, nullable=False,
      pattern=URL_PATTERN,
      description="absolute http(s) URL the code redirects to"),
    F("type", "enum", values={"url": "URL"}),
    F("status", "enum", values=STATUS),
    F("style", "object", description="colours, logo, frame: kept as given"),
)
CREATE = spec(*(replace(f, required=f.wire in ("name", "destination_url")) for f in FIELDS))
UPDATE = spec(*FIELDS, at_least_one=True)
LIST = spec(F("page", "int", minimum=1, maximum=MAX_PAGE),
            F("limit", "int", minimum=1, maximum=100),
            F("status", "enum", values=STATUS), strict=False)
RANGE = spec(F("from", description="ISO date or date-time (default: `days` ago)"),
             F("to", description="ISO date (inclusive) or date-time (default: now)"),
             F("days", "int", minimum=1, maximum=400, description="default 30"),
             strict=False)


def qr(q: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": raw_id(q["id"]), "name": q["name"], "type": q["type"].lower(),
        "destination_url": q["destinationUrl"], "short_code": q["slug"],
        "short_url": q["shortUrl"], "status": q["status"].lower(), "style": q["style"],
        "scan_count": q["scanCount"], "last_scanned_at": iso(q["lastScannedAt"]),
        "created_at": iso(q["createdAt"]), "updated_at": iso(q["updatedAt"]),
    }


def _range(call: Call) -> dict[str, Any]:
    q = call.query
    if "days" in q and ("from" in q or "to" in q):
        raise RestError.bad("give either days or from/to, not both", "days")
    to = parse_datetime(q["to"], "to") if "to" in q else None
    start = parse_datetime(q["from"], "from") if "from" in q else None
    try:
        if to is not None and len(q["to"].strip()) == 10:  # a date: include that whole day
            to = (datetime.fromisoformat(to) + timedelta(days=1)).isoformat()
        if start is None:
            end = datetime.fromisoformat(to) if to else None
            days = q.get("days", 30)
            if end is not None:
                start = (end - timedelta(days=days)).isoformat()
            elif "days" in q:
                start = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    except OverflowError:
        raise RestError.bad("to is out of range: the range must fall within the years "
                            "0001-9999", "to") from None
    return {"id": call.params["id"], "from": start, "to": to}


def _analytics(data: dict[str, Any], call: Call) -> dict[str, Any]:
    a = data["qrCode"]["analytics"]
    return {"data": {
        "qr_id": raw_id(data["qrCode"]["id"]), "from": iso(a["from"]), "to": iso(a["to"]),
        "total_scans": a["totalScans"], "unique_scans": a["uniqueVisitors"],
        "by_day": [{"date": b["start"][:10], "scans": b["scans"]} for b in a["series"]],
        "by_country": a["countries"],
        "by_device": a["devices"],
    }}


def _list(data: dict[str, Any], call: Call) -> dict[str, Any]:
    conn = data["qrCodes"]
    return {"data": [qr(q) for q in conn["nodes"]],
            "meta": {"page": call.query.get("page", 1), "limit": call.query.get("limit", 20),
                     "total": conn["totalCount"]}}


def _update(call: Call) -> dict[str, Any]:
    if not call.body:
        raise RestError.bad("nothing to change: send at least one field")
    # A code's type never changes ("url" is the only one): a full object sent back is fine.
    changes = {k: v for k, v in call.body.items() if k != "type"}
    return {"input": {"id": call.params["id"], **changes}}


IMAGE = spec(
    F("format", "enum", values={"png": "png", "svg": "svg"}, description="png (default) or svg"),
    F("size", "int", minimum=64, maximum=2000,
      description="width and height in pixels (default 512); an SVG is drawn at the nearest "
                  "whole number of pixels a module"),
    F("margin", "int", minimum=0, maximum=40, description="quiet zone in modules (default 4)"),
    F("fg", pattern=HEX_COLOUR, description="foreground colour, hex (default 000000)"),
    F("bg", pattern=HEX_COLOUR, description="background colour, hex (default FFFFFF)"),
)


async def _image(call: Call) -> Answer:
    """The code's short URL as a QR image, drawn by the barcode renderer every image of
    passgate uses (zxing-cpp, cached per process); a strong ETag, so If-None-Match is 304."""
    assert call.run is not None
    found = (await call.run("NativeGetQr", {"id": call.params["id"]}))["qrCode"]
    if found is None:
        raise RestError.not_found("QR code not found")
    q = call.query
    kind, size, margin = q.get("format", "png"), q.get("size", 512), q.get("margin", 4)
    try:
        fg = barcodes.colour(q.get("fg"), "fg", b"\x00\x00\x00")
        bg = barcodes.colour(q.get("bg"), "bg", b"\xff\xff\xff")
        if kind == "svg":
            modules = barcodes.encode("qr", found["shortUrl"]).width + 2 * margin
            image = barcodes.CACHE.image("qr", found["shortUrl"], kind="svg", margin=margin,
                                         scale=max(1, round(size / modules)), fg=fg, bg=bg)
        else:
            image = barcodes.CACHE.image("qr", found["shortUrl"], kind="png", margin=margin,
                                         width=size, height=size, fg=fg, bg=bg)
    except BadInput as e:
        raise RestError.bad(e.message, e.field) from None
    # private: the image is read with a key (the code's short URL is no secret, but its id is
    # the tenant's)
    return image_answer(image, call.request.headers.get("If-None-Match"),
                        "private, max-age=3600")


SCHEMAS = {
    "NativeQr": obj(id="str", name="str", type="str", destination_url="str", short_code="str",
                    short_url="str", status={"type": "string", "enum": list(STATUS)},
                    style="obj?", scan_count="int", last_scanned_at="time?",
                    created_at="time", updated_at="time"),
    "NativeQrAnalytics": obj(
        qr_id="str", to="time", total_scans="int", unique_scans="int",
        by_day=array(obj(date="str", scans="int")),
        by_country=array(obj(country="str", scans="int")),
        by_device=array(obj(device="str", scans="int")), **{"from": "time"}),
}
ONE = obj(data=ref("NativeQr"))
B = "/api/v1/qr"
QR_ROUTES: list[Route] = [
    Route("GET", B, "NativeListQr", "qr:read", "read", "List dynamic QR codes",
          lambda c: {"status": c.query.get("status"), **page_window(c.query)}, _list,
          query=LIST, response=obj(data=array(ref("NativeQr")),
                                   meta=ref("NativePageMeta")), tag="QR codes"),
    Route("POST", B, "NativeCreateQr", "qr:write", "write", "Create a dynamic QR code",
          lambda c: {"input": c.body}, lambda d, c: {"data": qr(d["createQrCode"]["qrCode"])},
          status=201, body=CREATE, response=ONE, tag="QR codes"),
    Route("GET", f"{B}/{{id}}", "NativeGetQr", "qr:read", "read", "Get a dynamic QR code",
          lambda c: {"id": c.params["id"]}, lambda d, c: {"data": qr(d["qrCode"])},
          response=ONE, tag="QR codes"),
    Route("PUT", f"{B}/{{id}}", "NativeUpdateQr", "qr:write", "write",
          "Change a QR code's name, destination or status (partial accepted)", _update,
          lambda d, c: {"data": qr(d["updateQrCode"]["qrCode"])}, body=UPDATE, response=ONE,
          tag="QR codes"),
    Route("DELETE", f"{B}/{{id}}", "NativeDeleteQr", "qr:write", "write",
          "Delete a QR code and its scans", lambda c: {"id": c.params["id"]},
          lambda d, c: Answer(None), status=204, tag="QR codes"),
    Route("GET", f"{B}/{{id}}/analytics", "NativeQrAnalytics", "qr:read", "read",
          "Scans, unique visitors, a daily series and top devices", _range, _analytics,
          query=RANGE, response=obj(data=ref("NativeQrAnalytics")), tag="QR codes"),
    Route("GET", f"{B}/{{id}}/image", None, "qr:read", "read",
          "The code as an image to print (PNG or SVG)", lambda c: {}, lambda d, c: None,
          query=IMAGE, precheck=_image, tag="QR codes",
          response={"anyOf": [{"type": "string", "contentMediaType": "image/png"},
                              {"type": "string", "contentMediaType": "image/svg+xml"}]},
          description="Encodes the code's short_url, so the printed code keeps working when "
                      "the destination changes. Strong ETag (If-None-Match answers 304)."),
]

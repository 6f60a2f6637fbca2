"""The native dialect (PassQR-compatible and a superset)."""

from pathlib import Path
from typing import Any

from aiohttp import web

from ..engine import Dialect
from ..openapi_types import array, obj, ref
from .qr import QR_ROUTES
from .qr import SCHEMAS as QR_SCHEMAS
from .routes import ROUTES


def error_body(status: int, code: str, message: str, field: str | None,
               request: web.Request) -> dict[str, Any]:
    body = {"error": code, "message": message}
    if field:
        body["field"] = field
    return body


PASS = obj(
    id="str", code="str", external_id="str?", type="str", name="str?", note="str?",
    template_id="str?",
    customer_id="str?", holder_name="str?", holder_email="str?", holder_phone="str?",
    status={"type": "string", "enum": ["active", "used", "expired", "revoked", "suspended",
                                       "unlinked", "not_yet_valid"]},
    state="str", uses_count="int", max_uses="int?", remaining_uses="int?",
    valid_from="time?", expires_at="time?", data="obj", metadata="obj", attributes="obj",
    custom_fields=array(obj(key="str", value="str", is_public="bool")), public_url="str",
    created_at="time", updated_at="time", last_scanned_at="time?",
)
SCHEMAS = {
    "NativePass": PASS,
    "NativeTemplate": obj(
        id="str", name="str", type="str", description="str?", color="str?",
        foreground_color="str?", label_color="str?", logo_url="str?", icon_url="str?",
        barcode_format="str", fields={"type": ["object", "array"]}, settings="obj",
        default_type="str", default_max_uses="int?",
        default_valid_from="time?", default_expires_at="time?", default_valid_days="int?",
        apple_pass_type_id="str?", apple_team_id="str?", google_issuer_id="str?",
        localizations={"type": ["object", "null"]},
        images=array(obj(image="str", scale="int", file_name="str", width="int", height="int",
                         size="int", sha1="str", url="str")),
        created_at="time", updated_at="time"),
    "NativeCustomer": obj(id="str", external_id="str?", email="str?", name="str?",
                          phone="str?", attributes="obj", created_at="time",
                          updated_at="time"),
    "NativeScan": obj(id="str", pass_id="str?", code="str", result="str", reason="str?",
                      message="str", scan_id="str?", device_id="str?", location="str?",
                      operator_key_id="str?", uses_after="int?", scanned_at="time"),
    "NativeValidation": obj(
        result={"type": "string", "enum": ["valid", "expired", "used", "revoked",
                                           "not_found"]},
        message="str", valid="bool", reason="str?", remaining_uses="int?", scan_id="str?",
        pass_={"oneOf": [ref("NativePass"), {"type": "null"}]},
        template={"type": ["object", "null"]}),
    "NativeUsage": obj(plan="str", api_access="bool", month="str", api_calls="int",
                       validations="int", monthly_api_calls_quota="int?",
                       monthly_validations_quota="int?", resets_at="time",
                       max_passes="int?", passes_kept="int?", rate_limits_per_minute="obj"),
    "NativePageMeta": obj(page="int", limit="int", total="int"),
    "NativePassMessage": obj(pass_id="str", title="str", message="str", sent_at="time"),
    "NativeWebhookDelivery": obj(
        id="str", event_id="str", event_type="str",
        state={"type": "string", "enum": ["pending", "delivered", "failed"]},
        attempt_count="int", next_attempt_at="time?", last_status="int?", last_error="str?",
        created_at="time", delivered_at="time?",
        attempts=array(obj(attempt="int", status="int?",
                           latency_ms={"type": ["number", "null"]}, error="str?",
                           response_excerpt="str?", attempted_at="time"))),
    "PassqrLegacyValidation": obj(
        valid="bool", status="str", message="str", timestamp="time",
        pass_={"type": ["object", "null"]}),
    **QR_SCHEMAS,
}
for _name in ("NativeValidation", "PassqrLegacyValidation"):
    SCHEMAS[_name]["properties"]["pass"] = SCHEMAS[_name]["properties"].pop("pass_")

DIALECT = Dialect(
    name="native",
    pass_lookup="NativePassByExternalId",
    title="native (PassQR-compatible)",
    folder=Path(__file__).parent,
    routes=ROUTES + QR_ROUTES,
    error_body=error_body,
    error_schema=obj(error="str", message="str", field="str"),
    schemas=SCHEMAS,
)

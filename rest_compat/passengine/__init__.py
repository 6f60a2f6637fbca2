"""The passengine dialect (PassEngine, seed 000)."""

from pathlib import Path
from typing import Any

from aiohttp import web

from ..engine import Dialect
from ..openapi_types import array, obj, ref
from .clients import ROUTES as CLIENT_ROUTES
from .routes import ROUTES
from .webhooks import ROUTES as WEBHOOK_ROUTES


def error_body(status: int, code: str, message: str, field: str | None,
               request: web.Request) -> dict[str, Any]:
    return {"error": message}


SCHEMAS = {
    "EnginePass": obj(
        id="str", code="str", name="str?", type={"type": "string", "enum": ["single", "multi"]},
        status={"type": "string", "enum": ["active", "used", "expired", "revoked",
                                           "suspended"]},
        maxUsages="int?", usagesCount="int", validFrom="time?", validUntil="time?",
        publicUrl="str", createdAt="time", note="str?", templateId="str?",
        customFields=array(obj(key="str", value="str", isPublic="bool")),
        client={"type": ["object", "null"]}),
    "EngineClient": obj(id="str", externalId="str?", name="str?", email="str?", phone="str?",
                        createdAt="time", updatedAt="time"),
    "EngineWebhook": obj(id="str", url="str", events=array({"type": "string"}),
                         active="bool", description="str?", createdAt="time",
                         updatedAt="time"),
    "EngineCreatedWebhook": obj(id="str", url="str", events=array({"type": "string"}),
                                active="bool", description="str?", createdAt="time",
                                updatedAt="time", secret="str"),
    "EngineScanResult": obj(valid="bool", reason={"type": "string", "enum": [
        "ok", "used", "expired", "revoked", "not_yet_valid"]}, **{"pass": ref("EnginePass")}),
}

DIALECT = Dialect(
    name="passengine",
    pass_lookup="EnginePassByExternalId",
    title="PassEngine",
    folder=Path(__file__).parent,
    routes=[*ROUTES, *CLIENT_ROUTES, *WEBHOOK_ROUTES],
    error_body=error_body,
    shared_bucket="passengine",
    key_prefix="2pk_",
    error_schema=obj(error="str"),
    schemas=SCHEMAS,
    cors_origins=("*",),  # "CORS with OPTIONS on every endpoint" (seed 000's vendor docs)
)

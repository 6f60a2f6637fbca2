"""The walletcrew dialect (The Wallet Crew, formerly Neostore; seed 003): tenant-routed
``/api/{tenantId}/…``, ``X-API-KEY``, ProblemDetails errors."""

from pathlib import Path
from typing import Any

from aiohttp import web

from ..engine import Dialect, Route
from ..errors import RestError
from ..openapi_types import array, obj
from .present import error_body
from .routes import ROUTES


async def guard(request: web.Request, raw_body: bytes, principal: Any, route: Route) -> None:
    """The path's tenant must be the key's: another tenant's id answers 404, as if absent,
    so a key cannot probe which tenants exist. An anonymous route (a barcode image: nothing
    of the tenant's in it) takes any tenant id of the right form."""
    tenant_id = request.match_info.get("tenantId", "")
    if not tenant_id.startswith("ten_"):  # e.g. /api/v1/…: a path no dialect serves
        raise RestError.not_found(f"no route {request.method} {request.path}")
    if route.anonymous and principal is None:
        return
    if principal is None or tenant_id != principal.tenant_id:
        raise RestError.not_found(f"no tenant {tenant_id!r} for this API key")


STRINGS = {"type": "object", "additionalProperties": {"type": "string"}}
SCHEMAS = {
    "WalletcrewPass": obj(
        id="str", secret="str", creationDate="time", lastUpdateDate="time", passType="str?",
        identifiers=STRINGS, metadata="obj", additionalData="obj", providers="obj",
        status={"type": "string", "enum": ["active", "suspended", "unlinked", "deleted",
                                           "expired", "not_yet_valid", "used_up"]}),
    "WalletcrewCustomer": obj(id="str", identifiers="obj", metadata="obj",
                              creationDate="time", lastUpdateDate="time"),
    "WalletcrewWebhook": obj(id="str", endpoint="str", events=array({"type": "string"}),
                             enabled="bool", description="str?", creationDate="time",
                             lastUpdateDate="time", signatureSecret={
                                 "type": "string", "description": "only when created"}),
    "WalletcrewInsightsResult": obj(
        columns=array(obj(name="str", type="str")),
        rows=array({"type": "array"})),
}

DIALECT = Dialect(
    name="walletcrew",
    pass_lookup="WalletcrewPassByExternalId",
    title="The Wallet Crew",
    folder=Path(__file__).parent,
    routes=ROUTES,
    error_body=error_body,
    security="apiKeyHeader",
    error_schema=obj(type="str", title="str", status="int", detail="str", instance="str",
                     code="str", errors={"type": "object", "additionalProperties": {
                         "type": "array", "items": {"type": "string"}}}),
    error_content_type="application/problem+json",
    schemas=SCHEMAS,
    guard=guard,
    # Tenant ids are ours (ten_…); "v1" is the other dialects' prefix, never a tenant.
    path_patterns={"tenantId": r"(?!v1/)[^/]+"},
    extra_error_statuses=(412, 422),
)

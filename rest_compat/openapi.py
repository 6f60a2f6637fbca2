"""The OpenAPI 3.1 document, generated from the route tables (never written by hand).

Where two dialects share a method and path (``POST /api/v1/passes``), the operation lists
both shapes with ``anyOf`` and says that the key's dialect decides (``oneOf`` would be
false: an error body such as ``{"error": "…", "message": "…"}`` fits both).
"""

import copy
import re
from typing import Any

from .engine import Dialect, Route
from .errors import HTTP_STATUS

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "bearer": {"type": "http", "scheme": "bearer",
               "description": "Authorization: Bearer <key> (X-API-KEY works too)"},
    "apiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-KEY"},
    "accessgridAccount": {"type": "apiKey", "in": "header", "name": "X-ACCT-ID"},
    # Apple's PassKit web service: the pass's authenticationToken, not an API key.
    "applePass": {"type": "apiKey", "in": "header", "name": "Authorization",
                  "description": "ApplePass <authenticationToken> (from the pass's pass.json)"},
    "accessgridSignature": {
        "type": "apiKey", "in": "header", "name": "X-PAYLOAD-SIG",
        "description": "hex HMAC-SHA256(secret_key, base64(payload)); payload = the raw "
                       "body, else the sig_payload query parameter, else {}"},
}
SECURITY = {
    "bearer": [{"bearer": []}, {"apiKeyHeader": []}],
    "apiKeyHeader": [{"apiKeyHeader": []}],
    "accessgrid": [{"accessgridAccount": [], "accessgridSignature": []}],
}
ERROR_STATUSES = sorted({s for s in HTTP_STATUS.values() if s not in (413, 501)})
_PARAM = re.compile(r"{(\w+)}")
# Every REST write made with a key honours it (gateway/idempotency.py, Stripe's semantics);
# 1 to 255 printable ASCII characters (resolvers.idempotency.check_key).
WRITES = ("POST", "PATCH", "PUT", "DELETE")
IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "Makes a retry safe: the same key with the same request answers the first "
                   "answer again (Idempotent-Replayed: true); with another request, or while "
                   "the first still runs, 409. Kept 24 hours.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255,
               "pattern": "^[!-~]([ -~]*[!-~])?$"}}


def _error_responses(dialect: Dialect) -> dict[str, Any]:
    schema = {"$ref": f"#/components/schemas/{dialect.name}Error"}
    out = {str(s): {"description": _REASONS.get(s, "Error"),
                    "content": {dialect.error_content_type: {"schema": schema}}}
           for s in sorted({*ERROR_STATUSES, *dialect.extra_error_statuses})}
    # A request HTTP itself cannot read (a request line or header over 8 KiB) is refused by
    # the HTTP layer before any route runs, in plain text.
    out["400"]["content"]["text/plain"] = {"schema": {"type": "string"}}
    return out


_REASONS = {400: "Bad input (the message names the field)", 401: "Missing or invalid key",
            403: "Scope missing, or the plan does not allow it", 404: "Not found",
            409: "Conflict", 429: "Rate limited (see Retry-After)",
            501: "A feature of the vendor's API that passgate does not offer"}


def _operation(dialect: Dialect, route: Route) -> dict[str, Any]:
    op: dict[str, Any] = {
        "operationId": f"{dialect.name}_{route.operation or _slug(route)}",
        "summary": route.summary,
        "tags": [f"{dialect.title}" + (f": {route.tag}" if route.tag else "")],
        # An anonymous route: a key is optional ({} is "none needed").
        "security": [{}, *SECURITY[dialect.security]] if route.anonymous
        else SECURITY[dialect.security],
        "x-graphql-operation": route.operation,
        "x-scope": route.scope,
        "x-rate-limit-class": route.rate_class,
    }
    if route.description:
        op["description"] = route.description
    params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
              for name in _PARAM.findall(route.path)]
    if route.query is not None:
        params += route.query.openapi_parameters()
    if route.method in WRITES and not route.anonymous:
        params.append(IDEMPOTENCY_KEY)
    if params:
        op["parameters"] = params
    if route.body is not None:
        body = route.body.openapi_object()
        if route.ignore_unknown_fields:  # ignored and named in X-Passgate-Ignored-Fields
            body.pop("additionalProperties", None)
        op["requestBody"] = {"required": route.body.at_least_one
                             or any(f.required for f in route.body.fields),
                             "content": {"application/json": {"schema": body}}}
    op["responses"] = {**{str(s): _success(route, s) for s in (route.status, *route.also)},
                       **_error_responses(dialect)}
    if route.anonymous:  # no key, no plan or rate check: never a 401, 403 or 429
        for status in ("401", "403", "429"):
            op["responses"].pop(status, None)
    if route.openapi is not None:  # a protocol of its own (gateway/): its own answers
        op.update(copy.deepcopy(route.openapi))
    return op


def _success(route: Route, status: int) -> dict[str, Any]:
    """A 204 has no body; a redirect names its target in ``Location`` and has no body."""
    if 300 <= status < 400:
        return {"description": "Redirect", "headers": {"Location": {
            "required": True, "schema": {"type": "string", "format": "uri"}}}}
    answer: dict[str, Any] = {"description": "OK" if status < 300 else "Done"}
    if status != 204:
        schema = route.response or {}
        media = [v.get("contentMediaType") for v in schema.get("anyOf", [schema])]
        answer["content"] = ({m: {"schema": {"type": "string"}} for m in media}
                             if all(media) else {"application/json": {"schema": schema}})
    return answer


def _slug(route: Route) -> str:
    return re.sub(r"\W+", "_", f"{route.method}_{route.path}").strip("_")


def _merge(existing: dict[str, Any], new: dict[str, Any], dialects: list[str]) -> None:
    """One method and path, several dialects: the key's dialect picks the shape."""
    existing["description"] = (
        "Shared by dialects " + ", ".join(dialects) + ": the calling key's dialect decides "
        "how the request is read and the answer written.")
    existing.setdefault("x-dialects", [existing["operationId"]]).append(new["operationId"])
    if "requestBody" in new:
        mine = existing.setdefault("requestBody", {"content": {"application/json": {
            "schema": {}}}})["content"]["application/json"]
        theirs = new["requestBody"]["content"]["application/json"]["schema"]
        mine["schema"] = {"anyOf": [*mine["schema"].get("anyOf", [mine["schema"]]), theirs]}
        existing["requestBody"]["required"] = False
    for status, answer in new["responses"].items():
        if status not in existing["responses"]:
            existing["responses"][status] = answer
            continue
        for ctype, content in answer.get("content", {}).items():
            slot = existing["responses"][status].setdefault("content", {}).setdefault(
                ctype, {"schema": {}})
            if content["schema"] != slot["schema"]:
                slot["schema"] = {"anyOf": [*slot["schema"].get("anyOf", [slot["schema"]]),
                                            content["schema"]]}
    names = {p["name"] for p in existing.get("parameters", [])}
    existing.setdefault("parameters", []).extend(
        p for p in new.get("parameters", []) if p["name"] not in names)
    if not existing["parameters"]:
        del existing["parameters"]
    existing["security"] = existing["security"] + [
        s for s in new["security"] if s not in existing["security"]]


def document(dialects: list[Dialect], *, version: str, server_url: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    owners: dict[tuple[str, str], list[str]] = {}
    schemas: dict[str, Any] = {}
    used: set[str] = set()
    for dialect in dialects:
        schemas[f"{dialect.name}Error"] = dialect.error_schema or {"type": "object"}
        schemas.update(dialect.schemas)
        for route in dialect.routes:
            method = route.method.lower()
            op = _operation(dialect, route)
            if op["operationId"] in used:  # one operation behind two paths: ids stay unique
                op["operationId"] += "_" + _slug(route)
            used.add(op["operationId"])
            slot = paths.setdefault(route.path, {})
            key = (route.path, method)
            if method in slot:
                owners[key].append(dialect.name)
                _merge(slot[method], op, owners[key])
            else:
                owners[key] = [dialect.name]
                slot[method] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "passgate REST compatibility API",
            "version": version,
            "description": "Vendor-compatible REST routes. Each one runs a named GraphQL "
                           "operation on the same graph as /graphql. Dialects: "
                           + ", ".join(d.title for d in dialects) + ".",
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }

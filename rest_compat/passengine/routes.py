"""The passengine dialect (seed 000): ``/api/v1`` for keys minted with ``--dialect
passengine`` (``2pk_…``). Bare camelCase objects, lists as bare arrays, errors
``{"error": message}``, 30 requests a minute per key across these routes."""

from typing import Any

from ..engine import Call, Route, with_pass_param
from ..errors import RestError
from ..fields import CODE_PATTERN, NOT_BLANK, F, spec
from ..openapi_types import array, ref
from ..present import MAX_PAGE, own_id, page_window
from . import present as P

CUSTOM_FIELD = {"type": "object", "required": ["key"], "properties": {
    "key": {"type": "string"}, "value": {"type": "string"}, "isPublic": {"type": "boolean"}}}


def _custom_fields(items: list[Any]) -> list[dict[str, Any]]:
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("key"), str) or (
            set(item) - {"key", "value", "isPublic"}
        ) or not isinstance(item.get("value", ""), str) or not isinstance(
            item.get("isPublic", False), bool
        ):
            raise RestError.bad(f"customFields[{i}] must be {{key: string, value: string, "
                                "isPublic: boolean}", "customFields")
    return [{"key": i["key"], "value": i.get("value", ""), "isPublic": i.get("isPublic", False)}
            for i in items]


FIELDS = (
    F("name", max_length=200, description="human-readable label"),
    F("note", max_length=2000, description="internal note (not shown on the public page)"),
    F("maxUsages", "int", minimum=1, description="max scans for multi passes (null = "
      "unlimited)"),
    F("validFrom", "datetime"),
    F("validUntil", "datetime"),
    F("customFields", "array", items=CUSTOM_FIELD, convert=_custom_fields),
    F("templateId", description="pass template id, for styling"),
    F("clientId", to="customerId", description="the pass's client (GET /clients), shown as "
      "client {name, email} in lists"),
)
TYPE = {"single": "SINGLE", "multi": "MULTI"}
CREATE = spec(F("type", "enum", values=TYPE, required=True, nullable=False,
                description='"single" or "multi"'), *FIELDS,
              F("code", max_length=64, pattern=CODE_PATTERN,
                description="an existing code to keep (a pass moved "
                "from PassEngine); omitted: one is minted"),
              F("id", to="externalId", max_length=200, description="the pass's PassEngine id "
                "(clx…), kept: answers show it and /passes/{id} takes it"))
UPDATE = spec(F("type", "enum", values=TYPE), *FIELDS, at_least_one=True)
LIST = spec(
    F("search", description="name or code"),
    F("status", "enum", values=P.STATUS_FILTER),
    F("limit", "int", minimum=1, maximum=100, description="default 25, at most 100"),
    F("page", "int", minimum=1, maximum=MAX_PAGE, description="default 1"),
    strict=False,
)
SCAN = spec(F("code", required=True, nullable=False, max_length=200, pattern=NOT_BLANK))


def _id(call: Call) -> dict[str, Any]:
    """An id that is not one of ours (a ``clx…`` from PassEngine itself) is missing: 404."""
    return {"id": own_id(call.params["id"], "pass_", "pass not found")}


def _list(call: Call) -> dict[str, Any]:
    q = call.query
    flt = {k: q[k] for k in ("search", "status") if k in q}
    return {"filter": flt or None, **page_window(q, default_limit=25)}


def _update(call: Call) -> dict[str, Any]:
    if not call.body:
        raise RestError.bad("nothing to change: send at least one field")
    return {"input": {**_id(call), **call.body}}


def _scan(data: dict[str, Any], call: Call) -> dict[str, Any]:
    result = data["validatePass"]
    if result["reason"] == "NOT_FOUND":
        raise RestError.not_found("pass not found")
    return {"valid": result["valid"], "reason": P.REASON[result["reason"]],
            "pass": P.pass_(result["pass"])}


PASS = ref("EnginePass")
B = "/api/v1"
ROUTES: list[Route] = [
    Route("GET", f"{B}/passes", "EngineListPasses", "passes:read", "read", "List passes",
          _list, lambda d, c: [P.pass_(p, listing=True) for p in d["passes"]["nodes"]],
          query=LIST, response=array(PASS), tag="PassEngine"),
    Route("POST", f"{B}/passes", "EngineCreatePass", "passes:write", "write", "Create a pass",
          lambda c: {"input": c.body}, lambda d, c: P.pass_(d["createPass"]["pass"]),
          status=201, body=CREATE, response=PASS, tag="PassEngine"),
    Route("GET", f"{B}/passes/{{id}}", "EngineGetPass", "passes:read", "read", "Get a pass",
          _id, lambda d, c: P.pass_(d["pass"]), response=PASS, tag="PassEngine"),
    Route("PATCH", f"{B}/passes/{{id}}", "EngineUpdatePass", "passes:write", "write",
          "Update a pass", _update, lambda d, c: P.pass_(d["updatePass"]["pass"]),
          body=UPDATE, response=PASS, tag="PassEngine"),
    Route("DELETE", f"{B}/passes/{{id}}", "EngineRevokePass", "passes:write", "write",
          "Revoke a pass", _id, lambda d, c: P.pass_(d["deletePass"]["pass"]),
          response=PASS, tag="PassEngine"),
    Route("POST", f"{B}/passes/{{id}}/suspend", "EngineSuspendPass", "passes:write", "write",
          "Suspend a pass", _id, lambda d, c: P.pass_(d["suspendPass"]["pass"]),
          response=PASS, tag="PassEngine"),
    Route("POST", f"{B}/passes/{{id}}/resume", "EngineResumePass", "passes:write", "write",
          "Resume a suspended pass", _id, lambda d, c: P.pass_(d["resumePass"]["pass"]),
          response=PASS, tag="PassEngine"),
    Route("POST", f"{B}/scan", "EngineScan", "scans:write", "validate",
          "Scan a code (uses a single pass once); unknown code answers 404",
          lambda c: {"input": c.body}, _scan, body=SCAN, response=ref("EngineScanResult"),
          tag="PassEngine"),
]
# A pass's former vendor id works wherever these routes take a pass id.
ROUTES = with_pass_param(ROUTES, f"{B}/passes/{{id}}", "id")

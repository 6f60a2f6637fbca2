"""PassEngine's ``/webhooks`` (named in its docs with a limit of 10 requests a minute per
key, shapes not published), in the seed's style. Deliveries follow the Standard Webhooks
specification: ``webhook-id``, ``webhook-timestamp``, ``webhook-signature`` signed with the
``whsec_…`` secret the create answer holds (only there)."""

from dataclasses import replace
from typing import Any

from ..engine import Answer, Call, Route
from ..errors import RestError
from ..fields import F, spec
from ..openapi_types import array, ref
from ..present import own_id
from . import present as P

EVENTS = {"type": "string", "description": "pass.created, pass.scanned, pass.* or *"}
FIELDS = (
    F("url", description="https URL the events are POSTed to"),
    F("events", "array", items=EVENTS, description="at least one event name"),
    F("active", "bool", to="enabled", nullable=False, description="default true"),
    F("description", max_length=2000),
)
CREATE = spec(*(replace(f, required=f.wire in ("url", "events")) for f in FIELDS))
UPDATE = spec(*FIELDS, at_least_one=True)
B = "/api/v1"
WEBHOOK = ref("EngineWebhook")
PER_MINUTE = 10  # PassEngine's documented limit on /webhooks, across its routes
LIMIT: dict[str, Any] = {"per_minute": PER_MINUTE, "per_minute_bucket": "passengine:webhooks"}


def _id(call: Call) -> dict[str, Any]:
    return {"id": own_id(call.params["id"], "whk_", "webhook not found")}


async def _all(call: Call) -> Answer:
    """Every webhook in one bare array (a plan caps how many a tenant keeps)."""
    assert call.run is not None
    out: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        conn = (await call.run("EngineListWebhooks", {"first": 100, "after": after}))[
            "webhooks"]
        out += [P.webhook(w) for w in conn["nodes"]]
        if not conn["pageInfo"]["hasNextPage"]:
            return Answer(out)
        after = conn["pageInfo"]["endCursor"]


def _created(data: dict[str, Any], call: Call) -> dict[str, Any]:
    payload = data["createWebhook"]
    return {**P.webhook(payload["webhook"]), "secret": payload["secret"]}


def _found(data: dict[str, Any], call: Call) -> dict[str, Any]:
    if data["webhook"] is None:
        raise RestError.not_found("webhook not found")
    return P.webhook(data["webhook"])


ROUTES: list[Route] = [
    Route("GET", f"{B}/webhooks", None, "webhooks:read", "read", "List webhooks",
          lambda c: {}, lambda d, c: d, precheck=_all, response=array(WEBHOOK),
          **LIMIT, tag="PassEngine"),
    Route("POST", f"{B}/webhooks", "EngineCreateWebhook", "webhooks:write", "write",
          "Register a webhook (the answer holds its secret, only there)",
          lambda c: {"input": {**c.body, "format": "STANDARD_WEBHOOKS"}}, _created,
          status=201, body=CREATE, response=ref("EngineCreatedWebhook"),
          **LIMIT, tag="PassEngine"),
    Route("GET", f"{B}/webhooks/{{id}}", "EngineGetWebhook", "webhooks:read", "read",
          "Get a webhook", _id, _found, response=WEBHOOK, **LIMIT,
          tag="PassEngine"),
    Route("PATCH", f"{B}/webhooks/{{id}}", "EngineUpdateWebhook", "webhooks:write", "write",
          "Change a webhook", lambda c: {"input": {**_id(c), **c.body}},
          lambda d, c: P.webhook(d["updateWebhook"]["webhook"]), body=UPDATE,
          response=WEBHOOK, **LIMIT, tag="PassEngine"),
    Route("DELETE", f"{B}/webhooks/{{id}}", "EngineDeleteWebhook", "webhooks:write", "write",
          "Delete a webhook", _id, lambda d, c: None, status=204, **LIMIT,
          tag="PassEngine"),
]

"""PassEngine's ``/clients`` (named in its docs, shapes not published): the holders its pass
lists show as ``client {name, email}``, kept as passgate customers and written in the
seed's style (bare camelCase objects, bare arrays, ``{"error": message}``)."""

from typing import Any

from ..engine import Answer, Call, Route
from ..errors import RestError
from ..fields import F, spec
from ..openapi_types import array, ref
from ..present import MAX_PAGE, own_id, page_window
from . import present as P

FIELDS = (
    F("name", max_length=200, description="the client's name"),
    F("email", max_length=320, description="required unless externalId is given; an email "
      "that exists (without externalId) updates that client (200)"),
    F("phone", max_length=40),
    F("externalId", max_length=200, description="your own id for the client; creating a "
      "client with an externalId that exists updates that client (200)"),
)
CREATE = spec(*FIELDS)
UPDATE = spec(*FIELDS, at_least_one=True)
LIST = spec(
    F("search", description="name, email or external id"),
    F("limit", "int", minimum=1, maximum=100, description="default 25, at most 100"),
    F("page", "int", minimum=1, maximum=MAX_PAGE, description="default 1"),
    strict=False,
)
B = "/api/v1"
CLIENT = ref("EngineClient")


def _id(call: Call) -> dict[str, Any]:
    return {"id": own_id(call.params["id"], "cus_", "client not found")}


def _list(call: Call) -> dict[str, Any]:
    return {"search": call.query.get("search"), **page_window(call.query, default_limit=25)}


def _create(call: Call) -> dict[str, Any]:
    """A client is known by its email or your externalId: sending one that exists updates
    that client (200) instead of making a twin."""
    if not call.body.get("email") and not call.body.get("externalId"):
        raise RestError.bad("a client needs an email or an externalId", "email")
    return {"input": call.body}


def _created(data: dict[str, Any], call: Call) -> Answer:
    payload = data["upsertCustomer"]
    return Answer(P.client(payload["customer"]), 201 if payload["created"] else 200)


def _found(data: dict[str, Any], call: Call) -> dict[str, Any]:
    if data["customer"] is None:
        raise RestError.not_found("client not found")
    return P.client(data["customer"])


ROUTES: list[Route] = [
    Route("GET", f"{B}/clients", "EngineListClients", "customers:read", "read",
          "List clients", _list,
          lambda d, c: [P.client(x) for x in d["customers"]["nodes"]],
          query=LIST, response=array(CLIENT), tag="PassEngine"),
    Route("POST", f"{B}/clients", "EngineCreateClient", "customers:write", "write",
          "Create a client", _create, _created, status=201, also=(200,), body=CREATE,
          response=CLIENT, tag="PassEngine"),
    Route("GET", f"{B}/clients/{{id}}", "EngineGetClient", "customers:read", "read",
          "Get a client", _id, _found, response=CLIENT, tag="PassEngine"),
    Route("PATCH", f"{B}/clients/{{id}}", "EngineUpdateClient", "customers:write", "write",
          "Update a client", lambda c: {"input": {**_id(c), **c.body}},
          lambda d, c: P.client(d["updateCustomer"]["customer"]), body=UPDATE,
          response=CLIENT, tag="PassEngine"),
    Route("DELETE", f"{B}/clients/{{id}}", "EngineDeleteClient", "customers:write", "write",
          "Delete a client (their passes stay, without a client)", _id,
          lambda d, c: P.client(d["deleteCustomer"]["customer"]), response=CLIENT,
          tag="PassEngine"),
]

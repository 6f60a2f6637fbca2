"""The Wallet Crew's routes: ``/api/{tenantId}/…`` with ``X-API-KEY`` (seed 003,
specs/walletcrew.md). How each object maps onto the graph is in docs/compat/walletcrew.md.

Lookups the graph cannot chain in one operation (a pass type's template by name, a pass by
its identifiers) run first in a ``precheck`` through ``call.run``; the route's own operation
then does the work. A PATCH's merge is never done here: it travels as a merge patch.
"""

import re
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from schema.client_text import BadText, json_document
from schema.pagination import offset_cursor

from ..engine import Answer, Call, Route, own_pass_id, with_pass_param
from ..errors import RestError
from ..fields import HEX_COLOUR, F, spec
from ..openapi_types import array, ref
from ..present import MAX_PAGE, own_id, raw_id
from . import barcode, insights, wallet_routes
from . import present as P

B = "/api/{tenantId}"
MAX_PAGE_SIZE = 100  # the graph's page limit
# The Wallet Crew shows no maximum pageSize; a list reads the graph 100 rows at a time up to
# this many, so one request stays bounded in time and memory.
MAX_LIST_SIZE = 1000
INSIGHTS_PER_MINUTE = 60  # The Wallet Crew's own limit on insights queries



# --- helpers --------------------------------------------------------------------------


def _nothing(call: Call) -> dict[str, Any]:
    return {}


def _no_body(data: dict[str, Any], call: Call) -> None:
    return None


async def _run(call: Call, operation: str, variables: dict[str, Any]) -> dict[str, Any]:
    assert call.run is not None  # the engine always supplies it
    return await call.run(operation, variables)


def _pass_id(value: str) -> str:
    """A passgate pass id, else 404: The Wallet Crew's ids are opaque, a wrong one is absent."""
    return own_id(value, "pass_", f"no pass {value!r}")


def _identifiers(value: dict[str, Any], *, patch: bool = False) -> dict[str, Any]:
    """Identifiers are strings, so ``filter[i]`` and ``id.<key>`` (strings) can find them."""
    for key, item in value.items():
        if not key or (not isinstance(item, str) and not (patch and item is None)):
            raise RestError.bad(f"identifiers.{key} must be a string"
                                + (" (or null to remove it)" if patch else ""),
                                f"identifiers.{key}")
    return value


def _metadata(value: dict[str, Any]) -> dict[str, Any]:
    if P.IDENTIFIERS in value:
        raise RestError.bad("metadata.identifiers is reserved: passgate keeps the pass's "
                            "identifiers there; send them as identifiers", "metadata")
    return value


async def _template_id(call: Call, name: str) -> str | None:
    data = await _run(call, "WalletcrewTemplateByName", {"name": name})
    nodes = data["templates"]["nodes"]
    return raw_id(nodes[0]["id"]) if nodes else None


def _nest(path: list[str], value: Any) -> dict[str, Any]:
    out: Any = value
    for part in reversed(path):
        out = {part: out}
    return out


def _contain(into: dict[str, Any], extra: dict[str, Any]) -> bool:
    """Merge two containment filters; False when they ask one key for two values."""
    for key, value in extra.items():
        if key not in into:
            into[key] = value
        elif isinstance(into[key], dict) and isinstance(value, dict):
            if not _contain(into[key], value):
                return False
        elif into[key] != value:
            return False
    return True


# --- passes: list ---------------------------------------------------------------------

_FILTER = re.compile(r"^filter\[(\d{1,3})\]\.(field|operator|value)$")
_SORT = re.compile(r"^sortBy\[(\d{1,3})\]\.(field|direction)$")
FILTER_FIELDS = "identifiers.<key>, metadata.<key>, passType, installationStatus"

LIST_PASSES = spec(
    # At the longest page the row offset stays within the pagination's bound (MAX_PAGE rows
    # of 100).
    F("pageIndex", "int", minimum=0, maximum=MAX_PAGE * 100 // MAX_LIST_SIZE - 1,
      description="0-based page (default 0)"),
    F("pageSize", "int", minimum=1, maximum=MAX_LIST_SIZE,
      description=f"rows per page, 1 to {MAX_LIST_SIZE:,} (default 20; the vendor shows no "
                  "maximum, passgate bounds one request)"),
    strict=False,
)


def _indexed(call: Call, pattern: re.Pattern[str]) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {}
    for name, value in call.request.query.items():
        found = pattern.match(name)
        if found:
            out.setdefault(int(found[1]), {})[found[2]] = value
    return out


# The Wallet Crew's sortBy fields and the graph's PassOrder fields they are.
SORT_FIELDS = {"id": "VENDOR_ID", "passType": "TEMPLATE_NAME", "creationDate": "CREATED_AT",
               "lastUpdateDate": "UPDATED_AT", "apple": "APPLE_INSTALLED_AT",
               "google": "GOOGLE_INSTALLED_AT"}
SORTABLE = f"{', '.join(SORT_FIELDS)}, identifiers.<key>, metadata.<key>"


def _sort(call: Call) -> list[dict[str, Any]]:
    """``sortBy[i].field|direction`` (ASC by default) as the graph's ``orderBy``."""
    orders: list[dict[str, Any]] = []
    for i, sort in sorted(_indexed(call, _SORT).items()):
        field, direction = sort.get("field", ""), sort.get("direction", "ASC").upper()
        if direction not in ("ASC", "DESC"):
            raise RestError.bad(f"sortBy[{i}].direction must be ASC or DESC",
                                f"sortBy[{i}].direction")
        path = field.split(".")
        order: dict[str, Any] = {"direction": direction}
        if field in SORT_FIELDS:
            order["field"] = SORT_FIELDS[field]
        elif path[0] in ("identifiers", "metadata") and len(path) > 1 and all(path):
            order.update(field="METADATA",
                         path=path[1:] if path[0] == "metadata" else path)
        else:
            raise RestError.bad(f"sortBy[{i}].field {field!r} is not sortable; fields: "
                                f"{SORTABLE}", f"sortBy[{i}].field")
        orders.append(order)
    return orders


async def _prepare_list(call: Call) -> Answer | None:
    for name in call.request.query:
        if name not in ("pageIndex", "pageSize") and not (_FILTER.match(name)
                                                           or _SORT.match(name)):
            raise RestError.bad(f"unknown query parameter {name} (accepted: pageIndex, "
                                "pageSize, filter[i].field/operator/value, "
                                "sortBy[i].field/direction)", name)
    call.found["orderBy"] = _sort(call) or None
    metadata: dict[str, Any] = {}
    texts: list[dict[str, Any]] = []
    template_id: str | None = None
    for i, flt in sorted(_indexed(call, _FILTER).items()):
        field, value = flt.get("field"), flt.get("value")
        operator = flt.get("operator", "equals").lower()
        if not field or value is None:
            raise RestError.bad(f"filter[{i}] needs a field and a value", f"filter[{i}]")
        if operator not in ("equals", "contains"):
            raise RestError.bad(f"filter[{i}].operator must be equals or contains",
                                f"filter[{i}].operator")
        path = field.split(".")
        if operator == "contains":
            # Text inside an identifier or a metadata value, in any case.
            if path[0] not in ("identifiers", "metadata") or len(path) < 2 or not all(path):
                raise RestError.bad(f"filter[{i}].operator contains works on "
                                    "identifiers.<key> and metadata.<key>",
                                    f"filter[{i}].operator")
            if not value:
                raise RestError.bad(f"filter[{i}].value must not be empty for contains",
                                    f"filter[{i}].value")
            texts.append({"path": path[1:] if path[0] == "metadata" else path,
                          "contains": value})
        elif field == "passType":
            found = await _template_id(call, value)
            if found is None or template_id not in (None, found):
                return _empty_page()
            template_id = found
        elif field == "installationStatus":
            installed = INSTALLATION.get(value.lower())
            if installed is None:
                raise RestError.bad(f"filter[{i}].value for installationStatus must be "
                                    "installed or notInstalled", f"filter[{i}].value")
            if call.found.get("installed", installed) != installed:
                return _empty_page()
            call.found["installed"] = installed
        elif path[0] in ("identifiers", "metadata") and len(path) > 1 and all(path):
            wanted = _nest(path[1:] if path[0] == "metadata" else path, value)
            if not _contain(metadata, wanted):
                return _empty_page()
        else:
            raise RestError.bad(f"filter[{i}].field {field!r} is not filterable; fields: "
                                f"{FILTER_FIELDS}", f"filter[{i}].field")
    flt_out: dict[str, Any] = {k: v for k, v in (("metadata", metadata),
                                                  ("templateId", template_id),
                                                  ("metadataText", texts)) if v}
    if "installed" in call.found:
        flt_out["installed"] = call.found["installed"]
    call.found["filter"] = flt_out or None
    if call.query.get("pageSize", 20) > MAX_PAGE_SIZE:
        return await _long_page(call)
    return None


async def _long_page(call: Call) -> Answer:
    """A page longer than the graph's: read 100 rows at a time from the page's offset."""
    index, size = call.query.get("pageIndex", 0), call.query["pageSize"]
    rows: list[dict[str, Any]] = []
    total = 0
    while len(rows) < size:
        offset = index * size + len(rows)
        variables: dict[str, Any] = {"filter": call.found.get("filter"),
                                     "orderBy": call.found.get("orderBy"),
                                     "first": min(MAX_PAGE_SIZE, size - len(rows))}
        if offset:
            variables["after"] = offset_cursor(offset)
        conn = (await _run(call, "WalletcrewListPasses", variables))["passes"]
        total = conn["totalCount"]
        rows += [P.pass_(p) for p in conn["nodes"]]
        if len(conn["nodes"]) < variables["first"]:
            break
    return Answer(rows, headers={"x-pagination-total": str(total)})


# installationStatus values: installed in a wallet (a device registered), or not.
INSTALLATION = {"installed": True, "notinstalled": False, "not_installed": False,
                "uninstalled": False}


def _empty_page() -> Answer:
    return Answer([], headers={"x-pagination-total": "0"})


def _list_passes(call: Call) -> dict[str, Any]:
    index, size = call.query.get("pageIndex", 0), call.query.get("pageSize", 20)
    variables: dict[str, Any] = {"filter": call.found.get("filter"),
                                 "orderBy": call.found.get("orderBy"), "first": size}
    if index:
        variables["after"] = offset_cursor(index * size)
    return variables


def _passes(data: dict[str, Any], call: Call) -> Answer:
    conn = data["passes"]
    return Answer([P.pass_(p) for p in conn["nodes"]],
                  headers={"x-pagination-total": str(conn["totalCount"])})


# --- passes: create, read, update, delete, install ------------------------------------

PASS_BODY = (
    F("identifiers", "object", description="the pass's keys: string values, filterable, "
      "and PATCH /passes?id.<key>=<value> finds the pass by them"),
    F("metadata", "object", description="free-form, filterable (filter[i].field = "
      "metadata.<key>)"),
    F("additionalData", "object", to="attributes", description="shown on the pass"),
)
CREATE_PASS = spec(F("passType", description="the template's name (also accepted in the "
                     "query string)"), *PASS_BODY,
                   F("id", to="externalId", max_length=50, description="the pass's id at The "
                     "Wallet Crew (a moved pass): answers show it and every route takes it"),
                   F("secret", to="code", max_length=64, description="the pass's barcode "
                     "secret to keep; omitted: one is minted"))
PATCH_PASS = spec(*PASS_BODY, at_least_one=True)
PASS_TYPE_QUERY = spec(F("passType", description="the template's name"))
PATCH_QUERY = spec(
    F("id", description="the pass id; or id.<identifierKey>=<value> (several allowed) "
      "to find the pass by its identifiers"),
    F("passType", description="only a pass of this pass type (template name)"),
    strict=False,
)
INSTALL_QUERY = spec(
    F("platform", "enum", values={v: v for v in ("apple", "google", "preview", "auto")},
      description="apple, google, preview, or auto (the default: by the holder's device)"),
    F("tags", description="accepted, not used yet"),
    F("medium", description="accepted, not used yet"),
    F("origin", description="accepted, not used yet"),
    F("userAgent", description="the holder's browser, for platform=auto"),
)


async def _prepare_create(call: Call) -> Answer | None:
    in_query, in_body = call.query.get("passType"), call.body.get("passType")
    if in_query is not None and in_body is not None and in_query != in_body:
        raise RestError.bad("passType differs between the query string and the body",
                            "passType")
    name = in_query if in_query is not None else in_body
    if name is not None:
        found = await _template_id(call, name)
        if found is None:
            raise RestError.bad(f"no pass type {name!r}: passType names a template",
                                "passType")
        call.found["templateId"] = found
    return None


def _create_pass(call: Call) -> dict[str, Any]:
    body = call.body
    metadata = _metadata(dict(body.get("metadata") or {}))
    if "identifiers" in body:
        metadata[P.IDENTIFIERS] = _identifiers(body["identifiers"] or {})
    values: dict[str, Any] = {"metadata": metadata}
    if "attributes" in body:
        values["attributes"] = body["attributes"]
    if "templateId" in call.found:
        values["templateId"] = call.found["templateId"]
    for name in ("externalId", "code"):
        if name in body:
            values[name] = body[name]
    return {"input": values}


def _created(data: dict[str, Any], call: Call) -> Answer:
    created = data["createPass"]["pass"]
    pass_id = created["externalId"] or raw_id(created["id"])
    return Answer({"passId": pass_id}, 201, headers={
        "Location": f"/api/{call.params['tenantId']}/passes/{pass_id}"})


def _get_pass(call: Call) -> dict[str, Any]:
    return {"id": _pass_id(call.params["passId"])}


def _one_pass(data: dict[str, Any], call: Call) -> dict[str, Any]:
    return P.pass_(data["pass"])


async def _locate(call: Call) -> dict[str, Any]:
    """The pass a PATCH names: by path, by ``id`` or by ``id.<key>`` identifiers."""
    pass_type = call.query.get("passType")
    keys: dict[str, str] = {}
    ref_id: str | None = call.params.get("passId")
    if ref_id is None:
        for name, value in call.request.query.items():
            if name.startswith("id.") and len(name) > 3:
                keys[name[3:]] = value
            elif name not in ("id", "passType"):
                raise RestError.bad(f"unknown query parameter {name} (accepted: id, "
                                    "id.<identifierKey>, passType)", name)
        ref_id = call.query.get("id")
        if (ref_id is None) == (not keys):
            raise RestError.bad("give the pass as id=<passId> or as "
                                "id.<identifierKey>=<value>, one way only", "id")
    if ref_id is not None:
        own = await own_pass_id(call.run, "WalletcrewPassByExternalId", ref_id)
        found = (await _run(call, "WalletcrewGetPass", {"id": _pass_id(own)}))["pass"]
        if found is None:
            raise RestError.not_found(f"no pass {ref_id!r}")
    else:
        flt: dict[str, Any] = {"metadata": {P.IDENTIFIERS: keys}}
        if pass_type is not None:
            template_id = await _template_id(call, pass_type)
            if template_id is None:
                raise RestError.not_found(f"no pass type {pass_type!r}")
            flt["templateId"] = template_id
        nodes = (await _run(call, "WalletcrewFindPasses",
                            {"filter": flt, "first": 2}))["passes"]["nodes"]
        wanted = ", ".join(f"{k}={v}" for k, v in keys.items())
        if not nodes:
            raise RestError.not_found(f"no pass with identifiers {wanted}")
        if len(nodes) > 1:
            raise RestError(409, "CONFLICT", f"several passes have identifiers {wanted}; "
                            "give id=<passId> or more identifiers")
        found = nodes[0]
    current_type = found["template"]["name"] if found["template"] else None
    if pass_type is not None and current_type != pass_type:
        raise RestError.not_found(f"no pass {raw_id(found['id'])!r} of pass type "
                                  f"{pass_type!r}")
    return found


async def _prepare_patch(call: Call) -> Answer | None:
    """The pass is found first (by path or identifiers); the merge itself travels as patches
    the update applies under the row's lock, so concurrent PATCHes never lose a change."""
    if not call.body:
        raise RestError.bad("nothing to change: send identifiers, metadata or "
                            "additionalData")
    current = await _locate(call)
    body = call.body
    changes: dict[str, Any] = {"id": raw_id(current["id"])}
    # As RFC 7396 reads the whole pass: an object merges, null empties it. Identifiers are
    # kept under metadata.identifiers, so one patch carries both.
    meta_patch: dict[str, Any] = {}
    if "metadata" in body:
        patch = body["metadata"]
        if patch is not None:
            meta_patch.update(_metadata(patch))
        else:
            # Emptied: the keys there now go (a key another PATCH adds meanwhile stays, as
            # if that PATCH came after this one).
            meta_patch.update(dict.fromkeys(P.split_metadata(current["metadata"])[1]))
    if "identifiers" in body:
        patch = body["identifiers"]
        meta_patch[P.IDENTIFIERS] = (_identifiers(patch, patch=True) if patch is not None
                                     else None)
    if meta_patch:
        changes["metadataPatch"] = meta_patch
    if "attributes" in body:
        patch = body["attributes"]
        if patch is not None:
            changes["attributesPatch"] = patch
        else:
            changes["attributes"] = {}
    call.found["input"] = changes
    return None


def _patch_pass(call: Call) -> dict[str, Any]:
    return {"input": call.found["input"]}


def _redirect(data: dict[str, Any], call: Call) -> Answer:
    """302 to the pass's public install link for the platform (token-signed, no API key:
    hand it to the holder), which sends the holder on to the wallet."""
    if data["pass"] is None:
        raise RestError.not_found(f"no pass {call.params['passId']!r}")
    page = urlsplit(data["pass"]["publicUrl"])
    query = {"platform": call.query.get("platform", "auto"), **dict(parse_qsl(page.query))}
    if call.query.get("userAgent"):
        query["userAgent"] = call.query["userAgent"]
    location = urlunsplit(page._replace(path=page.path + "/install", query=urlencode(query)))
    return Answer(None, 302, headers={"Location": location})


# --- scans ----------------------------------------------------------------------------

SCAN_TYPES = ("manual", "text", "qrcode", "pdf417", "aztec", "code128", "code39", "codabar",
              "ean8", "ean13", "itf14", "upca", "datamatrix", "nfc")
SCAN = spec(
    F("data", required=True, nullable=False, max_length=2048,
      description="what was scanned: the pass's secret (its code), or a link holding it "
                  "(…/p/{code}); 3 to 2,048 characters"),
    F("type", "enum", values={t: t for t in SCAN_TYPES},
      description="how it was read (accepted, not used: every type reads the same data)"),
)
_LINK_CODE = re.compile(r"/p/([A-Za-z0-9._~-]{1,64})(?:[/?#]|$)")


def _scan(call: Call) -> dict[str, Any]:
    data = call.body["data"].strip()
    if len(data) < 3:
        raise RestError.bad("data must be 3 to 2,048 characters", "data")
    found = _LINK_CODE.search(data) if "://" in data else None
    return {"input": {"code": found[1] if found else data}}


def _scanned(data: dict[str, Any], call: Call) -> dict[str, Any]:
    result = data["validatePass"]
    if result["pass"] is None:
        raise RestError.not_found("no pass has this data as its secret")
    scanned = result["pass"]
    return {"passId": scanned["externalId"] or raw_id(scanned["id"])}


# --- customers ------------------------------------------------------------------------

CUSTOMER = spec(F("identifiers", "object"), F("metadata", "object"))
FLOW = spec(F("flow", description="no flows are offered: empty or absent"), strict=False)
PROVIDER = spec(F("provider", required=True, description="id or email"), strict=False)


def _put_customer(call: Call) -> dict[str, Any]:
    attributes = _metadata(dict(call.body.get("metadata") or {}))
    if call.body.get("identifiers") is not None:
        attributes[P.IDENTIFIERS] = call.body["identifiers"]
    return {"input": {"externalId": call.params["customerId"], "attributes": attributes}}


def _put(data: dict[str, Any], call: Call) -> Answer:
    payload = data["upsertCustomer"]
    return Answer(P.customer(payload["customer"]), 201 if payload["created"] else 200)


def _customer(data: dict[str, Any], call: Call) -> dict[str, Any]:
    if data["customer"] is None:
        raise RestError.not_found(f"no customer {call.params['customerId']!r}")
    return P.customer(data["customer"])


# --- the signed-in customer (neo-customer: a customer token) ---------------------------

TOKEN_HELP = ("send Authorization: Bearer <token from POST /customer/authenticate>")


def _signed_in(call: Call) -> str:
    """The customer the request's customer token names (cus_…); 401 for an API key."""
    customer_id = getattr(call.principal, "customer_id", None)
    if customer_id is None:
        raise RestError(401, "UNAUTHENTICATED", f"this route needs a customer token: "
                        f"{TOKEN_HELP}")
    return str(customer_id)


async def _own_profile(call: Call) -> Answer:
    found = (await _run(call, "WalletcrewCustomerById", {"id": _signed_in(call)}))["customer"]
    if found is None:
        raise RestError(401, "UNAUTHENTICATED", "the customer of this token no longer exists")
    return Answer(P.customer(found))


def _free_form(call: Call) -> dict[str, Any]:
    try:
        data = json_document(call.raw_body, "request body") if call.raw_body.strip() else {}
    except BadText as exc:
        raise RestError.bad(exc.message) from None
    if not isinstance(data, dict):
        raise RestError(412, "PRECONDITION_FAILED", "the account must be a JSON object", "$")
    return data


def _invalid(exc: RestError) -> RestError:
    """The vendor answers 412 when the account data does not validate."""
    if exc.status != 400:
        return exc
    return RestError(412, "PRECONDITION_FAILED", exc.message, exc.field)


async def _save_profile(call: Call) -> Answer:
    """``POST /customer``: the body's ``identifiers`` and ``metadata`` objects, and every
    other field (kept in metadata), merged into the customer's. A customer token changes its
    own customer; an API key creates or updates the customer its ``id`` names."""
    flow = call.request.query.get("flow", "")
    if flow:
        raise RestError(412, "PRECONDITION_FAILED", f"flow {flow!r} is not offered: passgate "
                        "runs no account flows; send the account without flow", "flow")
    body = _free_form(call)
    customer_id = body.pop("id", None)
    identifiers, metadata = body.pop("identifiers", None), body.pop("metadata", None)
    for name, value in (("identifiers", identifiers), ("metadata", metadata)):
        if value is not None and not isinstance(value, dict):
            raise RestError(412, "PRECONDITION_FAILED", f"{name} must be an object", name)
    patch = {**(metadata or {}), **body}
    try:
        _metadata(patch)
        own = getattr(call.principal, "customer_id", None)
        if own is not None:
            current = (await _run(call, "WalletcrewCustomerById", {"id": own}))["customer"]
            if current is None:
                raise RestError(401, "UNAUTHENTICATED",
                                "the customer of this token no longer exists")
            if customer_id is not None and customer_id != current["externalId"]:
                raise RestError(412, "PRECONDITION_FAILED", "id must be the signed-in "
                                "customer's own (or left out)", "id")
            known_ids, known = P.split_metadata(current["attributes"])
            attributes = {**known, **patch, P.IDENTIFIERS: {**known_ids, **(identifiers or {})}}
            saved = (await _run(call, "WalletcrewUpdateCustomer", {"input": {
                "id": own, "attributes": attributes}}))["updateCustomer"]["customer"]
            return Answer(P.customer(saved))
        if not isinstance(customer_id, str) or not customer_id.strip():
            raise RestError(412, "PRECONDITION_FAILED", "id (the customer's id) is required "
                            "with an API key", "id")
        try:
            found = (await _run(call, "WalletcrewGetCustomer",
                                {"externalId": customer_id}))["customer"]
        except RestError as exc:
            if exc.status != 404:
                raise
            found = None
        known_ids, known = P.split_metadata((found or {}).get("attributes"))
        attributes = {**known, **patch, P.IDENTIFIERS: {**known_ids, **(identifiers or {})}}
        saved = (await _run(call, "WalletcrewPutCustomer", {"input": {
            "externalId": customer_id, "attributes": attributes}}))["upsertCustomer"]
    except RestError as exc:
        raise _invalid(exc) from None
    return Answer(P.customer(saved["customer"]))


# Who a backend vouches for when it trades its key for a customer's token.
PROVIDERS = {"id": "externalId", "email": "email"}


async def _authenticate(call: Call) -> Answer:
    """``POST /customer/authenticate?provider=``: the token as a JSON string, as the vendor
    answers it."""
    provider = call.request.query.get("provider", "")
    if provider not in PROVIDERS:
        raise RestError.bad(f"provider must be one of {', '.join(PROVIDERS)}", "provider")
    body = _free_form(call)
    value = body.get(provider)
    if not isinstance(value, str) or not value.strip():
        raise RestError.bad(f"provider {provider} needs {{\"{provider}\": \"…\"}} in the "
                            "body", provider)
    try:
        issued = await _run(call, "WalletcrewIssueCustomerToken",
                            {"input": {PROVIDERS[provider]: value}})
    except RestError as exc:
        if exc.status in (400, 404):
            raise RestError(422, "UNPROCESSABLE", f"no customer with that {provider}",
                            provider) from None
        raise
    return Answer(issued["issueCustomerToken"]["token"])


# --- webhooks -------------------------------------------------------------------------

EVENTS_ITEMS = {"type": "string", "description": "Category:Action (Pass:Created, Pass:*, *)"}
WEBHOOK_FIELDS = (
    F("endpoint", to="url", description="https URL the events are POSTed to"),
    F("events", "array", items=EVENTS_ITEMS, description="at least one event name"),
    F("enabled", "bool", nullable=False),
    F("description", max_length=2000),
)
CREATE_WEBHOOK = spec(*(replace(f, required=f.wire in ("endpoint", "events"))
                        for f in WEBHOOK_FIELDS))
PATCH_WEBHOOK = spec(*WEBHOOK_FIELDS, at_least_one=True)


def _webhook_id(call: Call) -> str:
    """The webhook's id as the precheck found it (``_find_webhook``)."""
    return str(call.found["webhookId"])


async def _find_webhook(call: Call) -> Answer | None:
    """``{id}`` is the 5-character id answers show (``P.short_webhook_id``) or passgate's
    ``whk_…``; the 5 characters are looked up among the tenant's webhooks (a plan keeps a
    few)."""
    value = call.params["id"]
    if value.startswith("whk_"):
        call.found["webhookId"] = value
        return None
    matches: list[str] = []
    if len(value) == P.SHORT_WEBHOOK_ID:
        after: str | None = None
        while True:
            conn = (await _run(call, "WalletcrewListWebhooks",
                               {"first": MAX_PAGE_SIZE, "after": after}))["webhooks"]
            matches += [own for w in conn["nodes"]
                        if P.short_webhook_id(own := raw_id(w["id"]) or "") == value]
            if not conn["pageInfo"]["hasNextPage"]:
                break
            after = conn["pageInfo"]["endCursor"]
    if not matches:
        raise RestError.not_found(f"no webhook {value!r}")
    if len(matches) > 1:
        raise RestError(409, "CONFLICT", f"several webhooks answer to {value!r}: use their "
                        f"full ids ({', '.join(matches)})")
    call.found["webhookId"] = matches[0]
    return None


async def _all_webhooks(call: Call) -> Answer | None:
    """Every webhook in one array (the plan caps how many a tenant has)."""
    out: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        conn = (await _run(call, "WalletcrewListWebhooks",
                           {"first": MAX_PAGE_SIZE, "after": after}))["webhooks"]
        out += [P.webhook(w) for w in conn["nodes"]]
        if not conn["pageInfo"]["hasNextPage"]:
            return Answer(out)
        after = conn["pageInfo"]["endCursor"]


def _create_webhook(call: Call) -> dict[str, Any]:
    # The Wallet Crew signs with the secret and adds no Authorization header.
    return {"input": {**call.body, "authMethod": "NONE", "format": "WALLETCREW"}}


def _created_webhook(data: dict[str, Any], call: Call) -> dict[str, Any]:
    payload = data["createWebhook"]
    return {**P.webhook(payload["webhook"]), "signatureSecret": payload["secret"]}


def _patch_webhook(call: Call) -> dict[str, Any]:
    if not call.body:
        raise RestError.bad("nothing to change: send endpoint, events, enabled or "
                            "description")
    return {"input": {"id": _webhook_id(call), **call.body}}


def _webhook(data: dict[str, Any], call: Call) -> dict[str, Any]:
    if data["webhook"] is None:
        raise RestError.not_found(f"no webhook {call.params['id']!r}")
    return P.webhook(data["webhook"])


# --- insights and barcode -------------------------------------------------------------

INSIGHTS = spec(
    F("query", required=True, nullable=False, max_length=10_000,
      description="KQL: Events|Logs|Metrics | where <column> == <value> | take N | "
                  "summarize count() by <column>"),
    F("parameters", "object", description="values for names the query uses"),
    F("options", "object", description="accepted, not used"),
)
BARCODE_QUERY = spec(
    F("fg", pattern=HEX_COLOUR, description="foreground colour, hex without # (default 000000)"),
    F("bg", pattern=HEX_COLOUR, description="background colour, hex without # (default FFFFFF)"),
    F("w", "int", minimum=1, maximum=barcode.MAX_WIDTH,
      description="width in pixels (default 300; raised to one pixel a module)"),
    F("h", "int", minimum=1, description="height of linear codes; ignored for QR"),
)


async def _insights(call: Call) -> Answer | None:
    assert call.run is not None
    principal = call.principal
    result = await insights.query(
        call.run, principal.tenant_id, call.body["query"], call.body.get("parameters") or {},
        pass_events=principal.has("passes:read") or principal.has("webhooks:read"))
    return Answer(result)


async def _barcode(call: Call) -> Answer | None:
    return barcode.barcode_png(call.params["type"], call.params["data"], call.query,
                               call.request.headers.get("If-None-Match"))


# --- the table ------------------------------------------------------------------------

PASS = ref("WalletcrewPass")
ROUTES: list[Route] = [
    Route("GET", f"{B}/passes", "WalletcrewListPasses", "passes:read", "read",
          "List passes (total in x-pagination-total)", _list_passes, _passes,
          query=LIST_PASSES, response=array(PASS), precheck=_prepare_list, tag="Passes",
          description="Filters: filter[i].field (identifiers.<key>, metadata.<key>, "
                      "passType, installationStatus: installed or notInstalled), "
                      "filter[i].operator (equals), filter[i].value; all must "
                      "match. sortBy[i].field (id, passType, creationDate, lastUpdateDate, "
                      "apple, google: the first install in that wallet, identifiers.<key>, "
                      "metadata.<key>: compared as text), sortBy[i].direction (ASC by "
                      "default, DESC); missing values sort last, then newest first. "
                      "Without sortBy: newest first. Voided (deleted) passes are not listed."),
    Route("POST", f"{B}/passes", "WalletcrewCreatePass", "passes:write", "write",
          "Create a pass", _create_pass, _created, status=201, body=CREATE_PASS,
          query=PASS_TYPE_QUERY, precheck=_prepare_create, tag="Passes",
          response={"type": "object", "properties": {"passId": {"type": "string"}}}),
    Route("PATCH", f"{B}/passes", "WalletcrewPatchPass", "passes:write", "write",
          "Update the pass given by id or by identifiers", _patch_pass, _no_body,
          status=204, body=PATCH_PASS, query=PATCH_QUERY, precheck=_prepare_patch,
          tag="Passes", description="The body's objects are merged into the pass's (RFC "
          "7396: a key set to null is removed)."),
    Route("GET", f"{B}/passes/{{passId}}", "WalletcrewGetPass", "passes:read", "read",
          "Get a pass", _get_pass, _one_pass, response=PASS, tag="Passes"),
    Route("PATCH", f"{B}/passes/{{passId}}", "WalletcrewPatchPassById", "passes:write",
          "write", "Update a pass", _patch_pass, _no_body, status=204, body=PATCH_PASS,
          query=PASS_TYPE_QUERY, precheck=_prepare_patch, tag="Passes",
          description="The body's objects are merged into the pass's (RFC 7396)."),
    Route("DELETE", f"{B}/passes/{{passId}}", "WalletcrewDeletePass", "passes:write",
          "write", "Void a pass (kept, never valid again)", _get_pass, _no_body,
          status=204, tag="Passes"),
    Route("GET", f"{B}/passes/{{passId}}/install", "WalletcrewInstallPass", "passes:read",
          "read", "Redirect to the pass's install page", _get_pass, _redirect, status=302,
          query=INSTALL_QUERY, tag="Passes",
          description="302 to the pass's public install link /p/{code}/install?platform="
                      "…&token=… (no API key needed: send it to the holder). It redirects "
                      "to the .pkpass (apple), the Save to Google Wallet link (google), the "
                      "hosted pass page (preview), or by the holder's device (auto: "
                      "userAgent, else the browser's); 409 there when the tenant has not set "
                      "up that wallet."),
    Route("PUT", f"{B}/customers/{{customerId}}", "WalletcrewPutCustomer",
          "customers:write", "write", "Create or replace a customer", _put_customer, _put,
          body=CUSTOMER, response=ref("WalletcrewCustomer"), tag="Customers", also=(200,),
          status=201, description="201 when created, 200 when replaced; customerId is the key."),
    Route("GET", f"{B}/customers/{{customerId}}", "WalletcrewGetCustomer", "customers:read",
          "read", "Get a customer", lambda c: {"externalId": c.params["customerId"]},
          _customer, response=ref("WalletcrewCustomer"), tag="Customers"),
    Route("GET", f"{B}/customer", None, "customers:read", "read",
          "The signed-in customer's profile", _nothing, _no_body, precheck=_own_profile,
          customer_token=True, response=ref("WalletcrewCustomer"), tag="Customers",
          description="Needs a customer token (Authorization: Bearer, from POST "
                      "/customer/authenticate); an API key is a 401."),
    Route("POST", f"{B}/customer", None, "customers:write", "write",
          "Create or update a customer account", _nothing, _no_body,
          precheck=_save_profile, customer_token=True, query=FLOW,
          body=spec(strict=False, description="free-form account: id, identifiers, "
                    "metadata; other fields are kept in metadata"),
          response=ref("WalletcrewCustomer"), tag="Customers",
          description="With a customer token: that customer's own account. With an API key: "
                      "the account whose id the body names, created when new. 412 when the "
                      "data does not validate or a flow is asked for."),
    Route("POST", f"{B}/customer/authenticate", None, "customers:write", "write",
          "Trade the API key for a customer's token", _nothing, _no_body,
          precheck=_authenticate, query=PROVIDER, body=spec(strict=False),
          response={"type": "string", "description": "a JWT for Authorization: Bearer"},
          tag="Customers",
          description="provider=id with {\"id\"} (the customer's id) or provider=email with "
                      "{\"email\"}: the backend that verified the customer vouches with its "
                      "key. 422 when no customer matches. Tokens last an hour."),
    Route("GET", f"{B}/webhooks", None, "webhooks:read", "read", "List webhooks",
          _nothing, _no_body, precheck=_all_webhooks, response=array(ref("WalletcrewWebhook")),
          tag="Webhooks"),
    Route("POST", f"{B}/webhooks", "WalletcrewCreateWebhook", "webhooks:write", "write",
          "Register a webhook (the answer holds signatureSecret, only there)",
          _create_webhook, _created_webhook, status=200, body=CREATE_WEBHOOK,
          response=ref("WalletcrewWebhook"), tag="Webhooks"),
    Route("GET", f"{B}/webhooks/{{id}}", "WalletcrewGetWebhook", "webhooks:read", "read",
          "Get a webhook", lambda c: {"id": _webhook_id(c)}, _webhook,
          precheck=_find_webhook, response=ref("WalletcrewWebhook"), tag="Webhooks"),
    Route("PATCH", f"{B}/webhooks/{{id}}", "WalletcrewUpdateWebhook", "webhooks:write",
          "write", "Change a webhook", _patch_webhook,
          lambda d, c: P.webhook(d["updateWebhook"]["webhook"]), body=PATCH_WEBHOOK,
          precheck=_find_webhook, response=ref("WalletcrewWebhook"), tag="Webhooks"),
    Route("DELETE", f"{B}/webhooks/{{id}}", "WalletcrewDeleteWebhook", "webhooks:write",
          "write", "Delete a webhook", lambda c: {"id": _webhook_id(c)}, _no_body,
          precheck=_find_webhook, status=204, tag="Webhooks"),
    Route("POST", f"{B}/scans", "WalletcrewScan", "scans:write", "validate",
          "Scan a pass: answers the pass's id", _scan, _scanned, body=SCAN,
          response={"type": "object", "properties": {"passId": {"type": "string"}}},
          tag="Scans", description="A scan is a validation attempt: it is recorded (insights "
          "Events) and uses the pass once when it is valid, as POST /api/v1/validate does; "
          "the answer is the pass's id whatever the outcome. No pass with that secret: 404."),
    Route("POST", f"{B}/insights/query", None, "scans:read", "read",
          "Query Events, Logs and Metrics (a KQL subset)", _nothing, _no_body,
          body=INSIGHTS, precheck=_insights, response=ref("WalletcrewInsightsResult"),
          tag="Insights", per_minute=INSIGHTS_PER_MINUTE,
          description="Tables in The Wallet Crew's columns. Events: the tenant's scans "
          "(Scan:Accepted, Scan:Rejected) and, for a key with passes:read, its passes' "
          "history (Pass:Created, Pass:Updated, Pass:Suspended, Pass:Resumed, Pass:Unlinked, "
          "Pass:Deleted, Pass:Expired, Pass:Installed, Pass:Uninstalled; kept "
          "PASSGATE_EVENT_RETENTION_DAYS), newest first. Logs: the tenant's API requests "
          "(eventType Request; properties method, path, operation, status, durationMs, "
          "apiKeyId; kept PASSGATE_REQUEST_LOG_RETENTION_DAYS, 45 by default). Metrics: per "
          "UTC day of the last 30, metricType Pass:Created, Pass:Installed, Scan:Accepted, "
          "Scan:Rejected with its count as value. where <column> == <value>, take N, "
          "summarize count() by <column>; anything else is a 400 naming it. At most "
          f"{INSIGHTS_PER_MINUTE} requests a minute per key, as The Wallet Crew limits it "
          "(429 beyond)."),
    Route("GET", f"{B}/barcode/{{type}}/{{data}}", None, "any", "read",
          "A barcode image (PNG)", _nothing, _no_body, query=BARCODE_QUERY,
          precheck=_barcode, response={"type": "string", "contentMediaType": "image/png"},
          tag="Barcode", anonymous=True, description="Anonymous, as The Wallet Crew serves "
          "it (no key needed; one may be sent). Every listed type is drawn (zxing-cpp), "
          "exactly w pixels wide; h sets the height of linear codes (QR ignores it). "
          "Strong ETag; cacheable for 100 days."),
    *wallet_routes.ROUTES,
]
# A pass's former vendor id works wherever these routes take a pass id.
ROUTES = with_pass_param(ROUTES, f"{B}/passes/{{passId}}", "passId")

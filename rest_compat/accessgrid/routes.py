"""The accessgrid dialect (seed 002): key cards, console card templates and webhooks on
AccessGrid's own paths (``/v1/…``), so the public ``accessgrid`` SDK works unchanged.

Requests are signed (checked by the gateway before any route runs). Answers are bare JSON
objects; errors ``{"message": text}``. Features passgate does not offer (NFC hardware
provisioning) answer 404 with a message rather than an unexplained not-found.
"""

import re
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from ..engine import Answer, Call, Route, with_pass_param
from ..errors import RestError
from ..fields import COLOUR, NOT_BLANK, URL_PATTERN, F, pick, spec
from ..openapi_types import obj, ref
from ..present import MAX_PAGE, own_id, page_window
from . import present as P

# A request field kept in a group rather than a graph field of its own: ``attributes.x`` (a
# card's attributes), ``settings.x`` / ``support_settings.x``… (a template's settings).
ATTR = "attributes."

SIG = F("sig_payload", description='what a bodiless request signs: {"id": "<resource id>"} '
        "(AccessGrid's SDKs send it; the gateway checks it)")
PAGE = (F("page", "int", minimum=1, maximum=MAX_PAGE, description="1-based page (default 1)"),
        F("per_page", "int", minimum=1, maximum=100, description="1 to 100 (default 20)"))
BODILESS = spec(SIG, strict=False)


def _attr(wire: str) -> F:
    kind = P.ATTRIBUTES[wire]
    limit = 2000 if kind == "str" and wire not in ("file_data", "employee_photo") else None
    return F(wire, kind, to=ATTR + wire, max_length=limit,
             description="kept in the pass's attributes")


ISSUE = spec(
    F("card_template_id", to="templateId", required=True, nullable=False,
      description="the card template (tpl_… id)"),
    F("full_name", to="holderName", required=True, nullable=False, max_length=200),
    F("email", to="holderEmail", max_length=320),
    F("phone_number", to="holderPhone", max_length=40),
    F("start_date", "datetime", to="validFrom"),
    F("expiration_date", "datetime", to="validUntil"),
    F("metadata", "object", description="filterable JSON object"),
    *(_attr(wire) for wire in P.ATTRIBUTES),
    F("id", to="externalId", max_length=200, description="the card's id at AccessGrid (a "
      "moved card): answers show it and every key-card route takes it"),
)
# Seed 002's update fields: the informational ones (no template, credential or start date).
UPDATE_ATTRIBUTES = (
    "employee_id", "classification", "department", "location", "site_name", "workstation",
    "mail_stop", "company_address", "employee_photo", "title", "file_data",
    "is_pass_ready_to_transact", "tile_data", "checkInAvailableWindowStartDateTime",
    "checkInAvailableWindowEndDateTime", "checkInDateTime", "checkInURL", "isCheckedIn",
    "numberOfRoomsReserved", "roomNumbers", "reservations", "propertyLocation",
    "propertyName", "propertyMapUrl", "propertyCategory", "restaurantVoucher",
    "reservationStartDateTime", "reservationEndDateTime", "reservationNumber",
)
UPDATE = spec(
    F("full_name", to="holderName", max_length=200),
    F("expiration_date", "datetime", to="validUntil", description="null: never expires"),
    F("metadata", "object", description="replaces the card's metadata"),
    *(_attr(wire) for wire in UPDATE_ATTRIBUTES),
    at_least_one=True,
)
LIST_CARDS = spec(
    F("template_id", to="templateId", description="only cards of this card template"),
    F("state", "enum", to="status", values=P.STATE_FILTER,
      description="active (usable now), suspended, unlink, deleted"),
    *PAGE,
    F("metadata", "object", description="JSON object the card's metadata must contain; "
      "metadata[key]=value works too"),
    F("card_number", to="cardNumber", max_length=2000, description="only this card number"),
    F("site_code", to="siteCode", max_length=2000, description="only this site code"),
    SIG,
    strict=False,
)
# Key cards are the passes on card templates (access badges and hotel keys).
KEY_CARD_KINDS = ["ACCESS_BADGE", "HOTEL_KEY"]

TEMPLATE_FIELDS = (
    F("name", max_length=200, nullable=False, pattern=NOT_BLANK),
    F("platform", "enum", to="settings.platform", values={"apple": "apple", "google": "google"}),
    F("use_case", to="settings.use_case", max_length=100,
      description="a use case containing 'hotel' makes hotel keys, any other access badges"),
    F("protocol", to="settings.protocol", max_length=100, description="desfire, seos, …"),
    F("allow_on_multiple_devices", "bool",
      to="allowed_device_counts.allow_on_multiple_devices"),
    F("watch_count", "int", to="allowed_device_counts.watch_count", minimum=0, maximum=100),
    F("iphone_count", "int", to="allowed_device_counts.iphone_count", minimum=0, maximum=100),
    F("background_color", to="backgroundColor", pattern=COLOUR, description="#rrggbb"),
    F("label_color", to="labelColor", pattern=COLOUR, description="#rrggbb"),
    F("label_secondary_color", to="style_settings.label_secondary_color", max_length=20),
    F("support_url", to="support_settings.support_url", max_length=2000),
    F("support_phone_number", to="support_settings.support_phone_number", max_length=40),
    F("support_email", to="support_settings.support_email", max_length=320),
    F("privacy_policy_url", to="terms_settings.privacy_policy_url", max_length=2000),
    F("terms_and_conditions_url", to="terms_settings.terms_and_conditions_url",
      max_length=2000),
    F("metadata", "object", to="settings.metadata"),
)
CREATE_TEMPLATE = spec(F("name", required=True, nullable=False, max_length=200,
                         pattern=NOT_BLANK),
                       *TEMPLATE_FIELDS[1:])
UPDATE_TEMPLATE = spec(*TEMPLATE_FIELDS, at_least_one=True)
_EVENT_TYPES = ", ".join(P.EVENT_FILTER)
LOGS = spec(
    *PAGE,
    F("filters[device]", to="deviceId", max_length=200,
      description="the device that reported a scan (card events, which have none, are then "
                  "left out)"),
    F("filters[start_date]", "datetime", to="since"),
    F("filters[end_date]", "datetime", to="until", description="exclusive"),
    F("filters[event_type]", to="eventType", max_length=100,
      description=f"one of {_EVENT_TYPES}"),
    F("device", max_length=200, description="filters[device] as some SDKs send it"),
    F("start_date", "datetime", description="filters[start_date] as some SDKs send it"),
    F("end_date", "datetime", description="filters[end_date] as some SDKs send it"),
    F("event_type", max_length=100, description="filters[event_type] as some SDKs send it"),
    SIG,
    strict=False,
)

CREATE_WEBHOOK = spec(
    F("name", max_length=200),
    F("url", required=True, nullable=False, max_length=2000, pattern=URL_PATTERN,
      description="https (plain http only for localhost)"),
    F("subscribed_events", "array", to="events", required=True, nullable=False,
      items={"type": "string"}, description="event names, e.g. ag.access_pass.issued"),
    F("auth_method", "enum", to="authMethod",
      values={"bearer_token": "BEARER_TOKEN", "mtls": "MTLS", "none": "NONE"},
      description="default bearer_token"),
)
LIST_WEBHOOKS = spec(*PAGE[:1], F("per_page", "int", minimum=1, maximum=100,
                                  description="1 to 100 (default 100)"), SIG, strict=False)


def _no_nulls(value: dict[str, Any]) -> dict[str, Any]:
    """A new object from a merge patch: nulls (removals) have nothing to remove."""
    return {k: _no_nulls(v) if isinstance(v, dict) else v
            for k, v in value.items() if v is not None}


# --- key cards ---------------------------------------------------------------------


def _card_id(call: Call) -> str:
    return own_id(call.params["id"], "pass_", f"no key card {call.params['id']!r}")


def _card(call: Call) -> dict[str, Any]:
    return {"id": _card_id(call)}


def _split(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Graph fields, and the fields kept in the attributes (under their wire names)."""
    plain = {k: v for k, v in values.items() if not k.startswith(ATTR)}
    attrs = {k[len(ATTR):]: v for k, v in values.items() if k.startswith(ATTR)}
    return plain, attrs


def _issue(call: Call) -> dict[str, Any]:
    plain, attrs = _split(call.body)
    # A key card opens a door again and again: always a multi-use pass.
    values: dict[str, Any] = {**plain, "type": "MULTI"}
    attrs = {k: v for k, v in attrs.items() if v is not None}
    if attrs:
        values["attributes"] = attrs
    return {"input": values}


def _update(call: Call) -> dict[str, Any]:
    """The attributes sent travel as a merge patch (null removes one): the update applies
    it under the row's lock, so concurrent PATCHes of different fields both hold."""
    if not call.body:
        raise RestError.bad("nothing to change: send at least one field")
    plain, attrs = _split(call.body)
    values: dict[str, Any] = {"id": _card_id(call), **plain}
    if attrs:
        values["attributesPatch"] = attrs
    return {"input": values}


_METADATA_PARAM = re.compile(r"^metadata\[([^\[\]]+)\]$")


def _list_cards(call: Call) -> dict[str, Any]:
    q = call.query
    flt = pick(q, ("templateId", "status"))
    metadata = dict(q.get("metadata") or {})
    for name, value in call.request.query.items():
        if match := _METADATA_PARAM.match(name):
            metadata[match.group(1)] = value
    if metadata:
        flt["metadata"] = metadata
    attributes = {wire: q[target] for wire, target in (("card_number", "cardNumber"),
                                                        ("site_code", "siteCode")) if target in q}
    if attributes:
        flt["attributes"] = attributes
    if "templateId" not in flt:
        flt["templateKinds"] = KEY_CARD_KINDS
    return {"filter": flt, **page_window(q, limit_name="per_page")}


def _org(call: Call) -> str | None:
    return getattr(call.principal, "tenant_name", None)


def _card_answer(field: str) -> Callable[[dict[str, Any], Call], dict[str, Any]]:
    return lambda data, call: P.one_card(data[field]["pass"], _org(call))


# --- card templates ------------------------------------------------------------------


def _template_id(call: Call) -> str:
    return own_id(call.params["id"], "tpl_", f"no card template {call.params['id']!r}")


def _template(call: Call) -> dict[str, Any]:
    return {"id": _template_id(call)}


def _kind(use_case: str | None) -> str:
    return "HOTEL_KEY" if use_case and "hotel" in use_case.lower() else "ACCESS_BADGE"


def _template_values(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Graph fields, and the settings sent as a merge patch (``group.key`` nests)."""
    plain: dict[str, Any] = {}
    patch: dict[str, Any] = {}
    for target, value in values.items():
        group, dot, key = target.partition(".")
        if not dot:
            plain[target] = value
        elif group == "settings":
            patch[key] = value
        else:
            patch.setdefault(group, {})[key] = value
    return plain, patch


def _create_template(call: Call) -> dict[str, Any]:
    plain, patch = _template_values(call.body)
    settings = _no_nulls(patch)
    # Keys open doors many times over: the template's passes are multi-use by default.
    return {"input": {**plain, "kind": _kind(settings.get("use_case")), "defaultType": "MULTI",
                      "settings": settings}}


def _update_template(call: Call) -> dict[str, Any]:
    """Only the fields sent change: the settings travel as a merge patch the update applies
    under the row's lock."""
    if not call.body:
        raise RestError.bad("nothing to change: send at least one field")
    plain, patch = _template_values(call.body)
    values: dict[str, Any] = {"id": _template_id(call), **plain}
    if patch:
        values["settingsPatch"] = patch
        if "settings.use_case" in call.body:
            values["kind"] = _kind(patch.get("use_case"))
    return {"input": values}


def _logs(call: Call) -> dict[str, Any]:
    template_id, q = _template_id(call), call.query
    values: dict[str, Any] = {"id": template_id,
                              **pick(q, ("deviceId", "since", "until")),
                              **page_window(q, limit_name="per_page")}
    for flat, name in _FLAT_FILTER.items():
        if q.get(flat) is not None:  # Go, C#, Java: device=…, not filters[device]=…
            values.setdefault(name, q[flat])
    event_type = q.get("eventType", q.get("event_type"))
    if event_type is not None:
        if event_type not in P.EVENT_FILTER:
            raise RestError.bad(f"unknown event_type {event_type!r}; event types: "
                                f"{', '.join(P.EVENT_FILTER)}", "filters[event_type]")
        dotted, result = P.EVENT_FILTER[event_type]
        values["types"] = [dotted]
        if result is not None:
            values["result"] = result
    return values


_FLAT_FILTER = {"device": "deviceId", "start_date": "since", "end_date": "until"}


# --- webhooks ------------------------------------------------------------------------


def _webhook(call: Call) -> dict[str, Any]:
    return {"id": own_id(call.params["id"], "whk_", f"no webhook {call.params['id']!r}")}


def _create_webhook(call: Call) -> dict[str, Any]:
    return {"input": {**call.body, "format": "ACCESSGRID"}}


def _webhook_created(data: dict[str, Any], call: Call) -> dict[str, Any]:
    payload = data["createWebhook"]
    return P.webhook(payload["webhook"], payload["secret"])


# --- features passgate does not offer ------------------------------------------------


def _not_offered(feature: str) -> Callable[[Call], Awaitable[Answer | None]]:
    async def refuse(call: Call) -> Answer:
        return Answer({"message": f"{feature} is not offered by passgate (AccessGrid's NFC "
                                  "hardware provisioning is out of its scope)"}, 404)
    return refuse


def _never(call: Call) -> dict[str, Any]:
    raise RuntimeError("an out-of-scope route answers in its precheck")


def _nothing(data: dict[str, Any], call: Call) -> None:
    return None


NOT_OFFERED = (
    ("POST", "/v1/console/hid/orgs/activate", "HID organization activation"),
    ("GET", "/v1/console/hid/orgs", "HID organizations"),
    ("POST", "/v1/console/hid/orgs", "HID organizations"),
    ("GET", "/v1/console/credential-profiles", "Credential profiles"),
    ("POST", "/v1/console/credential-profiles", "Credential profiles"),
    ("DELETE", "/v1/console/credential-profiles/{id}", "Credential profiles"),
    ("POST", "/v1/console/card-templates/{id}/smart-tap/reveal", "SmartTap key reveal"),
    ("POST", "/v1/console/card-templates/{id}/ios_preflight",
     "iOS in-app provisioning preflight"),
    ("GET", "/v1/console/ledger-items", "Ledger items"),
    ("GET", "/v1/console/landing-pages", "Landing pages"),
    ("POST", "/v1/console/landing-pages", "Landing pages"),
    ("PUT", "/v1/console/landing-pages/{id}", "Landing pages"),
    ("GET", "/v1/console/card-template-pairs", "Card template pairs"),
    ("POST", "/v1/console/card-template-pairs", "Card template pairs"),
)

# --- the table -----------------------------------------------------------------------

CARD, CARDS = ref("AccessGridCard"), ref("AccessGridCardList")
TEMPLATE = ref("AccessGridTemplate")
K = "/v1/key-cards"
T = "/v1/console/card-templates"
W = "/v1/console/webhooks"

ROUTES: list[Route] = [
    Route("POST", K, "AgIssueCard", "passes:write", "write", "Issue a key card",
          _issue, _card_answer("createPass"), body=ISSUE, response=CARD, tag="Key cards",
          description="A multi-use pass on the card template; the AccessGrid fields without "
                      "a pass field of their own are kept in its attributes."),
    Route("GET", K, "AgListCards", "passes:read", "read", "List key cards", _list_cards,
          lambda d, c: P.card_list(d["passes"], _org(c), c.query), query=LIST_CARDS,
          response=CARDS, tag="Key cards",
          description="Deleted cards are listed only with state=deleted."),
    Route("GET", f"{K}/{{id}}", "AgGetCard", "passes:read", "read", "Get a key card", _card,
          lambda d, c: P.one_card(d["pass"], _org(c), devices=True), query=BODILESS,
          response=CARD, tag="Key cards"),
    Route("PATCH", f"{K}/{{id}}", "AgUpdateCard", "passes:write", "write",
          "Update a key card's details", _update, _card_answer("updatePass"), body=UPDATE,
          response=CARD, tag="Key cards",
          description="Attributes not sent are kept; a null removes one."),
    *(Route("POST", f"{K}/{{id}}/{action}", f"Ag{op}Card", "passes:write", "write", summary,
            _card, _card_answer(field), query=BODILESS, response=CARD, tag="Key cards")
      for action, op, field, summary in (
          ("suspend", "Suspend", "suspendPass", "Suspend a key card"),
          ("resume", "Resume", "resumePass", "Resume a suspended key card"),
          ("unlink", "Unlink", "unlinkPass", "Unlink a key card from its holder's phone"),
          ("delete", "Delete", "deletePass", "Delete a key card (no further installs)"))),
    Route("POST", T, "AgCreateTemplate", "templates:write", "write", "Create a card template",
          _create_template, lambda d, c: P.template(d["createTemplate"]["template"]),
          body=CREATE_TEMPLATE, response=TEMPLATE, tag="Card templates"),
    Route("GET", f"{T}/{{id}}", "AgGetTemplate", "templates:read", "read",
          "Get a card template", _template, lambda d, c: P.template(d["template"]),
          query=BODILESS, response=TEMPLATE, tag="Card templates"),
    Route("PUT", f"{T}/{{id}}", "AgUpdateTemplate", "templates:write", "write",
          "Update a card template", _update_template,
          lambda d, c: P.template(d["updateTemplate"]["template"]), body=UPDATE_TEMPLATE,
          response=TEMPLATE, tag="Card templates",
          description="Only the fields sent change; a null removes a setting."),
    Route("DELETE", f"{T}/{{id}}", "AgDeleteTemplate", "templates:write", "write",
          "Delete a card template no key card uses", _template, _nothing, status=204,
          query=BODILESS, tag="Card templates"),
    Route("POST", f"{T}/{{id}}/publish", "AgPublishTemplate", "templates:write", "write",
          "Publish a card template", _template,
          lambda d, c: {**P.template(d["publishTemplate"]["template"]), "status": "ready"},
          query=BODILESS, response={"allOf": [TEMPLATE, obj(status="str")]},
          tag="Card templates",
          description="passgate has no review step: the status is always ready."),
    Route("GET", f"{T}/{{id}}/logs", "AgTemplateLogs", "scans:read", "read",
          "A card template's event log (its key cards' scans and lifecycle events)", _logs,
          lambda d, c: P.event_log(d, c.params["id"], c.query), query=LOGS,
          response=ref("AccessGridEventLog"), tag="Card templates"),
    Route("POST", W, "AgCreateWebhook", "webhooks:write", "write", "Create a webhook",
          _create_webhook, _webhook_created, body=CREATE_WEBHOOK,
          response=ref("AccessGridWebhook"), tag="Webhooks",
          description="private_key is the signing secret, shown only here."),
    Route("GET", W, "AgListWebhooks", "webhooks:read", "read", "List webhooks",
          lambda c: page_window(c.query, default_limit=100, limit_name="per_page"),
          lambda d, c: {"webhooks": [P.webhook(w) for w in d["webhooks"]["nodes"]]},
          query=LIST_WEBHOOKS, response=ref("AccessGridWebhookList"), tag="Webhooks"),
    Route("DELETE", f"{W}/{{id}}", "AgDeleteWebhook", "webhooks:write", "write",
          "Delete a webhook", _webhook, _nothing, status=204, query=BODILESS, tag="Webhooks"),
    Route("POST", f"{W}/{{id}}/verify", "AgVerifyWebhook", "webhooks:write", "write",
          "Send a signed test delivery to a webhook", _webhook,
          lambda d, c: {"id": c.params["id"], "verified": d["verifyWebhook"]["verified"]},
          query=BODILESS, response=obj(id="str", verified="bool"), tag="Webhooks"),
    *(Route(method, path, None, "any", "read", f"{feature}: not offered", _never, _nothing,
            status=404, tag="Not offered", precheck=_not_offered(feature),
            description="Out of passgate's scope: always 404 with a message.")
      for method, path, feature in NOT_OFFERED),
]
# A pass's former vendor id works wherever these routes take a pass id.
ROUTES = with_pass_param(ROUTES, f"{K}/{{id}}", "id")
# AccessGrid ignores card and template fields it does not know; so do these routes (named in
# X-Passgate-Ignored-Fields). Webhooks stay strict: an ignored secret would fail silently.
ROUTES = [replace(r, ignore_unknown_fields=True) if r.body is not None
          and r.path.startswith((K, T)) else r for r in ROUTES]

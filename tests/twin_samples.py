"""Samples for the twin test (tests/test_rest_twins.py): per route of every dialect, the
path parameters, body and query string, built from a fixture's objects."""

import base64
from collections.abc import Callable
from typing import Any

import orjson

from tests.test_wallet_template_images import png

# A real 38x38 PNG: the smallest icon Apple takes.
_ICON = base64.b64encode(png(38, 38)).decode()

# A sample per route: path parameters, JSON body and query string, from the world's objects.
Sample = Callable[[dict[str, str]], tuple[dict[str, str], Any, dict[str, str]]]


def _p(**names: str) -> Callable[[dict[str, str]], dict[str, str]]:
    return lambda o: {k: o[v] for k, v in names.items()}


def sample(params: Callable[[dict[str, str]], dict[str, str]] | None = None,
           body: Callable[[dict[str, str]], Any] | Any = None,
           query: Callable[[dict[str, str]], dict[str, str]] | dict[str, str] | None = None
           ) -> Sample:
    def build(o: dict[str, str]) -> tuple[dict[str, str], Any, dict[str, str]]:
        return ((params(o) if params else {}), (body(o) if callable(body) else body),
                dict((query(o) if callable(query) else query) or {}))
    return build


NATIVE = {
    "GET /api/v1/passes": sample(query={"page": "1", "limit": "5"}),
    "POST /api/v1/passes": sample(body=lambda o: {"template_id": o["template"],
                                                  "holder_name": "Jane", "max_uses": 2}),
    "POST /api/v1/passes/bulk": sample(body=lambda o: {
        "template_id": o["template"], "passes": [{"holder_name": "A"}, {"name": "B"}]}),
    "GET /api/v1/passes/{id}": sample(_p(id="pass")),
    "PATCH /api/v1/passes/{id}": sample(_p(id="pass"), {"name": "Renamed",
                                                        "status": "suspended"}),
    "DELETE /api/v1/passes/{id}": sample(_p(id="pass")),
    "POST /api/v1/passes/{id}/suspend": sample(_p(id="pass")),
    "POST /api/v1/passes/{id}/resume": sample(_p(id="pass")),
    "POST /api/v1/passes/{id}/unlink": sample(_p(id="pass")),
    "GET /api/v1/passes/{id}/scans": sample(_p(id="pass")),
    "POST /api/v1/passes/{id}/messages": sample(_p(id="pass"), {"title": "Gate", "message":
                                                                "Gate B opens at 7"}),
    "POST /api/v1/passes/{id}/push": sample(_p(id="pass"), {"title": "Gate", "message": "B"}),
    "POST /api/v1/validate": sample(body=lambda o: {"code": o["code"]}),
    "POST /api/validate": sample(body=lambda o: {"code": o["code"]}),
    "GET /api/validate": sample(query={"code": "NO-SUCH-CODE"}),
    "POST /api/passes/bulk": sample(body=lambda o: {
        "template_id": o["template"], "passes": [{"holder_name": "A", "max_uses": 2}]}),
    "GET /api/v1/scans": sample(query={"result": "accepted"}),
    "GET /api/v1/webhooks/{id}/deliveries": sample(_p(id="webhook")),
    "GET /api/v1/templates": sample(query={"limit": "3"}),
    "POST /api/v1/templates": sample(body={"name": "New", "type": "ticket", "color": "#112233"}),
    "GET /api/v1/templates/{id}": sample(_p(id="template")),
    "PATCH /api/v1/templates/{id}": sample(_p(id="template"), {"description": "changed"}),
    "DELETE /api/v1/templates/{id}": sample(_p(id="template")),  # in use: 409 on both doors
    "PUT /api/v1/templates/{id}/images/{image}": sample(
        lambda o: {"id": o["template"], "image": "icon"}, {"data": _ICON}),
    "DELETE /api/v1/templates/{id}/images/{image}": sample(  # no such image yet: 404 on both
        lambda o: {"id": o["template"], "image": "logo@2x"}),
    "GET /api/v1/customers": sample(query={"search": "Twin"}),
    "POST /api/v1/customers": sample(body=lambda o: {"external_id": "new-" + o["customer"],
                                                      "name": "N"}),
    "GET /api/v1/customers/{id}": sample(_p(id="customer")),
    "PATCH /api/v1/customers/{id}": sample(_p(id="customer"), {"phone": "+15550100"}),
    "DELETE /api/v1/customers/{id}": sample(_p(id="customer")),
    "GET /api/v1/usage": sample(),
    "GET /api/v1/qr": sample(query={"status": "active"}),
    "POST /api/v1/qr": sample(body={"name": "Q", "destination_url": "https://example.com/q"}),
    "GET /api/v1/qr/{id}": sample(_p(id="qr")),
    "PUT /api/v1/qr/{id}": sample(_p(id="qr"), {"status": "paused"}),
    "DELETE /api/v1/qr/{id}": sample(_p(id="qr")),
    "GET /api/v1/qr/{id}/analytics": sample(_p(id="qr"), query={"days": "3"}),
    "GET /api/wallet/apple": sample(query=lambda o: {"code": o["code"]}),
    "GET /api/wallet/google": sample(query=lambda o: {"code": o["code"]}),
}
PASSENGINE = {
    "GET /api/v1/passes": sample(query={"status": "active", "limit": "5"}),
    "POST /api/v1/passes": sample(body={"type": "multi", "name": "VIP", "maxUsages": 3,
                                        "customFields": [{"key": "k", "value": "v"}]}),
    "GET /api/v1/passes/{id}": sample(_p(id="pass")),
    "PATCH /api/v1/passes/{id}": sample(_p(id="pass"), {"note": "internal"}),
    "DELETE /api/v1/passes/{id}": sample(_p(id="pass")),
    "POST /api/v1/passes/{id}/suspend": sample(_p(id="pass")),
    "POST /api/v1/passes/{id}/resume": sample(_p(id="pass")),
    "POST /api/v1/scan": sample(body=lambda o: {"code": o["code"]}),
    "GET /api/v1/clients": sample(query={"search": "Twin", "limit": "5"}),
    # An email of each fixture's own: a client's email is its identity (the twin would
    # update the client the REST call made, 200 instead of 201).
    "POST /api/v1/clients": sample(body=lambda o: {"name": "New client",
                                                   "email": f"new-{o['customer']}@example.com"}),
    "GET /api/v1/clients/{id}": sample(_p(id="customer")),
    "PATCH /api/v1/clients/{id}": sample(_p(id="customer"), {"phone": "+4412345"}),
    "DELETE /api/v1/clients/{id}": sample(_p(id="customer")),
    "POST /api/v1/webhooks": sample(body={"url": "https://example.com/engine",
                                          "events": ["pass.created"]}),
    "GET /api/v1/webhooks/{id}": sample(_p(id="webhook")),
    "PATCH /api/v1/webhooks/{id}": sample(_p(id="webhook"), {"active": False}),
    "DELETE /api/v1/webhooks/{id}": sample(_p(id="webhook")),
}


W = "/api/{tenantId}"


def _t(**names: str):  # the tenant in The Wallet Crew's paths, and other parameters
    return lambda o: {"tenantId": o["tenant"], **{k: o[v] for k, v in names.items()}}


WALLETCREW: dict[str, Sample] = {
    f"GET {W}/passes": sample(_t(), query={"pageSize": "5"}),
    f"POST {W}/passes": sample(_t(), lambda o: {"identifiers": {"memberId": "M-" + o["pass"]},
                                                "metadata": {"tier": "gold"}},
                               {"passType": "Twin"}),
    f"PATCH {W}/passes": sample(_t(), {"metadata": {"tier": "silver"}}),
    f"GET {W}/passes/{{passId}}": sample(_t(passId="pass")),
    f"PATCH {W}/passes/{{passId}}": sample(_t(passId="pass"), {"additionalData": {"seat": "1"}}),
    f"DELETE {W}/passes/{{passId}}": sample(_t(passId="pass")),
    f"GET {W}/passes/{{passId}}/install": sample(_t(passId="pass"),
                                                 query={"platform": "preview"}),
    f"PUT {W}/customers/{{customerId}}": sample(_t(customerId="customer_ext"),
                                                {"metadata": {"vip": True}}),
    f"GET {W}/customers/{{customerId}}": sample(_t(customerId="customer_ext")),
    f"POST {W}/webhooks": sample(_t(), {"endpoint": "https://example.com/hook",
                                        "events": ["Pass:Created"]}),
    f"GET {W}/webhooks/{{id}}": sample(_t(id="webhook")),
    f"PATCH {W}/webhooks/{{id}}": sample(_t(id="webhook"), {"enabled": False}),
    f"DELETE {W}/webhooks/{{id}}": sample(_t(id="webhook")),
    f"POST {W}/scans": sample(_t(), lambda o: {"data": o["code"], "type": "qrcode"}),
}


def _patch_by_query(o: dict[str, str]) -> dict[str, str]:
    return {"id": o["pass"]}


# PATCH /passes names its pass in the query string.
WALLETCREW[f"PATCH {W}/passes"] = sample(_t(), {"metadata": {"tier": "silver"}},
                                         None)
_base_patch = WALLETCREW[f"PATCH {W}/passes"]
WALLETCREW[f"PATCH {W}/passes"] = lambda o: (_base_patch(o)[0], _base_patch(o)[1],
                                             _patch_by_query(o))


def _sig(name: str | None = None, literal: str | None = None, **extra: str):
    """AccessGrid's ``sig_payload`` for a request without a body: ``{"id": <last id>}``."""
    def query(o: dict[str, str]) -> dict[str, str]:
        ident = literal if literal is not None else o[name or ""]
        return {"sig_payload": orjson.dumps({"id": ident}).decode(), **extra}
    return query


def _ag(params=None, body=None, query=None) -> Sample:
    def build(o: dict[str, str]):
        return ((params(o) if params else {}), (body(o) if callable(body) else body),
                (query(o) if query else {}))
    return build


C, T, H = "/v1/key-cards", "/v1/console/card-templates", "/v1/console/webhooks"
ACCESSGRID: dict[str, Sample] = {
    f"POST {C}": _ag(body=lambda o: {"card_template_id": o["template"], "full_name": "Ada",
                                     "employee_id": "E7", "expiration_date":
                                     "2030-01-01T00:00:00Z"}),
    f"GET {C}": _ag(query=_sig(literal="key-cards", per_page="5")),
    f"GET {C}/{{id}}": _ag(_p(id="pass"), query=_sig("pass")),
    f"PATCH {C}/{{id}}": _ag(_p(id="pass"), {"full_name": "Ada L.", "employee_id": "E9"}),
    f"POST {C}/{{id}}/suspend": _ag(_p(id="pass"), query=_sig("pass")),
    f"POST {C}/{{id}}/resume": _ag(_p(id="pass"), query=_sig("pass")),
    f"POST {C}/{{id}}/unlink": _ag(_p(id="pass"), query=_sig("pass")),
    f"POST {C}/{{id}}/delete": _ag(_p(id="pass"), query=_sig("pass")),
    f"POST {T}": _ag(body={"name": "Door", "platform": "apple", "use_case": "employee_badge"}),
    f"GET {T}/{{id}}": _ag(_p(id="template"), query=_sig("template")),
    f"PUT {T}/{{id}}": _ag(_p(id="template"), {"name": "Renamed"}),
    f"DELETE {T}/{{id}}": _ag(_p(id="template"), query=_sig("template")),
    f"POST {T}/{{id}}/publish": _ag(_p(id="template"), query=_sig("template")),
    f"GET {T}/{{id}}/logs": _ag(_p(id="template"), query=_sig("template")),
    f"POST {H}": _ag(body={"name": "h", "url": "https://example.com/h",
                           "subscribed_events": ["ag.card.issued"]}),
    f"GET {H}": _ag(query=_sig(literal="webhooks")),
    f"DELETE {H}/{{id}}": _ag(_p(id="webhook"), query=_sig("webhook")),
    f"POST {H}/{{id}}/verify": _ag(_p(id="webhook"), query=_sig("webhook")),
}

SAMPLES: dict[str, dict[str, Sample]] = {
    "native": NATIVE, "passengine": PASSENGINE, "walletcrew": WALLETCREW,
    "accessgrid": ACCESSGRID,
}

"""The wallet protocols under The Wallet Crew's paths: Google Wallet's save/delete callback
(``POST /passes/google``). They are served by ``gateway/`` (their authentication is the
protocol's own: Google's signature), so these routes are ``external``: listed for the OpenAPI
document, which states what the gateway's handlers answer.
"""

from typing import Any

from ..engine import Route

B = "/api/{tenantId}"
PROBLEM = {"application/problem+json": {"schema": {
    "$ref": "#/components/schemas/walletcrewError"}}}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": PROBLEM}


def _none(call: Any) -> dict[str, Any]:
    return {}


def _no_body(data: dict[str, Any], call: Any) -> None:
    return None


GOOGLE_CALLBACK: dict[str, Any] = {
    "security": [{}],
    "requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "additionalProperties": False,
        "required": ["protocolVersion", "signature", "intermediateSigningKey",
                     "signedMessage"],
        "properties": {
            "protocolVersion": {"const": "ECv2SigningOnly"},
            "signature": {"type": "string"},
            "intermediateSigningKey": {
                "type": "object", "additionalProperties": False,
                "required": ["signedKey", "signatures"],
                "properties": {"signedKey": {"type": "string"},
                               "signatures": {"type": "array",
                                              "items": {"type": "string"}}}},
            "signedMessage": {"type": "string", "description": "JSON {classId, objectId, "
                              "expTimeMillis, eventType: save|del, nonce}"}}}}}},
    "responses": {
        "200": {"description": "Applied: the pass is installed (save, pass.installed) or no "
                               "longer (del, pass.uninstalled) in Google Wallet"},
        "204": {"description": "That nonce was applied before (Google delivered it again)"},
        "400": _problem("Not a callback: the body's shape, or its signedMessage"),
        "401": _problem("The signature does not verify with Google's keys for the pass's "
                        "issuer, or a key or the message has expired"),
        "404": _problem("objectId names no Google Wallet object of this tenant's passes"),
    },
}

ROUTES = [
    Route("POST", f"{B}/passes/google", None, "any", "write",
          "Google Wallet callback: a pass saved or deleted", _none, _no_body,
          tag="Passes", anonymous=True, external=True, openapi=GOOGLE_CALLBACK,
          description="Anonymous: Google signs the body (ECv2SigningOnly; keys from "
                      "PASSGATE_GOOGLE_WALLET_KEYS_URL, the recipient is the tenant's issuer "
                      "id). passgate points every class's callbackOptions.url at "
                      "/wallet/google/callbacks, which does the same; this path serves "
                      "classes made by The Wallet Crew. A save sets the pass's "
                      "providers.google install date."),
]

"""The wallet protocols under The Wallet Crew's paths: Apple's PassKit web service
(``/passes/apple/v1/…``, ``gateway/passkit.py``) and Google Wallet's save/delete callback
(``POST /passes/google``, ``gateway/google_callbacks.py``). Their authentication is the
protocol's own (``ApplePass <token>``, Google's signature), so the gateway serves them and
these routes are ``external``: listed for the OpenAPI document, which states what those
handlers answer.
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
        "400": {"description": "Not a callback: the body's shape, or its signedMessage",
                "content": {**PROBLEM, "text/plain": {"schema": {"type": "string"}}}},
        "401": _problem("The signature does not verify with Google's keys for the pass's "
                        "issuer, or a key or the message has expired"),
        "404": _problem("objectId names no Google Wallet object of this tenant's passes"),
    },
}

# PassKit's own answers: 401 is plain text, a bad request {"error", "message"}; an unknown
# path under the dialect's prefix is the dialect's ProblemDetails 404.
TEXT_401 = {"description": "No such pass for this pass type, or a wrong ApplePass token",
            "content": {"text/plain": {"schema": {"type": "string"}}}}
JSON_ERROR = {"application/json": {"schema": {
    "type": "object", "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}}}}}
# A request HTTP itself cannot read (a header value with control characters) is refused by
# the HTTP layer before any handler runs, in plain text.
PLAIN = {"text/plain": {"schema": {"type": "string"}}}
# Text holding NUL is refused up front for every door, in the dialect's ProblemDetails.
UNREADABLE = {"description": "A request HTTP cannot read (e.g. a bad header value), or NUL "
                             "in the path", "content": {**PLAIN, **PROBLEM}}
BAD = {"description": "A malformed device id, body or log; a request HTTP cannot read; NUL "
                      "in the path or body", "content": {**JSON_ERROR, **PLAIN, **PROBLEM}}
NO_ROUTE = _problem("No route: a path segment that cannot be one (e.g. holding a slash)")
APPLE_PASS = [{"applePass": []}]


def _path(*names: str) -> list[dict[str, Any]]:
    return [{"name": n, "in": "path", "required": True,
             "schema": {"type": "string", "minLength": 1}} for n in ("tenantId", *names)]


REGISTRATION = ("deviceLibraryIdentifier", "passTypeIdentifier", "serialNumber")
PASSKIT = f"{B}/passes/apple/v1"
REGISTER: dict[str, Any] = {
    "security": APPLE_PASS, "parameters": _path(*REGISTRATION),
    "requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["pushToken"], "properties": {"pushToken": {
            "type": "string", "minLength": 1, "maxLength": 200}}}}}},
    "responses": {"201": {"description": "Registered"},
                  "200": {"description": "Already registered (the push token refreshed)"},
                  "400": BAD, "401": TEXT_401, "404": NO_ROUTE}}
UNREGISTER: dict[str, Any] = {
    "security": APPLE_PASS, "parameters": _path(*REGISTRATION),
    "responses": {"200": {"description": "Unregistered (or was not)"}, "400": UNREADABLE,
                  "401": TEXT_401, "404": NO_ROUTE}}
SERIALS: dict[str, Any] = {
    "security": [{}], "parameters": [
        *_path("deviceLibraryIdentifier", "passTypeIdentifier"),
        {"name": "passesUpdatedSince", "in": "query", "required": False,
         "schema": {"type": "string"},
         "description": "The lastUpdated tag of the previous answer"}],
    "responses": {
        "200": {"description": "The device's passes of this type changed since the tag",
                "content": {"application/json": {"schema": {
                    "type": "object", "required": ["serialNumbers", "lastUpdated"],
                    "properties": {"serialNumbers": {"type": "array",
                                                     "items": {"type": "string"}},
                                   "lastUpdated": {"type": "string"}}}}}},
        "204": {"description": "Nothing changed (or nothing registered)"},
        "400": BAD, "404": NO_ROUTE}}
LATEST: dict[str, Any] = {
    "security": APPLE_PASS, "parameters": [
        *_path("passTypeIdentifier", "serialNumber"),
        {"name": "If-Modified-Since", "in": "header", "required": False,
         "schema": {"type": "string"}}],
    "responses": {
        "200": {"description": "The signed pass (Last-Modified: its version)",
                "content": {"application/vnd.apple.pkpass": {"schema": {
                    "type": "string", "contentMediaType": "application/vnd.apple.pkpass"}}}},
        "304": {"description": "Not modified since If-Modified-Since"},
        "400": UNREADABLE, "401": TEXT_401, "404": NO_ROUTE,
        "409": {"description": "The tenant's Apple Wallet settings are missing",
                "content": JSON_ERROR}}}
LOG: dict[str, Any] = {
    "security": [{}], "parameters": _path(),
    "requestBody": {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["logs"], "properties": {"logs": {
            "type": "array", "items": {"type": "string"}}}}}}},
    "responses": {"200": {"description": "Logged (the first 50 entries)"}, "400": BAD,
                  "404": NO_ROUTE}}
PASSKIT_NOTE = ("Apple's PassKit web service (the pass's webServiceURL may point here, as at "
                "/wallet/apple/v1): no API key; ")

ROUTES = [
    Route("POST", f"{PASSKIT}/devices/{{deviceLibraryIdentifier}}/registrations/"
          "{passTypeIdentifier}/{serialNumber}", None, "any", "write",
          "PassKit: register a device for a pass's updates", _none, _no_body, tag="Passes",
          anonymous=True, external=True, openapi=REGISTER,
          description=PASSKIT_NOTE + "Authorization: ApplePass <token>. 201 new, 200 known."),
    Route("DELETE", f"{PASSKIT}/devices/{{deviceLibraryIdentifier}}/registrations/"
          "{passTypeIdentifier}/{serialNumber}", None, "any", "write",
          "PassKit: unregister a device", _none, _no_body, tag="Passes", anonymous=True,
          external=True, openapi=UNREGISTER,
          description=PASSKIT_NOTE + "Authorization: ApplePass <token>."),
    Route("GET", f"{PASSKIT}/devices/{{deviceLibraryIdentifier}}/registrations/"
          "{passTypeIdentifier}", None, "any", "read",
          "PassKit: serial numbers of the device's passes changed since a tag", _none,
          _no_body, tag="Passes", anonymous=True, external=True, openapi=SERIALS,
          description=PASSKIT_NOTE + "only this tenant's passes are listed."),
    Route("GET", f"{PASSKIT}/passes/{{passTypeIdentifier}}/{{serialNumber}}", None, "any",
          "read", "PassKit: the latest version of a pass", _none, _no_body, tag="Passes",
          anonymous=True, external=True, openapi=LATEST,
          description=PASSKIT_NOTE + "Authorization: ApplePass <token>; 304 when not "
                      "modified since If-Modified-Since."),
    Route("POST", f"{PASSKIT}/log", None, "any", "write", "PassKit: a device's log messages",
          _none, _no_body, tag="Passes", anonymous=True, external=True, openapi=LOG,
          description=PASSKIT_NOTE + "written to passgate's log."),
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

"""Apple's PassKit web service at ``{PUBLIC_BASE_URL}/wallet/apple`` (the pass's
``webServiceURL``): devices register for updates, ask which passes changed, fetch the latest
version, and send their logs.

Requests about one pass carry ``Authorization: ApplePass <authenticationToken>``; any
mismatch (unknown serial, other pass type, wrong token) is the same 401.
"""

import logging
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

import orjson
from aiohttp import web

from resolvers.timeutil import utcnow
from resolvers.wallet import apple, passkit
from resolvers.wallet.settings import WalletNotConfigured

from .keys import STATE
from .wallet import not_configured, pkpass_response, render_pkpass

log = logging.getLogger("passgate.passkit")

PREFIX = "/wallet/apple/v1"
# The same service where The Wallet Crew has it (its tenant in the path).
WALLETCREW_PREFIX = "/api/{tenantId:ten_[^/]+}/passes/apple/v1"
MAX_ID = 200
MAX_LOGS = 50


def _unauthorized() -> web.Response:
    return web.Response(status=401, text="Unauthorized")


def _bad(message: str) -> web.Response:
    return web.json_response({"error": "bad_request", "message": message}, status=400)


def _token(request: web.Request) -> str:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme == "ApplePass" else ""


async def _authorised_pass(request: web.Request) -> tuple[Any, Any, Any] | None:
    """The pass the request is about, if its pass type and token are right."""
    info = request.match_info
    serial, pass_type_id = info["serial"], info["passTypeId"]
    token = _token(request)
    if not token or len(serial) > MAX_ID:
        return None
    state = request.app[STATE]
    if not apple.check_authentication_token(state.secret_key, serial, token):
        return None
    loaded = await apple.load(state.db, pass_id=serial, defaults=state.wallet_defaults)
    if loaded is None or loaded[0].tenant_id != info.get("tenantId", loaded[0].tenant_id):
        return None
    settings = loaded[2]
    if settings is None or settings.apple_pass_type_id != pass_type_id:
        return None
    return loaded


def _device(request: web.Request) -> str | None:
    device = request.match_info["deviceId"]
    return device if 0 < len(device) <= MAX_ID else None


async def register_device(request: web.Request) -> web.Response:
    loaded = await _authorised_pass(request)
    if loaded is None:
        return _unauthorized()
    device = _device(request)
    if device is None:
        return _bad(f"deviceLibraryIdentifier must be 1 to {MAX_ID} characters")
    try:
        body = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        return _bad("the body must be JSON: {\"pushToken\": \"…\"}")
    token = body.get("pushToken") if isinstance(body, dict) else None
    if not isinstance(token, str) or not 0 < len(token.strip()) <= MAX_ID:
        return _bad(f"pushToken must be a string of 1 to {MAX_ID} characters")
    created = await passkit.register(request.app[STATE].db, loaded[0], device,
                                     request.match_info["passTypeId"], token.strip())
    return web.Response(status=201 if created else 200)


async def unregister_device(request: web.Request) -> web.Response:
    loaded = await _authorised_pass(request)
    if loaded is None:
        return _unauthorized()
    device = _device(request)
    if device is not None:
        await passkit.unregister(request.app[STATE].db, loaded[0], device,
                                 request.match_info["passTypeId"])
    return web.Response(status=200)


async def updated_serials(request: web.Request) -> web.Response:
    device = _device(request)
    if device is None:
        return _bad(f"deviceLibraryIdentifier must be 1 to {MAX_ID} characters")
    found = await passkit.serials_since(request.app[STATE].db, device,
                                        request.match_info["passTypeId"],
                                        request.query.get("passesUpdatedSince"),
                                        tenant_id=request.match_info.get("tenantId"))
    if found is None:
        return web.Response(status=204)
    serials, last_updated = found
    return web.json_response({"serialNumbers": serials, "lastUpdated": last_updated})


def _if_modified_since(request: web.Request) -> datetime | None:
    raw = request.headers.get("If-Modified-Since")
    if not raw:
        return None
    try:
        return parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None


async def latest_pass(request: web.Request) -> web.Response:
    loaded = await _authorised_pass(request)
    if loaded is None:
        return _unauthorized()
    row = loaded[0]
    version, now = apple.wallet_tag(row), utcnow()
    modified = format_datetime(passkit.last_modified(version, now), usegmt=True)
    since = _if_modified_since(request)
    if since is not None and since.tzinfo is not None and passkit.not_modified(version, since):
        return web.Response(status=304, headers={"Last-Modified": modified})
    try:
        blob = await render_pkpass(request.app, loaded)
    except WalletNotConfigured as e:
        return not_configured(e)
    return pkpass_response(blob, row, **{"Cache-Control": "no-cache"})


async def device_log(request: web.Request) -> web.Response:
    try:
        body = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        return _bad("the body must be JSON: {\"logs\": [\"…\"]}")
    logs = body.get("logs") if isinstance(body, dict) else None
    if not isinstance(logs, list) or not all(isinstance(entry, str) for entry in logs):
        return _bad("logs must be a list of strings")
    for entry in logs[:MAX_LOGS]:
        log.warning("device log: %s", str(entry)[:500])
    return web.Response(status=200)


def install(app: web.Application) -> None:
    for prefix in (PREFIX, WALLETCREW_PREFIX):
        registration = prefix + "/devices/{deviceId}/registrations/{passTypeId}/{serial}"
        app.router.add_post(registration, register_device)
        app.router.add_delete(registration, unregister_device)
        app.router.add_get(prefix + "/devices/{deviceId}/registrations/{passTypeId}",
                           updated_serials)
        app.router.add_get(prefix + "/passes/{passTypeId}/{serial}", latest_pass)
        app.router.add_post(prefix + "/log", device_log)

"""Google Wallet's save and delete callbacks, at the URL passgate puts in every class's
``callbackOptions`` (``{PUBLIC_BASE_URL}/wallet/google/callbacks``) and at The Wallet Crew's
``POST /api/{tenantId}/passes/google``.

Anonymous, like the PassKit web service: Google signs the body (ECv2SigningOnly, checked in
``resolvers.wallet.google_callbacks``) with keys it publishes at
``PASSGATE_GOOGLE_WALLET_KEYS_URL``, fetched through the one guarded outbound client. 200: the
save or delete was applied; 204: that nonce was applied before; 400: not a callback; 401: the
signature does not verify for the pass's issuer; 404: no Google Wallet object of passgate's.
"""

import logging
import re
import time
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ec

from resolvers.outbound import Outbound
from resolvers.timeutil import utcnow
from resolvers.wallet import apple, google
from resolvers.wallet import google_callbacks as gc

from .errors import error_response
from .keys import SETTINGS, STATE

log = logging.getLogger("passgate.wallet.google")
WALLETCREW_PATH = "/api/{tenantId:ten_[^/]+}/passes/google"
_MAX_AGE = re.compile(r"max-age=(\d+)")


class GoogleKeys:
    """Google's root signing keys, kept for the keys URL's ``max-age`` (an hour without
    one). A message the kept keys do not verify makes one fresh fetch (Google rotated its
    keys), at most once a minute, so forged callbacks cannot make passgate hammer Google."""

    DEFAULT_TTL = 3600.0
    REFETCH_AFTER = 60.0

    def __init__(self, outbound: Outbound, url: str) -> None:
        self.outbound = outbound
        self.url = url
        self._keys: list[ec.EllipticCurvePublicKey] = []
        self._until = 0.0
        self._fetched = -1e9

    async def get(self, *, fresh: bool = False) -> list[ec.EllipticCurvePublicKey]:
        now = time.monotonic()
        stale = now >= self._until
        if (stale or fresh) and now - self._fetched >= (self.REFETCH_AFTER if fresh else 0):
            self._fetched = now
            reply = await self.outbound.request("GET", self.url, timeout=10)
            if reply.ok:
                try:
                    self._keys = gc.root_keys(reply.body, utcnow())
                except gc.CallbackRefused as e:
                    log.warning("Google's signing keys at %s: %s", self.url, e.message)
                else:
                    found = _MAX_AGE.search(reply.headers.get("Cache-Control", ""))
                    self._until = now + (int(found.group(1)) if found else self.DEFAULT_TTL)
            else:
                log.warning("Google's signing keys could not be fetched from %s: %s",
                            self.url, reply.error or reply.status)
        return self._keys


async def google_callback(request: web.Request) -> web.Response:
    state = request.app[STATE]
    try:
        data = gc.envelope(await request.read())
        claimed = gc.message(data)
    except gc.CallbackRefused as e:
        return error_response(request, 400, "BAD_USER_INPUT", e.message)
    # The object names the pass; its tenant's issuer is the recipient the signature binds.
    issuer, _, pass_id = claimed.object_id.partition(".")
    loaded = await apple.load(state.db, pass_id=pass_id, defaults=state.wallet_defaults)
    tenant = request.match_info.get("tenantId")
    settings = loaded[2] if loaded is not None else None
    if (loaded is None or (tenant is not None and loaded[0].tenant_id != tenant)
            or settings is None or settings.google_issuer_id != issuer):
        return error_response(request, 404, "NOT_FOUND",
                              "no Google Wallet object of passgate's has that objectId")
    keys: GoogleKeys = request.app[GOOGLE_KEYS]
    now = utcnow()
    try:
        callback = gc.verify(data, await keys.get(), issuer, now)
    except gc.CallbackRefused:
        try:  # perhaps Google rotated its keys since they were fetched
            callback = gc.verify(data, await keys.get(fresh=True), issuer, now)
        except gc.CallbackRefused as e:
            return error_response(request, 401, "UNAUTHENTICATED", e.message)
    applied = await gc.record(state.db, loaded[0], callback)
    return web.Response(status=200 if applied else 204)


GOOGLE_KEYS = web.AppKey("google_keys", GoogleKeys)


async def _keys_context(app: web.Application) -> Any:
    app[GOOGLE_KEYS] = GoogleKeys(app[STATE].outbound, app[SETTINGS].google_wallet_keys_url)
    yield


def install(app: web.Application) -> None:
    app.router.add_post(google.CALLBACK_PATH, google_callback)
    app.router.add_post(WALLETCREW_PATH, google_callback)
    app.cleanup_ctx.append(_keys_context)

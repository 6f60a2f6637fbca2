"""Wallet downloads for holders: the signed ``.pkpass`` and the pass's barcode image at public,
token-signed links.

The links carry the same HMAC token as the holder's page (``/p/{code}?token=…``), so they can
be sent to the holder; a wrong token and an unknown code are the same 404.
"""

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from aiohttp import web

from resolvers import ids
from resolvers.public import pass_id_by_token
from resolvers.timeutil import utcnow
from resolvers.wallet import apple, barcodes, google, passkit, template_images
from resolvers.wallet.settings import WalletNotConfigured, apple_signer, google_signer

from .keys import SETTINGS, STATE


def web_service_url(app: web.Application) -> str:
    return app[SETTINGS].public_base_url + "/wallet/apple"


def apple_pass_path(code: str, token: str) -> str:
    return f"/p/{code}/pass.pkpass?token={token}"


def not_configured(error: WalletNotConfigured) -> web.Response:
    return web.json_response({"error": "wallet_not_configured", "message": error.message},
                             status=409)


def pkpass_response(blob: bytes, row: Any, **headers: str) -> web.Response:
    return web.Response(body=blob, headers={
        "Content-Type": apple.CONTENT_TYPE,
        "Content-Disposition": f'attachment; filename="{apple.file_name(row)}"',
        "Last-Modified": format_datetime(
            passkit.last_modified(apple.wallet_tag(row), utcnow()), usegmt=True),
        **headers,
    })


async def render_pkpass(app: web.Application, loaded: tuple[Any, Any, Any]) -> bytes:
    """The signed pass (from the cache when nothing that shapes it changed)."""
    row, template, settings = loaded
    state = app[STATE]
    return await apple.CACHE.render(state.db, row, template, settings,
                                    server_secret=state.secret_key,
                                    web_service_url=web_service_url(app), now=utcnow())


async def _holder_pass_id(request: web.Request) -> str:
    """The id of the pass a holder's signed link names; a wrong token is the 404 of an
    unknown code, so links cannot be used to probe for codes."""
    state = request.app[STATE]
    code = ids.normalise_code(request.match_info["code"])
    token = request.query.get("token", "")
    pass_id = await pass_id_by_token(state.db, state.secret_key, code, token)
    if pass_id is None:
        raise web.HTTPNotFound(text="No such pass.")
    return pass_id


async def _load_holder_pass(request: web.Request, pass_id: str) -> Any:
    """(row, template, settings) of the pass; a deleted pass is the same 404."""
    state = request.app[STATE]
    loaded = await apple.load(state.db, pass_id=pass_id, defaults=state.wallet_defaults)
    if loaded is None or loaded[0].state == "deleted":
        raise web.HTTPNotFound(text="No such pass.")
    return loaded


async def _holder_pass(request: web.Request) -> Any:
    """The pass a holder's signed link names (row, template, settings), or 404."""
    return await _load_holder_pass(request, await _holder_pass_id(request))


async def _versioned_holder_pass(request: web.Request) -> tuple[Any, tuple[Any, ...] | None]:
    """The pass (as ``_holder_pass``) and its version, read before the pass is loaded: a
    change landing in between leaves a newer version than the one kept, so an answer made
    from the load is never kept under a version newer than its own."""
    pass_id = await _holder_pass_id(request)
    version = await request.app[STATE].db.read_row(VERSION_SQL, (pass_id,))
    return await _load_holder_pass(request, pass_id), version


@dataclass(slots=True)
class HotAnswer:
    pass_id: str
    version: tuple[Any, ...]  # the pass's VERSION_SQL row when the answer was made
    body: bytes
    headers: dict[str, str]
    etag: str
    until: float  # monotonic: made again after this (settings, validity windows)
    generation: int  # apple.settings_generation() when made: this process's settings changes
    stamp: Any = None  # Database.change_stamp() when the version was last found unchanged


# Everything of the pass and its template that shapes its .pkpass (the cache key of
# apple.PkpassCache, and the code the link names), in one indexed read. Its barcode image
# (the code, the template's barcode format: any change of a template moves its updated_at)
# and whether the pass is deleted are part of it.
VERSION_SQL = ("SELECT p.code, p.state, p.usages_count, p.max_usages, p.valid_from, "
               "p.valid_until, p.wallet_updated_at, p.created_at, t.updated_at "
               "FROM passes p LEFT JOIN templates t ON t.id = p.template_id WHERE p.id = ?")


class HotLinks:
    """The latest answer of each holder's link (the .pkpass, the barcode image), so a repeat
    download costs one small read instead of the token lookup and the pass load (through the
    SQLite driver's thread those cost far more than the answer: measured in
    bench/wallet.py). The read is the pass's version (``VERSION_SQL``): any change of the
    pass or its template makes the answer again. It is also made again after ``TTL``
    seconds, the time another process's change of the tenant's wallet settings may take to
    show (``apple.SETTINGS_TTL``), or when the pass's validity window opens or closes.

    Keys start with the link's (code, token): a wrong token never finds an answer."""

    TTL = apple.SETTINGS_TTL

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, ...], HotAnswer] = OrderedDict()

    def get(self, key: tuple[str, ...]) -> HotAnswer | None:
        found = self._items.get(key)
        if found is not None and time.monotonic() >= found.until:
            del self._items[key]
            return None
        return found

    def put(self, key: tuple[str, ...], answer: HotAnswer) -> None:
        self._items[key] = answer
        self._items.move_to_end(key)
        if len(self._items) > self._size:
            self._items.popitem(last=False)

    def forget(self, key: tuple[str, ...]) -> None:
        self._items.pop(key, None)


HOT = HotLinks()  # .pkpass links, by (code, token)
BARCODES = HotLinks()  # barcode images, by (code, token, ext)
PRIVATE = {"Cache-Control": "private, no-cache", "Referrer-Policy": "no-referrer"}
KEPT_BY_304 = ("ETag", "Cache-Control", "Referrer-Policy")  # of the answer's headers


def _link_key(request: web.Request) -> tuple[str, str]:
    return ids.normalise_code(request.match_info["code"]), request.query.get("token", "")


def _answer(request: web.Request, body: bytes, headers: dict[str, str], etag: str
            ) -> web.Response:
    """The answer, or 304 when the client holds this version (If-None-Match)."""
    if etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers={
            name: headers[name] for name in KEPT_BY_304 if name in headers})
    return web.Response(body=body, headers=headers)


async def _kept_answer(request: web.Request, links: HotLinks, key: tuple[str, ...]
                       ) -> web.Response | None:
    """The answer ``links`` keeps for ``key`` while the pass's version and this process's
    wallet settings are the ones it was made from (one small read, none on SQLite while
    nothing was written since the last one: ``Database.change_stamp``), else None."""
    hot = links.get(key)
    if hot is None:
        return None
    if hot.generation == apple.settings_generation():
        db = request.app[STATE].db
        stamp = db.change_stamp()  # before the read: a write after it moves the stamp
        if stamp is not None and stamp == hot.stamp:
            return _answer(request, hot.body, hot.headers, hot.etag)
        if await db.read_row(VERSION_SQL, (hot.pass_id,)) == hot.version:
            hot.stamp = stamp
            return _answer(request, hot.body, hot.headers, hot.etag)
    links.forget(key)
    return None


def _hot_until(row: Any, now: datetime) -> float:
    """Monotonic time the answer may serve until: the TTL, or sooner when the pass's status
    changes with time (its validity starts or ends)."""
    seconds = HotLinks.TTL
    for moment in (row.valid_from, row.valid_until):
        if moment is not None and moment > now:
            seconds = min(seconds, (moment - now).total_seconds())
    return time.monotonic() + seconds


async def public_pkpass(request: web.Request) -> web.Response:
    key = _link_key(request)
    kept = await _kept_answer(request, HOT, key)
    if kept is not None:
        return kept
    generation = apple.settings_generation()
    loaded, version = await _versioned_holder_pass(request)
    row = loaded[0]
    try:
        blob = await render_pkpass(request.app, loaded)
    except WalletNotConfigured as e:
        return not_configured(e)
    etag = f'"{hashlib.sha1(blob).hexdigest()}"'
    response = pkpass_response(blob, row, ETag=etag, **PRIVATE)
    now = utcnow()
    tag = apple.wallet_tag(row)
    # A version within its own second announces the second before (passkit.last_modified):
    # that answer is not kept, so the next one carries the right Last-Modified.
    if version is not None and passkit.last_modified(tag, now) == tag.replace(microsecond=0):
        HOT.put(key, HotAnswer(row.id, version, blob, dict(response.headers), etag,
                               _hot_until(row, now), generation))
    return _answer(request, blob, dict(response.headers), etag)


async def public_barcode(request: web.Request) -> web.Response:
    """The pass's code as its template's barcode (SVG or PNG), for the install page; a
    repeat is answered from ``BARCODES`` after one version read, like the .pkpass."""
    ext = request.match_info["ext"]
    key = (*_link_key(request), ext)
    kept = await _kept_answer(request, BARCODES, key)
    if kept is not None:
        return kept
    generation = apple.settings_generation()
    (row, template, _), version = await _versioned_holder_pass(request)
    fmt = template.barcode_format if template is not None else "qr"
    image = barcodes.CACHE.image(fmt, row.code, kind=ext, scale=6, margin=4)
    headers = {"Content-Type": image.content_type, "ETag": image.etag,
               "Cache-Control": "private, max-age=300"}
    # Kept under the .pkpass's rules, though neither the TTL nor the settings shape the
    # image: one rule for both links, and a load a second per link costs little.
    if version is not None:
        BARCODES.put(key, HotAnswer(row.id, version, image.body, headers, image.etag,
                                    time.monotonic() + HotLinks.TTL, generation))
    return _answer(request, image.body, headers, image.etag)


PLATFORMS = ("apple", "google", "preview", "auto")


def pick_platform(user_agent: str, settings: Any) -> str:
    """``auto``: Apple Wallet on Apple devices, Google Wallet on Android, where the tenant
    has set that wallet up; otherwise the install page."""
    apple_ok = settings is not None and bool(settings.apple_certificate_pem)
    google_ok = settings is not None and bool(settings.google_issuer_id)
    if apple_ok and any(k in user_agent for k in ("iPhone", "iPad", "iPod", "Macintosh")):
        return "apple"
    if google_ok and "Android" in user_agent:
        return "google"
    return "preview"


async def public_install(request: web.Request) -> web.Response:
    """``/p/{code}/install?platform=apple|google|preview|auto&token=…``: the holder's signed
    link straight into a wallet (no API key: it is sent to holders). 302 to the .pkpass, the
    Google save link or the install page; 409 naming the wallet the tenant has not set up."""
    platform = request.query.get("platform", "auto")
    if platform not in PLATFORMS:
        return web.json_response({"error": "bad_request", "message": "platform must be one "
                                  f"of {', '.join(PLATFORMS)}"}, status=400)
    row, template, settings = await _holder_pass(request)
    token = request.query["token"]
    if platform == "auto":
        platform = pick_platform(request.query.get("userAgent")
                                 or request.headers.get("User-Agent", ""), settings)
    if platform == "preview":
        target = f"/p/{row.code}?token={token}"
    elif platform == "apple":
        try:
            apple_signer(settings, request.app[STATE].secret_key)
        except WalletNotConfigured as e:
            return not_configured(e)
        target = apple_pass_path(row.code, token)
    else:
        state = request.app[STATE]
        try:
            target = await google.save_url(
                google_signer(settings, state.secret_key), row, template,
                api=state.google_api, base_url=state.public_base_url,
                logo_path=await template_images.logo_path(state.db, template),
                issuer_name=(settings.apple_organization if settings else None) or "passgate",
                now=utcnow())
        except WalletNotConfigured as e:
            return not_configured(e)
        except google.SaveLinkUnavailable as e:
            return web.json_response({"error": "google_wallet_unavailable",
                                      "message": str(e)}, status=503)
    raise web.HTTPFound(target, headers={"Cache-Control": "no-store",
                                         "Referrer-Policy": "no-referrer"})


async def wallet_image(request: web.Request) -> web.Response:
    """passgate's default pass images, public (Google Wallet fetches logos by URL)."""
    name = request.match_info["name"]
    if name not in apple.DEFAULT_IMAGES:
        raise web.HTTPNotFound(text="No such image.")
    return web.Response(body=apple.default_image(name), content_type="image/png",
                        headers={"Cache-Control": "public, max-age=86400"})


async def template_image(request: web.Request) -> web.Response:
    """A template's uploaded image, public like passgate's own (its URL is in Google
    Wallet classes and on the install page); the ETag is the image's SHA-1."""
    state = request.app[STATE]
    found = await template_images.public_image(state.db, request.match_info["template_id"],
                                               request.match_info["name"])
    if found is None:
        raise web.HTTPNotFound(text="No such image.")
    headers = {"ETag": f'"{found.sha1}"', "Cache-Control": "public, max-age=300"}
    if f'"{found.sha1}"' in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return web.Response(body=bytes(found.content), content_type="image/png", headers=headers)


def install(app: web.Application) -> None:
    """Routes and per-process caches of the wallet side."""
    from . import google_callbacks
    from . import passkit as passkit_service  # it builds on this module
    from .wallet_push import wallet_push_context

    app.router.add_get("/p/{code}/pass.pkpass", public_pkpass)
    app.router.add_get("/p/{code}/install", public_install)
    app.router.add_get("/wallet/images/{name}", wallet_image)
    app.router.add_get("/wallet/templates/{template_id}/{name}", template_image)
    app.router.add_get("/p/{code}/barcode.{ext:png|svg}", public_barcode)
    passkit_service.install(app)
    google_callbacks.install(app)
    app.cleanup_ctx.append(wallet_push_context)

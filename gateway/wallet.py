"""Wallet downloads for holders: the signed ``.pkpass`` at a public, token-signed link.

The link carries the same HMAC token as the holder's page (``/p/{code}?token=…``), so it can
be sent to the holder; a wrong token and an unknown code are the same 404.
"""

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


async def _holder_pass(request: web.Request) -> Any:
    """The pass a holder's signed link names (row, template, settings); any mismatch, like a
    deleted pass, is the same 404, so links cannot be used to probe for codes."""
    state = request.app[STATE]
    code = ids.normalise_code(request.match_info["code"])
    token = request.query.get("token", "")
    pass_id = await pass_id_by_token(state.db, state.secret_key, code, token)
    if pass_id is None:
        raise web.HTTPNotFound(text="No such pass.")
    loaded = await apple.load(state.db, pass_id=pass_id, defaults=state.wallet_defaults)
    if loaded is None or loaded[0].state == "deleted":
        raise web.HTTPNotFound(text="No such pass.")
    return loaded


async def public_pkpass(request: web.Request) -> web.Response:
    loaded = await _holder_pass(request)
    try:
        blob = await render_pkpass(request.app, loaded)
    except WalletNotConfigured as e:
        return not_configured(e)
    return pkpass_response(blob, loaded[0], **{"Cache-Control": "private, no-cache",
                                               "Referrer-Policy": "no-referrer"})


async def public_barcode(request: web.Request) -> web.Response:
    """The pass's code as its template's barcode (SVG or PNG), for the install page."""
    loaded = await _holder_pass(request)
    template = loaded[1]
    fmt = template.barcode_format if template is not None else "qr"
    image = barcodes.CACHE.image(fmt, loaded[0].code, kind=request.match_info["ext"], scale=6,
                                 margin=4)
    headers = {"ETag": image.etag, "Cache-Control": "private, max-age=300"}
    if image.etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return web.Response(body=image.body, content_type=image.content_type, headers=headers)


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

"""The holder's install page, ``/p/{code}?token=…``: the pass (public fields only), its
barcode, and "Add to Apple Wallet" / "Save to Google Wallet" where the tenant set them up.
A code passgate minted opens the page without the token (``pass_id_by_token``).

Server-rendered with Jinja2 (autoescaped) under a strict Content-Security-Policy
(``html_security.page_csp``): no script at all, and one inline style block (the page's
stylesheet plus the template's colours, checked ``#RRGGBB`` values) allowed by its hash.
A wrong token and an unknown code are the same 404.
"""

from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from resolvers import ids
from resolvers.passes import derive_status, remaining_usages
from resolvers.public import pass_id_by_token
from resolvers.timeutil import utcnow
from resolvers.wallet import apple, barcodes, google, template_images
from resolvers.wallet.settings import WalletNotConfigured, google_signer

from .html_security import CSP, page_csp
from .keys import STATE

HERE = Path(__file__).resolve().parent
TEMPLATES = Environment(loader=FileSystemLoader(HERE / "templates"),
                        autoescape=select_autoescape(["html"]), auto_reload=False)
CSS = (HERE / "templates" / "install.css").read_text()


COLOURS = "\nheader {{ background: {background}; color: {foreground}; }}\n"


def _rows(row: Any, now: Any) -> list[tuple[str, str]]:
    rows = []
    if row.holder_name:
        rows.append(("Holder", row.holder_name))
    if row.valid_from:
        rows.append(("Valid from", row.valid_from.strftime("%Y-%m-%d %H:%M UTC")))
    if row.valid_until:
        rows.append(("Valid until", row.valid_until.strftime("%Y-%m-%d %H:%M UTC")))
    left = remaining_usages(row)
    if left is not None:
        rows.append(("Uses left", str(left)))
    rows.extend((f["key"], f["value"]) for f in row.custom_fields if f.get("isPublic"))
    return rows


async def _google_url(request: web.Request, row: Any, template: Any, settings: Any
                      ) -> str | None:
    if settings is None or not settings.google_issuer_id:
        return None
    state = request.app[STATE]
    try:
        return await google.save_url(
            google_signer(settings, state.secret_key), row, template, api=state.google_api,
            base_url=state.public_base_url,
            logo_path=await template_images.logo_path(state.db, template),
            issuer_name=settings.apple_organization or "passgate", now=utcnow())
    except (google.SaveLinkUnavailable, WalletNotConfigured):
        return None  # the page still shows the pass; the button needs the API back


async def pass_page(request: web.Request) -> web.Response:
    state = request.app[STATE]
    code = ids.normalise_code(request.match_info["code"])
    token = request.query.get("token", "")
    pass_id = await pass_id_by_token(state.db, state.secret_key, code, token,
                                     minted_without_token="token" not in request.query)
    loaded = None if pass_id is None else await apple.load(
        state.db, pass_id=pass_id, defaults=state.wallet_defaults)
    if loaded is None or loaded[0].state == "deleted":
        return web.Response(status=404, text="No such pass.", content_type="text/plain")
    row, template, settings = loaded
    token = token or ids.pass_token(state.secret_key, row)  # for the page's own links
    now = utcnow()
    status = derive_status(row, now)
    fmt = template.barcode_format if template is not None else "qr"
    symbol = barcodes.CACHE.image(fmt, row.code, kind="svg", scale=4, margin=4)
    style = CSS + COLOURS.format(
        background=(template.background_color if template is not None else None)
        or "#1f2937",
        foreground=(template.foreground_color if template is not None else None)
        or "#ffffff")
    apple_url = (f"/p/{code}/pass.pkpass?token={token}"
                 if settings is not None and settings.apple_certificate_pem else None)
    html = TEMPLATES.get_template("install.html").render(
        name=row.name or (template.name if template is not None else None) or "Pass",
        status=status.replace("_", " "), status_code=status, code=row.code,
        style=Markup(style),  # our stylesheet and checked #RRGGBB colours, verbatim
        barcode_svg=Markup(symbol.body.decode()),  # drawn here from the code: safe inline
        rows=_rows(row, now), apple_url=apple_url,
        logo=await template_images.logo_path(state.db, template),
        google_url=await _google_url(request, row, template, settings),
    )
    policy = page_csp(styles=[style])
    return web.Response(text=html, content_type="text/html",
                        headers={"Cache-Control": "no-store", CSP: policy})

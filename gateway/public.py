"""The holder's page, ``/p/{code}?token=…``: the pass and its QR code, public fields only."""

from html import escape

import qrcode
import qrcode.image.svg
from aiohttp import web

from resolvers.public import public_pass

from .html_security import CSP, page_csp
from .keys import STATE

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{name}</title>
<style>{style}</style></head>
<body><div class="card">
<header><h1>{name}</h1><div class="status">{status}</div></header>
<div class="qr">{qr}<div class="code">{code}</div></div>
<dl>{rows}</dl>
</div></body></html>
"""
STYLE = """
body {{ font-family: system-ui, sans-serif; background: #f3f4f6; margin: 0; padding: 2rem 1rem; }}
.card {{ max-width: 22rem; margin: auto; border-radius: 1rem; overflow: hidden;
         box-shadow: 0 4px 20px rgba(0,0,0,.12); background: #fff; }}
header {{ background: {bg}; color: {fg}; padding: 1.25rem; }}
h1 {{ font-size: 1.3rem; margin: 0 0 .25rem; }}
.status {{ font-size: .85rem; letter-spacing: .05em; text-transform: uppercase; opacity: .85; }}
.qr {{ padding: 1.25rem; text-align: center; }} .qr svg {{ width: 14rem; height: 14rem; }}
.code {{ font-family: ui-monospace, monospace; letter-spacing: .1em; margin-top: .5rem; }}
dl {{ margin: 0; padding: 0 1.25rem 1.25rem; display: grid; grid-template-columns: auto 1fr;
      gap: .35rem 1rem; }} dt {{ color: #6b7280; }} dd {{ margin: 0; }}
"""


def qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode")


async def pass_page(request: web.Request) -> web.Response:
    state = request.app[STATE]
    view = await public_pass(state.db, state.secret_key, request.match_info["code"],
                             request.query.get("token", ""))
    if view is None:
        return web.Response(status=404, text="No such pass.", content_type="text/plain")
    rows = []
    if view["holder_name"]:
        rows.append(("Holder", view["holder_name"]))
    if view["valid_from"]:
        rows.append(("Valid from", view["valid_from"].strftime("%Y-%m-%d %H:%M UTC")))
    if view["valid_until"]:
        rows.append(("Valid until", view["valid_until"].strftime("%Y-%m-%d %H:%M UTC")))
    if view["remaining_usages"] is not None:
        rows.append(("Uses left", str(view["remaining_usages"])))
    rows.extend(view["fields"])
    style = STYLE.format(bg=escape(view["background_color"]),
                         fg=escape(view["foreground_color"]))
    html = PAGE.format(
        name=escape(view["name"]),
        status=escape(view["status"].replace("_", " ")),
        style=style,
        qr=qr_svg(view["code"]),
        code=escape(view["code"]),
        rows="".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows),
    )
    return web.Response(text=html, content_type="text/html",
                        headers={"Cache-Control": "no-store", CSP: page_csp(styles=[style])})

"""``GET /q/{slug}``: the public side of a dynamic QR code. Redirects to the current
destination and records the scan; no API key, since the scanner is any phone."""

from urllib.parse import quote

from aiohttp import web

from resolvers.qr import record_visit

from .client_ip import client_ip
from .keys import STATE

NO_STORE = {"Cache-Control": "no-store"}
# Every printable ASCII character stays as it is: only non-ASCII (an IRI pasted from a
# browser) is percent-encoded, as a header must be ASCII; browsers decode it back.
_ASCII = "".join(chr(c) for c in range(0x21, 0x7F))


async def qr_redirect(request: web.Request) -> web.Response:
    """302, never 301 and never cached: the destination may change after printing and every
    scan must reach us to be counted."""
    state = request.app[STATE]
    destination = await record_visit(
        state.db,
        request.match_info["slug"],
        user_agent=request.headers.get("User-Agent"),
        referrer=request.headers.get("Referer"),
        client_ip=client_ip(request),
        server_secret=state.secret_key,
    )
    if destination is None:
        return web.Response(status=404, text="No such QR code, or it is paused.",
                            content_type="text/plain", headers=NO_STORE)
    location = quote(destination, safe=_ASCII)
    return web.Response(status=302, headers={"Location": location, **NO_STORE})

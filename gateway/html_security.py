"""Security headers for every HTML page passgate serves (the holder page, the REST docs,
GraphiQL, and pages added later), set in one middleware so a new page gets them for free.

Every HTML response gets ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``,
``Referrer-Policy: no-referrer`` (holder links carry their token in the URL) and, unless
the handler chose its own, a ``Content-Security-Policy`` that allows nothing but same-origin
images: no script, no style, no framing. A page with inline ``<script>``/``<style>`` blocks
names them by hash with ``page_csp`` (hash the template's own blocks, never text built from
user data). Every other response gets ``nosniff`` only.
"""

import base64
import hashlib
import re
from collections.abc import Iterable

from aiohttp import web

from rest_compat import docs

CSP = "Content-Security-Policy"
BASE = ("default-src 'none'", "base-uri 'none'", "form-action 'none'",
        "frame-ancestors 'none'")
DEFAULT_CSP = "; ".join((*BASE, "img-src 'self' data:"))
HTML_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                "Referrer-Policy": "no-referrer"}
_INLINE = {tag: re.compile(rf"<{tag}(?![^>]*\bsrc=)[^>]*>(.*?)</{tag}>", re.S | re.I)
           for tag in ("script", "style")}


def source_hash(text: str) -> str:
    """The CSP source expression allowing exactly this inline block."""
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return f"'sha256-{digest}'"


def inline_blocks(html: str, tag: str) -> list[str]:
    """Contents of the inline ``<script>`` or ``<style>`` blocks of a page template."""
    return _INLINE[tag].findall(html)


def page_csp(*, scripts: Iterable[str] = (), styles: Iterable[str] = (),
             script_src: Iterable[str] = (), style_src: Iterable[str] = (),
             connect_src: Iterable[str] = (), font_src: Iterable[str] = (),
             img_src: Iterable[str] = ("'self'", "data:")) -> str:
    """A policy that adds to the strict base only what a page needs: its inline blocks (by
    hash) and the sources it names."""
    directives = list(BASE)
    for name, sources in (
        ("script-src", [*map(source_hash, scripts), *script_src]),
        ("style-src", [*map(source_hash, styles), *style_src]),
        ("connect-src", list(connect_src)),
        ("font-src", list(font_src)),
        ("img-src", list(img_src)),
    ):
        if sources:
            directives.append(f"{name} {' '.join(sources)}")
    return "; ".join(directives)


def _fixed_page_policy(html: str, **sources: Iterable[str]) -> str:
    return page_csp(scripts=inline_blocks(html, "script"), styles=inline_blocks(html, "style"),
                    **sources)


FIXED_PAGES = {
    docs.DOCS_PATH: _fixed_page_policy(docs.PAGE.decode(), connect_src=("'self'",)),
}
"""Pages whose HTML never changes, with the policy their inline blocks need."""


def secure(request: web.Request, response: web.StreamResponse) -> None:
    """The headers every answer gets (``gateway.middleware.envelope`` calls it once per
    request): the page's policy and framing rules for HTML, ``nosniff`` for everything."""
    if response.prepared:  # a websocket or a stream: its headers are gone
        return
    headers = response.headers
    if response.content_type == "text/html":
        for name, value in HTML_HEADERS.items():
            headers.setdefault(name, value)
        headers.setdefault(CSP, FIXED_PAGES.get(request.path, DEFAULT_CSP))
    elif "X-Content-Type-Options" not in headers:
        headers["X-Content-Type-Options"] = "nosniff"

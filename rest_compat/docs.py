"""``/api/v1/openapi.json`` and ``/api/v1/docs``: the generated document and a page that reads
it, served by passgate itself so it works without internet access."""

from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import orjson
from aiohttp import web

from .engine import Dialect
from .openapi import document

OPENAPI_PATH = "/api/v1/openapi.json"
DOCS_PATH = "/api/v1/docs"
PUBLIC_PATHS = (OPENAPI_PATH, DOCS_PATH)
PAGE = (Path(__file__).parent / "static" / "docs.html").read_bytes()


def _version() -> str:
    try:
        return version("passgate")
    except PackageNotFoundError:
        return "0"


def add_routes(app: web.Application, dialects: list[Dialect]) -> None:
    cache: dict[str, bytes] = {}

    by_name = {d.name: d for d in dialects}

    async def openapi_json(request: web.Request) -> web.Response:
        """Every dialect, or with ``?dialect=NAME`` only what a key of that dialect meets
        (no shapes of other dialects on shared paths)."""
        server = f"{request.scheme}://{request.host}"
        name = request.query.get("dialect")
        if name is not None and name not in by_name:
            body = orjson.dumps({"error": "NOT_FOUND", "message": f"no dialect {name!r}; "
                                 f"known: {', '.join(by_name)}"})
            return web.Response(body=body, status=404, content_type="application/json")
        chosen = dialects if name is None else [by_name[name]]
        body = cache.get(f"{server} {name}")
        if body is None:
            body = cache[f"{server} {name}"] = orjson.dumps(
                document(chosen, version=_version(), server_url=server))
        return web.Response(body=body, content_type="application/json")

    async def docs_page(request: web.Request) -> web.Response:
        return web.Response(body=PAGE, content_type="text/html")

    app.router.add_get(OPENAPI_PATH, openapi_json)
    app.router.add_get(DOCS_PATH, docs_page)

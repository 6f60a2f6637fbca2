"""The floor for wallet downloads: a bare aiohttp handler answering fixed bytes.

Usage: static_server.py FILE CONTENT_TYPE PORT
"""

import sys

from aiohttp import web


def main() -> None:
    body, content_type, port = open(sys.argv[1], "rb").read(), sys.argv[2], int(sys.argv[3])

    async def handle(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type=content_type)

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()

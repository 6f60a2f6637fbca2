"""The Strawberry aiohttp view, given our context, orjson, and one checked JSON decoder."""

import re
from typing import Any

import orjson
from aiohttp import web
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from strawberry import UNSET
from strawberry.aiohttp.views import GraphQLView
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type

from resolvers.plans import PLANS
from schema.client_text import BadText, json_document
from schema.context import Context

from .errors import error_response
from .html_security import CSP, inline_blocks, page_csp
from .keys import PRINCIPAL, REQUEST_ID, STATE
from .request_log import OPERATION

HTTP_CODES = {400: "BAD_USER_INPUT", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
NOT_AN_OBJECT = ("the request body must be a JSON object such as "
                 '{"query": "{ viewer { plan } }", "variables": {}}')
_HOST = re.compile(r"^[A-Za-z0-9.:\[\]-]{1,255}$")
GRAPHIQL_CDN = "https://unpkg.com"
BATCH = "batching is off: send one operation per request, as a JSON object"


def make_context(request: web.Request, response: Any = None) -> Context:
    """The one context factory: ``/graphql`` and every REST route use it."""
    return Context(
        app=request.app[STATE],
        principal_or_none=request.get(PRINCIPAL),
        request_id=request.get(REQUEST_ID, ""),
        request=request,
        response=response,
    )


def principal_of(request: web.Request) -> Any:
    return request.get(PRINCIPAL)


def _member(data: dict[str, Any], name: str, kind: type, what: str) -> Any:
    value = data.get(name)
    if value is not None and not isinstance(value, kind):
        raise HTTPException(400, f"the operation's `{name}` must be {what} or null")
    return value


class PassgateGraphQLView(GraphQLView):
    async def __call__(self, request: web.Request) -> web.StreamResponse:
        """Refusals of the HTTP request itself answer JSON with a code, like every error."""
        try:
            return await self.run(request=request)
        except HTTPException as exc:
            code = HTTP_CODES.get(exc.status_code, "BAD_REQUEST")
            return error_response(request, exc.status_code, code, exc.reason)

    async def render_graphql_ide(self, request: web.Request) -> web.Response:
        """GraphiQL loads React, GraphiQL and its explorer plugin from unpkg (pinned by
        SRI), runs one inline script and talks to this origin over HTTP and websockets.
        Styles stay ``'unsafe-inline'``: its editors may add style elements at run time."""
        host = request.host if _HOST.match(request.host) else "localhost"
        policy = page_csp(
            scripts=inline_blocks(self.graphql_ide_html, "script"),
            script_src=(GRAPHIQL_CDN,), style_src=("'self'", GRAPHIQL_CDN, "'unsafe-inline'"),
            font_src=(GRAPHIQL_CDN, "data:"),
            connect_src=("'self'", f"ws://{host}", f"wss://{host}"))
        return web.Response(text=self.graphql_ide_html, content_type="text/html",
                            headers={CSP: policy})

    def is_websocket_request(self, request: web.Request) -> bool:  # type: ignore[override]
        """Only a GET asking to upgrade can be one: Strawberry's check builds a
        WebSocketResponse and runs its handshake validation for every POST (a few percent of
        a gate scan's CPU)."""
        if request.method != "GET" or "upgrade" not in request.headers.get(
                "Connection", "").lower():
            return False
        return super().is_websocket_request(request)

    async def get_context(self, request: web.Request, response: Any) -> Context:  # type: ignore[override]
        return make_context(request, response)

    async def on_ws_connect(self, context: Context) -> Any:  # type: ignore[override]
        """graphql-transport-ws: the key is in connection_init's payload, as
        ``{"Authorization": "Bearer <key>"}`` or ``{"X-API-KEY": "<key>"}`` (or it came with
        the upgrade request's headers). Refused: close 4403 Forbidden."""
        params = context.connection_params if isinstance(context.connection_params, dict) \
            else {}
        raw = params.get("X-API-KEY") or params.get("x-api-key")
        auth = params.get("Authorization") or params.get("authorization")
        if isinstance(auth, str) and auth.lower().startswith("bearer "):
            raw = auth[7:].strip()
        if isinstance(raw, str) and raw:
            context.principal_or_none = await context.app.authenticator.authenticate(raw)
        principal = context.principal_or_none
        if principal is None or not PLANS[principal.plan].api_access:
            raise ConnectionRejectionError({"message": "a valid API key is required in "
                                            "connection_init (Authorization: Bearer <key>)"})
        return UNSET

    def encode_json(self, data: object) -> str:  # type: ignore[override]
        """Text: graphql-transport-ws clients read TEXT frames only (HTTP answers are
        written by ``create_response``)."""
        return orjson.dumps(data).decode()

    def parse_json(self, data: str | bytes) -> Any:
        """Bodies and the ``variables``/``extensions`` query parameters: invalid UTF-8,
        lone surrogates, deep nesting and NUL characters are a 400 naming the problem."""
        try:
            return json_document(data, "the request" if isinstance(data, bytes)
                                 else "a query parameter")
        except BadText as exc:
            raise HTTPException(400, exc.message) from None

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter
                              ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """A JSON POST body must be one operation as an object; anything else (``null``,
        ``42``, an array) is a 400 rather than a crash or a batch."""
        content_type, _ = parse_content_type(request.content_type or "")
        if request.method != "POST" or "application/json" not in content_type:
            return await super().parse_http_body(request)
        data = self.parse_json(await request.get_body())
        if not isinstance(data, dict):
            raise HTTPException(400, BATCH if isinstance(data, list) else NOT_AN_OBJECT)
        transport = self._get_stream_transport_from_headers(request.headers)
        name = data.get("operationName")
        raw_request = getattr(request, "request", None)
        if isinstance(name, str) and raw_request is not None:
            raw_request[OPERATION] = name  # for the request log (gateway/request_log.py)
        return GraphQLRequestData(
            query=_member(data, "query", str, "a string"),
            variables=_member(data, "variables", dict, "an object"),
            operation_name=_member(data, "operationName", str, "a string"),
            extensions=_member(data, "extensions", dict, "an object"),
            protocol=transport.protocol if transport else "http",
        )

    def create_response(self, response_data: Any, sub_response: web.Response) -> web.Response:
        sub_response.body = orjson.dumps(response_data)
        sub_response.content_type = "application/json"
        return sub_response

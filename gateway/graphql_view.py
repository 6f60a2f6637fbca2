"""The Strawberry aiohttp view, given our context and orjson."""

from typing import Any

import orjson
from aiohttp import web
from strawberry.aiohttp.views import GraphQLView

from schema.context import Context

from .keys import PRINCIPAL, REQUEST_ID, STATE


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


class PassgateGraphQLView(GraphQLView):
    async def get_context(self, request: web.Request, response: Any) -> Context:  # type: ignore[override]
        return make_context(request, response)

    def encode_json(self, data: object) -> bytes:  # type: ignore[override]
        return orjson.dumps(data)

    def create_response(self, response_data: Any, sub_response: web.Response) -> web.Response:
        sub_response.body = orjson.dumps(response_data)
        sub_response.content_type = "application/json"
        return sub_response

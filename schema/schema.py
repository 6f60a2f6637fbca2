"""Builds the Strawberry schema with the caches and limits the hot path relies on."""

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from .errors import ErrorCodes, convert_error
from .root import Mutation, Query

CACHE_SIZE = 1024


class PassgateSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Errors raised before execution (a syntax error in a cached parse, say) bypass the
        extension: give them their code here. Nothing else is logged: expected errors are
        not worth a line, unexpected ones are logged by ``convert_error``."""
        context = getattr(execution_context, "context", None)
        errors[:] = [convert_error(e, context) for e in errors]


def build_schema(
    *,
    introspection: bool = True,
    max_depth: int = 12,
    max_aliases: int = 30,
    max_tokens: int = 2000,
) -> strawberry.Schema:
    extensions: list[Any] = [
        ErrorCodes,
        lambda: ParserCache(maxsize=CACHE_SIZE),
        lambda: ValidationCache(maxsize=CACHE_SIZE),
        lambda: QueryDepthLimiter(max_depth=max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=max_aliases),
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    return PassgateSchema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(),
    )


schema = build_schema()

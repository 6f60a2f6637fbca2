"""Builds the Strawberry schema with the caches and limits the hot path relies on."""

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter

from .client_text import NoNulInStrings
from .errors import convert_error
from .pipeline import OperationPipeline
from .query_limits import QueryLimits, create_rule
from .root import Mutation, Query, Subscription


class PassgateSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Errors raised before execution (a syntax error in a cached parse, say) bypass the
        extension: give them their code here. Nothing else is logged: expected errors are
        not worth a line, unexpected ones are logged by ``convert_error``."""
        context = getattr(execution_context, "context", None)
        errors[:] = [convert_error(e, context) for e in errors]


class CachedNames(NameConverter):
    """Strawberry names every field of every input object it converts, on every request,
    through ``to_camel_case``: 1,000 items of ``createPasses`` cost ~15,000 conversions, as
    long as the resolver itself. A field's name never changes, so it is worked out once."""

    def __init__(self) -> None:
        super().__init__()
        self._names: dict[str, str] = {}

    def apply_naming_config(self, name: str) -> str:
        converted = self._names.get(name)
        if converted is None:
            converted = self._names[name] = super().apply_naming_config(name)
        return converted


def build_schema(
    *,
    introspection: bool = True,
    limits: QueryLimits | None = None,
    max_tokens: int = 2000,
) -> strawberry.Schema:
    # The limit rule is built once: ValidationCache keys on the rule classes, and a class
    # minted per request (as QueryDepthLimiter/MaxAliasesLimiter do) would miss the cache
    # every time and pay ~3 ms of validation.
    rules = (create_rule(limits or QueryLimits()), NoNulInStrings)
    extensions: list[Any] = [lambda: OperationPipeline(rules, max_tokens)]
    if not introspection:
        extensions.append(DisableIntrospection)
    return PassgateSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(name_converter=CachedNames()),
    )


schema = build_schema()

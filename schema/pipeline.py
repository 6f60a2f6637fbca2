"""One extension for what every operation needs around execution: the token cap, the parse
and validation caches, passgate's validation rules, and error codes.

Strawberry builds a context manager per hook of every extension on every request (about
25 µs each on this machine); five stock extensions (MaxTokensLimiter, ParserCache,
ValidationCache, AddValidationRules and ErrorCodes) cost more than a tenth of a gate
scan's CPU. Doing the same in one extension costs a fifth of that.
"""

from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from graphql import parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from .errors import convert_error

CACHE_SIZE = 1024
# Shared by every request (and schema): keyed on the document text and parse options, and
# on the schema, document and rule classes.
_parse: Callable[..., Any] = lru_cache(maxsize=CACHE_SIZE)(parse)
_validate: Callable[..., Any] = lru_cache(maxsize=CACHE_SIZE)(validate_document)


class OperationPipeline(SchemaExtension):
    """Pass as a factory: ``lambda: OperationPipeline(rules, max_tokens)``."""

    def __init__(self, rules: tuple[type, ...], max_tokens: int) -> None:
        super().__init__()
        self.rules = rules
        self.max_tokens = max_tokens

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.max_tokens
        context.validation_rules = (*context.validation_rules, *self.rules)
        yield
        result = context.result
        if result is not None and getattr(result, "errors", None):
            result.errors = [convert_error(e, context.context) for e in result.errors]

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.graphql_document = _parse(context.query, **context.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        context.pre_execution_errors = _validate(
            context.schema._schema, context.graphql_document, context.validation_rules)
        yield

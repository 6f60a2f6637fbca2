"""Turns exceptions into GraphQL errors with ``extensions.code``; masks the unexpected."""

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from resolvers.errors import DomainError

log = logging.getLogger("passgate.graphql")

MASKED_MESSAGE = "Internal server error"


def _request_error_code(error: GraphQLError) -> str:
    if error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if error.message.startswith("Variable "):
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"


class ErrorCodes(SchemaExtension):
    """Every error leaves with a code; an unexpected one leaves as ``Internal server error``
    and is logged with the request id so an operator can find it."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not getattr(result, "errors", None):
            return
        result.errors = [self._convert(e) for e in result.errors]

    def _convert(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, DomainError):
            extensions = {"code": original.code}
            if original.field:
                extensions["field"] = original.field
            return GraphQLError(original.message, error.nodes, error.source, error.positions,
                                error.path, None, extensions)
        if error.path is None and (original is None or isinstance(original, (ValueError,
                                                                              TypeError))):
            # Request errors: syntax, validation, variable coercion. Safe to show.
            extensions = dict(error.extensions or {})
            extensions.setdefault("code", _request_error_code(error))
            return GraphQLError(error.message, error.nodes, error.source, error.positions,
                                error.path, None, extensions)
        if error.path is not None and original is None and error.extensions:
            return error
        context = self.execution_context.context
        request_id = getattr(context, "request_id", "")
        log.error("unexpected error at %s (request %s)", error.path, request_id,
                  exc_info=original or error)
        return GraphQLError(MASKED_MESSAGE, error.nodes, error.source, error.positions,
                            error.path, None,
                            {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id})

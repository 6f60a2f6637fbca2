"""Turns exceptions into GraphQL errors with ``extensions.code``; masks the unexpected."""

import logging
from typing import Any

from graphql import GraphQLError

from resolvers.errors import DomainError

log = logging.getLogger("passgate.graphql")

MASKED_MESSAGE = "Internal server error"


def _request_error_code(error: GraphQLError) -> str:
    if error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if error.message.startswith("Variable "):
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"


def _with(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(message, error.nodes, error.source, error.positions, error.path, None,
                        extensions)


def convert_error(error: GraphQLError, context: Any) -> GraphQLError:
    """Give ``error`` a code. Domain errors keep their message; request errors (syntax,
    validation, variables) too; anything else becomes ``Internal server error`` and is
    logged with the request id. Idempotent."""
    original = error.original_error
    if isinstance(original, DomainError):
        extensions = {"code": original.code}
        if original.field:
            extensions["field"] = original.field
        if original.reason:
            extensions["reason"] = original.reason
        return _with(error, original.message, extensions)
    if original is None and (error.extensions or {}).get("code"):
        return error
    if error.path is None and (
        original is None or isinstance(original, (GraphQLError, ValueError, TypeError))
    ):
        return _with(error, error.message,
                     {**(error.extensions or {}), "code": _request_error_code(error)})
    request_id = getattr(context, "request_id", "")
    log.error("unexpected error at %s (request %s)", error.path, request_id,
              exc_info=original or error)
    return _with(error, MASKED_MESSAGE, {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id})


"""Client text checked once for every door: JSON bodies and parameters (``/graphql`` and
REST), and string literals inside GraphQL documents. What is refused, each with a message
naming the problem: invalid UTF-8, lone UTF-16 surrogates (no database can store them),
nesting deeper than 1024 levels, and NUL characters however they were spelled (a JSON
``\\u0000`` escape, or GraphQL's ``\\u{0}``), since PostgreSQL refuses NUL in text."""

from typing import Any

import orjson
from graphql import GraphQLError, StringValueNode, ValidationRule


class BadText(ValueError):
    """Each door turns this into its own 400 (GraphQL: ``BAD_USER_INPUT``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


NUL_MESSAGE = "text must not contain NUL characters (\\u0000)"


def has_nul(value: Any) -> bool:
    """Whether a decoded JSON value holds a NUL in any string or key (PostgreSQL refuses
    NUL in text, and it is never meaningful)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def json_document(raw: bytes | str, what: str = "the request body") -> Any:
    """JSON from a client, decoded once for every door: invalid UTF-8, lone UTF-16
    surrogates (which no database can store), nesting deeper than 1024 levels and NUL
    characters are refused with a message that names the problem."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        reason = str(exc)
        if "UTF-8" in reason:
            problem = "is not valid UTF-8 (JSON text must be UTF-8)"
        elif "surrogate" in reason:
            problem = ("contains a lone UTF-16 surrogate (\\ud800-\\udfff without its "
                       "pair), which is not a character")
        elif "depth limit" in reason:
            problem = "is nested more than 1024 levels deep"
        else:
            problem = f"is not valid JSON: {reason}"
        raise BadText(f"{what} {problem}") from None
    if has_nul(data):
        raise BadText(f"{what}: {NUL_MESSAGE}")
    return data


class NoNulInStrings(ValidationRule):
    """String literals are checked after the lexer decoded their escapes."""

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        if "\x00" in node.value:
            self.report_error(GraphQLError(NUL_MESSAGE, node,
                                           extensions={"code": "BAD_USER_INPUT"}))

"""One table from ``extensions.code`` to HTTP status, shared by every dialect. Each dialect
only decides the shape of its error body."""

from dataclasses import dataclass

HTTP_STATUS: dict[str, int] = {
    "BAD_USER_INPUT": 400,
    "GRAPHQL_PARSE_FAILED": 400,
    "GRAPHQL_VALIDATION_FAILED": 400,
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "PLAN_LIMIT": 403,
    "NOT_FOUND": 404,
    "CONFLICT": 409,
    "PAYLOAD_TOO_LARGE": 413,
    "RATE_LIMITED": 429,
    "NOT_IMPLEMENTED": 501,
}


def status_for(code: str) -> int:
    return HTTP_STATUS.get(code, 500)


@dataclass(slots=True)
class RestError(Exception):
    """A refusal decided before or after the operation runs (bad body, wrong tenant…)."""

    status: int
    code: str
    message: str
    field: str | None = None

    @classmethod
    def bad(cls, message: str, field: str | None = None) -> "RestError":
        return cls(400, "BAD_USER_INPUT", message, field)

    @classmethod
    def not_found(cls, message: str) -> "RestError":
        return cls(404, "NOT_FOUND", message)

"""Expected failures of the domain. Each door (GraphQL, REST) turns ``code`` into its own shape.

The codes form the one table shared by every door (DESIGN "GraphQL conventions").
"""

HTTP_STATUS = {
    "BAD_USER_INPUT": 400,
    "UNAUTHENTICATED": 401,
    "FORBIDDEN": 403,
    "PLAN_LIMIT": 403,
    "NOT_FOUND": 404,
    "CONFLICT": 409,
    "RATE_LIMITED": 429,
}


class DomainError(Exception):
    code = "BAD_USER_INPUT"
    reason: str | None = None  # a finer cause within ``code``, for doors that care

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class BadInput(DomainError):
    code = "BAD_USER_INPUT"


class NotAnId(BadInput):
    """A value given as an id that no object can have (not one of our ids at all). GraphQL
    answers BAD_USER_INPUT with ``reason: NOT_AN_ID``; REST answers 404, as for an unknown id:
    to a REST client both name no object."""

    reason = "NOT_AN_ID"


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class PlanLimit(DomainError):
    code = "PLAN_LIMIT"


class NotFound(DomainError):
    code = "NOT_FOUND"


class Conflict(DomainError):
    code = "CONFLICT"

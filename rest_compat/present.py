"""Small helpers every dialect's presenter uses."""

from typing import Any

from strawberry import relay

from schema.pagination import MAX_OFFSET, offset_cursor

from .errors import RestError


def raw_id(global_id: str | None) -> str | None:
    """``pass_…`` from the Relay global id the graph answers with."""
    if global_id is None:
        return None
    try:
        return relay.GlobalID.from_id(global_id).node_id
    except Exception:  # already raw
        return global_id


def iso(value: str | None) -> str | None:
    """The graph's isoformat with ``Z`` for UTC, as the vendors write it."""
    if value is None:
        return None
    return value[:-6] + "Z" if value.endswith("+00:00") else value


def enum_out(value: str | None) -> str | None:
    """A GraphQL enum name (``USED_UP``) in the wire's lower case (``used_up``)."""
    return value.lower() if value is not None else None


# The highest page number a page-numbered list takes: at 100 rows a page its row offset stays
# under the pagination's MAX_OFFSET (a higher page was a 400 "not a cursor" on a valid request).
MAX_PAGE = MAX_OFFSET // 100


def page_window(query: dict[str, Any], *, default_limit: int = 20,
                limit_name: str = "limit", page_name: str = "page") -> dict[str, Any]:
    """``first``/``after`` for a 1-based page of ``limit`` rows."""
    page = query.get(page_name, 1)
    limit = query.get(limit_name, default_limit)
    if not 1 <= page <= MAX_PAGE:
        raise RestError.bad(f"{page_name} must be between 1 and {MAX_PAGE}", page_name)
    if not 1 <= limit <= 100:
        raise RestError.bad(f"{limit_name} must be between 1 and 100", limit_name)
    window: dict[str, Any] = {"first": limit}
    if page > 1:
        window["after"] = offset_cursor((page - 1) * limit)
    return window


def own_id(value: str, prefix: str, message: str) -> str:
    """``value`` when it is one of our ids (``pass_…``); otherwise the object cannot exist
    here, so 404 (a vendor's own id format, say), never the graph's 400 "not an id"."""
    if not value.startswith(prefix):
        raise RestError.not_found(message)
    return value

"""PassQR's ids are UUIDs, and its clients check that before sending (a zod ``uuid()`` on
every id argument). Our ids are 128-bit too, so the native dialect writes the ids of passes,
templates, scans and customers as UUIDs and reads either form, in paths, bodies and filters.
The graph keeps its own ids; this is a presentation, nothing is stored.
"""

from collections.abc import Callable
from typing import Any

from resolvers.ids import id_as_uuid, id_from_uuid

from ..engine import Call
from ..present import raw_id

KINDS = {"pass": "pass", "template": "template", "customer": "customer", "scan": "scan"}


def out(global_or_raw: str | None) -> str | None:
    """The UUID form of an id the graph answered with (global or raw); an id that has no
    UUID form (none of ours is like that) is written as it is."""
    raw = raw_id(global_or_raw)
    if raw is None:
        return None
    return id_as_uuid(raw) or raw


def own(kind: str, value: str) -> str:
    """Our id for ``value`` in either form; anything else unchanged, for the route to answer
    (a 404, a code, a former vendor's id)."""
    return id_from_uuid(kind, value) or value


def into(kind: str) -> Callable[[Any], Any]:
    """A field converter (``F(convert=…)``) reading an id of ``kind`` in either form."""
    return lambda value: own(kind, value) if isinstance(value, str) else value


def path_id(kind: str, param: str = "id") -> Callable[[Call], dict[str, Any]]:
    """A variables mapper for routes whose only variable is the object named in the path."""
    return lambda call: {"id": own(kind, call.params[param])}

"""From Strawberry input objects to the plain dicts the resolvers take."""

import dataclasses
from enum import Enum
from typing import Any

from strawberry import UNSET

from schema.ids import raw_id


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def provided(obj: Any, *, ids: dict[str, str] | None = None, skip: tuple[str, ...] = ()) -> dict:
    """The fields the client sent (UNSET ones left out), enums as values, ids made raw."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        if f.name in skip:
            continue
        value = getattr(obj, f.name)
        if value is UNSET:
            continue
        if ids and f.name in ids and value is not None:
            value = raw_id(str(value), ids[f.name], _camel(f.name))
        out[f.name] = _plain(value)
    return out

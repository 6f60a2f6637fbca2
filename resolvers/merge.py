"""JSON merge patches (RFC 7396), applied inside the write's own transaction.

A client that changes one key of a JSON column must not read the object, change it and
write it back: two such writes at once lose one change. The patch travels instead, and the
resolver applies it to the row it holds locked (``SELECT … FOR UPDATE`` on PostgreSQL; on
SQLite the write transaction already excludes every other writer).
"""

from typing import Any

from . import checks
from .errors import BadInput


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: an object merges key by key (null removes), anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def patches(values: dict[str, Any], pairs: tuple[tuple[str, str, str], ...]
            ) -> dict[str, dict[str, Any]]:
    """The patches in ``values`` by column: ``pairs`` names (input key, column, label).
    A field cannot be both replaced and patched in one write."""
    out: dict[str, dict[str, Any]] = {}
    for key, column, label in pairs:
        if key not in values:
            continue
        whole = key.removesuffix("_patch")
        if whole in values:
            raise BadInput(f"give {_camel(whole)} (replaces it) or {label} (merges into it), "
                           "not both", field=label)
        patch = values[key]
        if patch is None:
            continue
        out[column] = checks.json_object(patch, label)
    return out


def apply(current: Any, patch: dict[str, Any], label: str) -> dict[str, Any]:
    """The stored object after ``patch``, checked as the whole object would be."""
    return checks.json_object(merge_patch(current or {}, patch), label)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)

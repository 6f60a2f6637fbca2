"""Compact JSON-schema builders for the wire objects the OpenAPI document describes."""

from typing import Any

_T = {
    "str": {"type": "string"}, "str?": {"type": ["string", "null"]},
    "int": {"type": "integer"}, "int?": {"type": ["integer", "null"]},
    "bool": {"type": "boolean"}, "bool?": {"type": ["boolean", "null"]},
    "time": {"type": "string", "format": "date-time"},
    "time?": {"type": ["string", "null"], "format": "date-time"},
    "obj": {"type": "object"}, "obj?": {"type": ["object", "null"]},
    "list": {"type": "array"}, "any": {},
}


def obj(**props: str | dict[str, Any]) -> dict[str, Any]:
    """``obj(id="str", count="int?")``: an object schema from short type names or schemas."""
    return {"type": "object",
            "properties": {k: (_T[v] if isinstance(v, str) else v) for k, v in props.items()}}


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def array(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item}

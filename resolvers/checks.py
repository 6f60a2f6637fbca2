"""Input checks shared by the domains. Each names the field it rejects."""

import re
from datetime import datetime
from typing import Any

import orjson

from .errors import BadInput
from .timeutil import to_db

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_JSON_BYTES = 16_384
MAX_CUSTOM_FIELDS = 50


def text(value: Any, field: str, max_len: int, *, required: bool = False) -> str | None:
    """Strip a string; empty becomes None unless required."""
    if value is None:
        if required:
            raise BadInput(f"{field} is required", field=field)
        return None
    if not isinstance(value, str):
        raise BadInput(f"{field} must be a string", field=field)
    value = value.strip()
    if not value:
        if required:
            raise BadInput(f"{field} must not be empty", field=field)
        return None
    if len(value) > max_len:
        raise BadInput(f"{field} is longer than {max_len} characters", field=field)
    return value


def email(value: Any, field: str) -> str | None:
    value = text(value, field, 320)
    if value is None:
        return None
    if not _EMAIL.match(value):
        raise BadInput(f"{field} is not a valid email address", field=field)
    return value.lower()


def color(value: Any, field: str) -> str | None:
    value = text(value, field, 7)
    if value is not None and not _COLOR.match(value):
        raise BadInput(f"{field} must be a colour like #1A2B3C", field=field)
    return value


def url(value: Any, field: str) -> str | None:
    value = text(value, field, 2000)
    if value is not None and not value.startswith(("https://", "http://")):
        raise BadInput(f"{field} must be an http(s) URL", field=field)
    return value


def json_object(value: Any, field: str) -> dict[str, Any]:
    """A JSON object of bounded size; None becomes {}."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadInput(f"{field} must be a JSON object", field=field)
    if len(orjson.dumps(value)) > MAX_JSON_BYTES:
        raise BadInput(f"{field} is larger than {MAX_JSON_BYTES} bytes", field=field)
    return value


def json_layout(value: Any, field: str) -> dict[str, Any] | list[Any]:
    """A JSON object or array of bounded size (a field layout: passgate's areas, or PassQR's
    list of fields); None becomes {}."""
    if isinstance(value, list):
        if len(orjson.dumps(value)) > MAX_JSON_BYTES:
            raise BadInput(f"{field} is larger than {MAX_JSON_BYTES} bytes", field=field)
        return value
    if value is not None and not isinstance(value, dict):
        raise BadInput(f"{field} must be a JSON object or array", field=field)
    return json_object(value, field)


def positive_int(value: Any, field: str, *, maximum: int = 1_000_000_000) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInput(f"{field} must be an integer", field=field)
    if value < 1:
        raise BadInput(f"{field} must be at least 1", field=field)
    if value > maximum:
        raise BadInput(f"{field} must be at most {maximum}", field=field)
    return value


def custom_fields(value: Any, field: str) -> list[dict[str, Any]]:
    """``[{key, value, isPublic}]`` with non-empty, unique keys."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadInput(f"{field} must be a list", field=field)
    if len(value) > MAX_CUSTOM_FIELDS:
        raise BadInput(f"{field} has more than {MAX_CUSTOM_FIELDS} entries", field=field)
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(value):
        where = f"{field}[{i}]"
        if not isinstance(item, dict):
            raise BadInput(f"{where} must be an object with key and value", field=where)
        key = text(item.get("key"), f"{where}.key", 64, required=True)
        assert key is not None
        if key in seen:
            raise BadInput(f"{where}.key {key!r} appears twice", field=f"{where}.key")
        seen.add(key)
        val = item.get("value")
        if val is None:
            val = ""
        if not isinstance(val, str):
            raise BadInput(f"{where}.value must be a string", field=f"{where}.value")
        if len(val) > 1000:
            raise BadInput(f"{where}.value is longer than 1000 characters",
                           field=f"{where}.value")
        is_public = item.get("is_public", item.get("isPublic", False))
        if not isinstance(is_public, bool):
            raise BadInput(f"{where}.isPublic must be a boolean", field=f"{where}.isPublic")
        out.append({"key": key, "value": val, "isPublic": is_public})
    return out


def choice(value: Any, field: str, options: tuple[str, ...]) -> str:
    if value not in options:
        raise BadInput(f"{field} must be one of {', '.join(options)}", field=field)
    return value


def moment(value: datetime | None, field: str) -> datetime | None:
    """Aware UTC (a naive value is taken to be UTC). An offset that moves the instant out
    of years 1-9999 (``9999-12-31T23:59:59-23:59``) is refused, not an overflow."""
    try:
        return to_db(value)
    except OverflowError:
        raise BadInput(f"{field} is out of range: in UTC it falls outside the years "
                       "0001-9999", field=field) from None

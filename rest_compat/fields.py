"""Request fields as data: each names its wire spelling, the graph's name for it and its type.

One declaration serves three purposes: reading a body or query string (with errors that name
the field as the client spelled it), mapping it to GraphQL variables, and the OpenAPI
document. Unknown body fields are refused, so a typo never silently does nothing.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from schema.client_text import BadText, json_document

from .errors import RestError

# What a text field the graph strips and requires holds: something besides white space.
NOT_BLANK = r"\S"
# A pass code a client chooses: the characters a barcode and a URL path carry as they are
# (resolvers.ids.check_code), white space around it ignored.
CODE_PATTERN = r"^\s*[A-Za-z0-9._~-]+\s*$"
# An absolute http(s) URL with a host (what a redirect or a webhook needs).
URL_PATTERN = r"^\s*[hH][tT][tT][pP][sS]?://[A-Za-z0-9.-]+(:[0-9]{1,5})?([/?#][!-~]*)?\s*$"
# A template colour: ``#RRGGBB`` (resolvers.checks.color), white space around it ignored;
# blank means none.
COLOUR = r"^\s*(#[0-9a-fA-F]{6})?\s*$"
# A barcode image's colour: ``RRGGBB``, with or without ``#``.
HEX_COLOUR = r"^#?[0-9a-fA-F]{6}$"

KINDS = ("str", "int", "float", "bool", "datetime", "json", "object", "array", "enum")
_OPENAPI_TYPES = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "datetime": {"type": "string", "format": "date-time"},
    "json": {},
    "object": {"type": "object"},
    "array": {"type": "array"},
    "enum": {"type": "string"},
}


@dataclass(frozen=True, slots=True)
class F:
    """One field. ``to`` is the graph's name (None: the wire name); ``values`` maps wire enum
    spellings to the graph's; ``convert`` runs last on the typed value."""

    wire: str
    kind: str = "str"
    to: str | None = None
    required: bool = False
    description: str = ""
    values: Mapping[str, Any] | None = None
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    items: dict[str, Any] | None = None
    convert: Callable[[Any], Any] | None = None
    nullable: bool = True
    # Documented only: rules the graph enforces itself (a name not blank, a code's alphabet),
    # so schemathesis and clients see them. ``min_items``/``max_items`` bound an array.
    pattern: str | None = None
    min_items: int | None = None
    max_items: int | None = None

    @property
    def target(self) -> str:
        return self.to or self.wire

    def openapi(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(_OPENAPI_TYPES[self.kind])
        if self.values is not None:
            out["enum"] = list(self.values)
        if self.items is not None:
            out["items"] = self.items
        if self.max_length is not None:
            out["maxLength"] = self.max_length
        if self.pattern is not None:
            out["pattern"] = self.pattern
        if self.min_items is not None:
            out["minItems"] = self.min_items
        if self.max_items is not None:
            out["maxItems"] = self.max_items
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.description:
            out["description"] = self.description
        if self.nullable and not self.required and "type" in out:
            out["type"] = [out["type"], "null"]
        return out


def parse_datetime(value: str, name: str) -> str:
    """ISO 8601 (``Z`` or an offset; a bare date means midnight UTC) → an aware isoformat."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise RestError.bad(f"{name} must be an ISO 8601 date-time, e.g. "
                            f"2025-12-31T23:59:59Z", name) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed.astimezone(UTC)
    except OverflowError:
        raise RestError.bad(f"{name} is out of range: in UTC it falls outside the years "
                            "0001-9999", name) from None
    return parsed.isoformat()


def _typed(f: F, value: Any, *, from_query: bool) -> Any:
    name, kind = f.wire, f.kind
    if value is None:
        if f.required or not f.nullable:
            raise RestError.bad(f"{name} must not be null", name)
        return None
    if from_query and kind in ("int", "float", "bool", "json", "object", "array"):
        value = _from_query_string(f, value)
    if kind in ("str", "enum"):
        if not isinstance(value, str):
            raise RestError.bad(f"{name} must be a string", name)
        if f.max_length is not None and len(value) > f.max_length:
            raise RestError.bad(f"{name} must be at most {f.max_length} characters", name)
        if f.values is not None:
            if value not in f.values:
                raise RestError.bad(
                    f"{name} must be one of: {', '.join(map(str, f.values))}", name)
            value = f.values[value]
    elif kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise RestError.bad(f"{name} must be an integer", name)
        if f.minimum is not None and value < f.minimum:
            raise RestError.bad(f"{name} must be at least {f.minimum}", name)
        if f.maximum is not None and value > f.maximum:
            raise RestError.bad(f"{name} must be at most {f.maximum}", name)
    elif kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RestError.bad(f"{name} must be a number", name)
    elif kind == "bool":
        if not isinstance(value, bool):
            raise RestError.bad(f"{name} must be true or false", name)
    elif kind == "datetime":
        if not isinstance(value, str):
            raise RestError.bad(f"{name} must be an ISO 8601 date-time string", name)
        value = parse_datetime(value, name)
    elif kind == "object":
        if not isinstance(value, dict):
            raise RestError.bad(f"{name} must be a JSON object", name)
    elif kind == "array":
        if not isinstance(value, list):
            raise RestError.bad(f"{name} must be a JSON array", name)
    return f.convert(value) if f.convert is not None else value


def _from_query_string(f: F, raw: str) -> Any:
    if f.kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise RestError.bad(f"{f.wire} must be an integer", f.wire) from None
    if f.kind == "float":
        try:
            return float(raw)
        except ValueError:
            raise RestError.bad(f"{f.wire} must be a number", f.wire) from None
    if f.kind == "bool":
        if raw.lower() in ("true", "1", "yes"):
            return True
        if raw.lower() in ("false", "0", "no"):
            return False
        raise RestError.bad(f"{f.wire} must be true or false", f.wire)
    try:
        return json_document(raw, f.wire)
    except BadText as exc:
        raise RestError.bad(f"{f.wire} must be JSON: {exc.message}", f.wire) from None


_PLAIN = (str, int, float, bool)
MAX_QUERIES = 512  # query strings remembered per Spec


@dataclass(frozen=True, slots=True)
class Spec:
    """The fields of a body or query string. ``strict``: unknown fields are a 400."""

    fields: tuple[F, ...] = ()
    strict: bool = True
    description: str = ""
    # An update: at least one field must be sent ("nothing to change" otherwise).
    at_least_one: bool = False
    _by_wire: dict[str, F] = field(default_factory=dict, compare=False, repr=False)
    # Query strings read before (raw text -> their values), for ``read_query``.
    _queries: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False,
                                                repr=False)

    def __post_init__(self) -> None:
        self._by_wire.update({f.wire: f for f in self.fields})

    def wire_name(self, target: str) -> str | None:
        for f in self.fields:
            if f.target == target:
                return f.wire
        return None

    def read(self, data: Mapping[str, Any], *, where: str, from_query: bool = False
             ) -> dict[str, Any]:
        """Typed values under their graph names; absent fields are left out."""
        if self.strict:
            unknown = [k for k in data if k not in self._by_wire]
            if unknown:
                known = ", ".join(f.wire for f in self.fields) or "none"
                raise RestError.bad(
                    f"unknown field{'s' if len(unknown) > 1 else ''} in {where}: "
                    f"{', '.join(sorted(unknown))} (accepted: {known})", unknown[0])
        out: dict[str, Any] = {}
        for f in self.fields:
            if f.wire not in data:
                if f.required:
                    raise RestError.bad(f"{f.wire} is required", f.wire)
                continue
            if f.target in out:
                other = self.wire_name(f.target)
                raise RestError.bad(f"give either {other} or {f.wire}, not both", f.wire)
            out[f.target] = _typed(f, data[f.wire], from_query=from_query)
        return out

    def read_query(self, raw: str, query: Mapping[str, Any]) -> dict[str, Any]:
        """``read`` of a query string, remembered by its raw text: a client repeating a URL
        (a barcode image, a list page) gets the values read for it before, as a new dict.
        Only answers of plain values (texts, numbers, booleans) are kept, so no caller
        shares anything mutable; a refusal is read again each time."""
        known = self._queries.get(raw)
        if known is not None:
            return known.copy()
        values = self.read(query, where="the query string", from_query=True)
        if all(v is None or type(v) in _PLAIN for v in values.values()):
            if len(self._queries) >= MAX_QUERIES:
                self._queries.clear()
            self._queries[raw] = values.copy()
        return values

    def openapi_object(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {f.wire: f.openapi() for f in self.fields},
        }
        required = [f.wire for f in self.fields if f.required]
        if required:
            schema["required"] = required
        if self.strict:
            schema["additionalProperties"] = False
        if self.at_least_one:
            schema["minProperties"] = 1
        rules: list[dict[str, Any]] = []
        # Two spellings of one graph field (expires_at, valid_until): one of them, not both.
        spellings: dict[str, list[str]] = {}
        for f in self.fields:
            spellings.setdefault(f.target, []).append(f.wire)
        rules += [{"not": {"required": [a, b]}} for names in spellings.values()
                  for i, a in enumerate(names) for b in names[i + 1:]]
        if rules:
            schema["allOf"] = rules
        if self.description:
            schema["description"] = self.description
        return schema

    def openapi_parameters(self) -> list[dict[str, Any]]:
        return [{"name": f.wire, "in": "query", "required": f.required,
                 "schema": {k: v for k, v in f.openapi().items() if k != "description"},
                 **({"description": f.description} if f.description else {})}
                for f in self.fields]


def spec(*fields: F, strict: bool = True, description: str = "",
         at_least_one: bool = False) -> Spec:
    return Spec(tuple(fields), strict, description, at_least_one)


def pick(values: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The subset of ``values`` under ``names`` that is present."""
    return {n: values[n] for n in names if n in values}

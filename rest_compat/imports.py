"""Reading a vendor's export: each record through its dialect's field specs, into the graph's
``CreatePassInput`` (what ``createPasses`` takes), with what an import keeps beyond a create:
the code, the vendor's id, the use count and the state.

Files are JSON (an array, or an object holding one under ``data``/``keys``/``passes``/
``items``, as the vendors' list answers do), NDJSON (one object a line: read as it streams),
or CSV (``--from csv``: the columns of ``passgate export --format csv``, which are the native
pass object's; JSON columns hold JSON text, an empty cell is an absent field).
"""

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

import orjson

from .accessgrid import present as agp
from .accessgrid.routes import ISSUE as AG_ISSUE
from .errors import RestError
from .fields import F, Spec, spec
from .native.routes import CREATE_PASS as NATIVE_CREATE
from .passengine.routes import CREATE as PE_CREATE
from .walletcrew import present as wcp

FORMATS = ("native", "passengine", "accessgrid", "walletcrew", "csv")
ENVELOPES = ("data", "keys", "passes", "items")
STATES = {"active": "ACTIVE", "suspended": "SUSPENDED", "unlinked": "UNLINKED",
          "deleted": "DELETED"}


@dataclass(slots=True)
class Record:
    """One record of the file: where it was (1-based), and what it said."""

    number: int
    data: Any


class BadFile(Exception):
    """The file as a whole cannot be read (not JSON, not CSV)."""


# --- reading the file -------------------------------------------------------------------


def read_records(stream: IO[bytes], fmt: str) -> Iterator[Record]:
    if fmt == "csv":
        yield from _csv_records(stream)
        return
    first = stream.readline()
    while first and not first.strip():
        first = stream.readline()
    if not first:
        return
    if first.lstrip().startswith(b"{"):
        try:
            head = orjson.loads(first)
        except orjson.JSONDecodeError:
            head = None
        if isinstance(head, dict) and not any(isinstance(head.get(k), list)
                                              for k in ENVELOPES):
            yield from _ndjson(head, stream)
            return
    try:
        document = orjson.loads(first + stream.read())
    except orjson.JSONDecodeError as exc:
        raise BadFile(f"not JSON, NDJSON or CSV: {exc}") from None
    if isinstance(document, dict):
        found = next((document[k] for k in ENVELOPES if isinstance(document.get(k), list)),
                     None)
        document = found if found is not None else [document]
    if not isinstance(document, list):
        raise BadFile("the JSON file must hold an array of records")
    for number, item in enumerate(document, 1):
        yield Record(number, item)


def _ndjson(head: dict[str, Any], stream: IO[bytes]) -> Iterator[Record]:
    yield Record(1, head)
    for number, line in enumerate(stream, 2):
        if not line.strip():
            continue
        try:
            yield Record(number, orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            yield Record(number, RestError.bad(f"line {number} is not JSON: {exc}"))


def _csv_records(stream: IO[bytes]) -> Iterator[Record]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        for number, row in enumerate(csv.DictReader(text), 2):  # line 1 is the header
            yield Record(number, {k: v for k, v in row.items() if k and v not in ("", None)})
    except (csv.Error, UnicodeDecodeError) as exc:
        raise BadFile(f"not CSV: {exc}") from None
    finally:
        text.detach()


# --- one record into CreatePassInput ----------------------------------------------------

IMPORT_STATE = F("state", "enum", values={k: v for k, v in STATES.items()},
                 description="life-cycle state")


def _extend(base: Spec, *extra: F, drop: tuple[str, ...] = ()) -> Spec:
    """A create route's spec, lenient (an export holds fields a create does not take, such as
    ``created_at``: they are ignored), with the fields an import keeps besides."""
    return spec(*(f for f in base.fields if f.wire not in drop), *extra, strict=False)


NATIVE = _extend(NATIVE_CREATE, F("uses_count", "int", to="usagesCount", minimum=0),
                 IMPORT_STATE)
ENGINE_STATUS = {"active": "ACTIVE", "used": "ACTIVE", "expired": "ACTIVE",
                 "revoked": "DELETED", "suspended": "SUSPENDED"}
PASSENGINE = _extend(PE_CREATE, F("usagesCount", "int", minimum=0),
                     F("status", "enum", to="state", values=ENGINE_STATUS),
                     F("client", "object"), drop=("templateId",))
AG_STATE = {"active": "ACTIVE", "suspended": "SUSPENDED", "unlink": "UNLINKED",
            "unlinked": "UNLINKED", "deleted": "DELETED", "expired": "ACTIVE"}
ACCESSGRID = _extend(AG_ISSUE, F("state", "enum", values=AG_STATE),
                     drop=("card_template_id", "full_name"))
ACCESSGRID_NAME = F("full_name", to="holderName", max_length=200)
WALLETCREW = spec(
    F("id", to="externalId", max_length=50),
    F("secret", to="code", max_length=64),
    F("passType", max_length=200),
    F("identifiers", "object"),
    F("metadata", "object"),
    F("additionalData", "object", to="attributes"),
    F("status", "enum", to="state", values={"active": "ACTIVE", "suspended": "SUSPENDED",
                                            "unlinked": "UNLINKED", "deleted": "DELETED",
                                            "voided": "DELETED", "expired": "ACTIVE",
                                            "used_up": "ACTIVE", "not_yet_valid": "ACTIVE"}),
    strict=False,
)


PASSQR_STATES = {"revoked": "deleted", "suspended": "suspended", "unlinked": "unlinked"}


def _native(data: dict[str, Any], from_text: bool) -> dict[str, Any]:
    data = dict(data)
    if "data" in data and "metadata" in data:
        data.pop("data")  # the export writes both names of one object
    # A PassQR pass object: its own id is the vendor id, its status the only state it has.
    own = isinstance(data.get("id"), str) and data["id"].startswith("pass_")
    if "external_id" not in data and isinstance(data.get("id"), str) and not own:
        data["external_id"] = data["id"]
    if "state" not in data and data.get("status") in PASSQR_STATES:
        data["state"] = PASSQR_STATES[data["status"]]
    values = NATIVE.read(data, where="the record", from_query=from_text)
    return values


def _passengine(data: dict[str, Any], from_text: bool) -> dict[str, Any]:
    values = PASSENGINE.read(data, where="the record")
    client = values.pop("client", None) or {}
    for wire, target in (("name", "holderName"), ("email", "holderEmail")):
        if isinstance(client.get(wire), str) and client[wire]:
            values[target] = client[wire]
    if values.get("type") == "SINGLE":
        values.pop("maxUsages", None)
    return values


def _accessgrid(data: dict[str, Any], from_text: bool) -> dict[str, Any]:
    data = {k: v for k, v in data.items() if v is not None}
    values = ACCESSGRID.read(data, where="the record")
    if "full_name" in data:
        values.update(spec(ACCESSGRID_NAME, strict=False).read(data, where="the record"))
    attributes = {k[len("attributes."):]: v for k, v in values.items()
                  if k.startswith("attributes.")}
    out = {k: v for k, v in values.items() if not k.startswith("attributes.")}
    out["type"] = "MULTI"  # a key card opens a door again and again
    if attributes:
        out["attributes"] = {k: v for k, v in attributes.items() if k in agp.ATTRIBUTES}
    return out


def _walletcrew(data: dict[str, Any], from_text: bool) -> dict[str, Any]:
    values = WALLETCREW.read(data, where="the record")
    metadata = dict(values.pop("metadata", None) or {})
    identifiers = values.pop("identifiers", None)
    if identifiers:
        metadata[wcp.IDENTIFIERS] = identifiers
    if metadata:
        values["metadata"] = metadata
    return values


READERS: dict[str, Callable[[dict[str, Any], bool], dict[str, Any]]] = {
    "native": _native, "csv": _native, "passengine": _passengine,
    "accessgrid": _accessgrid, "walletcrew": _walletcrew,
}


def to_input(fmt: str, record: Record) -> dict[str, Any]:
    """The record as ``CreatePassInput`` (graph names), or RestError naming the field."""
    if isinstance(record.data, RestError):
        raise record.data
    if not isinstance(record.data, dict):
        raise RestError.bad("a record must be a JSON object")
    return READERS[fmt](record.data, fmt == "csv")


def identity(values: dict[str, Any]) -> tuple[str | None, str | None]:
    """What makes a record the same pass on a re-run: its code and its vendor id."""
    code = values.get("code")
    return (code.strip().upper() if isinstance(code, str) else None, values.get("externalId"))

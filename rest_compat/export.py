"""A tenant's passes as the native dialect's pass objects, NDJSON or CSV, one page at a time.

``GET /api/v1/passes/export`` and ``passgate export`` both walk ``NativeExportPasses`` with
keyset cursors (no OFFSET, no count), so memory stays one page whatever the number of
passes; ``passgate import --from native`` (or ``--from csv``) reads exactly these objects.
"""

import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson

OPERATION = "NativeExportPasses"
PAGE_SIZE = 100
FORMATS = {"ndjson": "application/x-ndjson", "csv": "text/csv"}
# The CSV columns: the native pass object's keys, nested values as JSON text.
COLUMNS = (
    "id", "code", "external_id", "type", "name", "note", "template_id", "customer_id",
    "holder_name", "holder_email", "holder_phone", "status", "state", "uses_count",
    "max_uses", "remaining_uses", "valid_from", "expires_at", "data", "metadata",
    "attributes", "custom_fields", "public_url", "created_at", "updated_at",
    "last_scanned_at",
)

Run = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


def _csv_line(values: list[Any]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue().encode()


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return "" if value is None else value


async def export_lines(run: Run, fmt: str, flt: dict[str, Any] | None
                       ) -> AsyncIterator[bytes]:
    """The export as chunks of whole lines: a header first for CSV, then a chunk a page."""
    # Imported here: the native routes read FORMATS while the native package loads, so a
    # module-level import of it would be circular when this module is imported first (CLI).
    from .native import present as P

    # The CSV header goes out with the first page, never before it: a filter the graph refuses
    # is then a clean 400 rather than an answer cut off after its header (a broken chunked body).
    header = _csv_line(list(COLUMNS)) if fmt == "csv" else b""
    after: str | None = None
    while True:
        conn = (await run(OPERATION, {"filter": flt or None, "first": PAGE_SIZE,
                                      "after": after}))["passes"]
        objects = [P.pass_(node) for node in conn["nodes"]]
        if fmt == "csv":
            chunk = header + b"".join(_csv_line([_cell(o.get(c)) for c in COLUMNS])
                                      for o in objects)
        else:
            chunk = b"".join(orjson.dumps(o) + b"\n" for o in objects)
        header = b""
        if chunk:
            yield chunk
        if not conn["pageInfo"]["hasNextPage"]:
            return
        after = conn["pageInfo"]["endCursor"]

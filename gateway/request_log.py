"""Request logs (The Wallet Crew's Insights ``Logs``): every request made with a tenant's key,
recorded without making it wait.

The middleware appends one small tuple per request to an in-process list; a background task
stores the list every ``interval`` seconds in one multi-row insert per ``batch`` rows
(``resolvers/request_logs.py``), and once more on the way out. The list is bounded: past
``max_pending`` rows (a database that stays down) new rows are dropped and counted, so memory
never grows without bound. A request's own answer never depends on its log row: at worst a
crashed process loses its last second of logs. Rows name the key by id, never the key; the
path is stored without its query string.
"""

import asyncio
import base64
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from resolvers import ids, request_logs
from resolvers.db import Database
from resolvers.sqlite_rows import to_sqlite
from rest_compat.engine import Endpoint, endpoint_of

from .keys import PRINCIPAL, REQUEST_ID, REQUEST_LOGGER

log = logging.getLogger("passgate.request_log")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# The GraphQL operation of a /graphql request, set by the view once it has read the body.
OPERATION = web.RequestKey("operation", str)
MAX_PATH = 500
MAX_OPERATION = 100
# What a request leaves in memory: (principal, request id, method, path, the GraphQL
# operation's name or the REST endpoint that answered, status, seconds taken, time.time_ns()).
# The stored row (ids, texts cut to their columns, the route's operation, the timestamp) is
# made from it at flush, off the request path.
Pending = tuple[Any, str, str, str, "str | Endpoint | None", int, float, int]


class RequestLogger:
    def __init__(self, db: Database, *, interval: float = 1.0, batch: int = 1000,
                 max_pending: int = 50_000) -> None:
        self.db = db
        self.interval = interval
        self.batch = batch
        self.max_pending = max_pending
        self.dropped = 0
        self._pending: list[Pending] = []

    def record(self, row: Pending) -> None:
        if len(self._pending) >= self.max_pending:
            self.dropped += 1
            return
        self._pending.append(row)

    async def flush(self) -> None:
        """Store what is pending, ``batch`` rows a statement; on a database error keep the
        rows for the next flush (within ``max_pending``)."""
        while self._pending:
            rows, self._pending = self._pending[:self.batch], self._pending[self.batch:]
            try:
                await request_logs.store_params(self.db, _params(rows, self.db.is_sqlite))
            except Exception:
                log.exception("could not store %d request log rows; keeping them", len(rows))
                self._pending = (rows + self._pending)[:self.max_pending]
                return

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.flush()


def _params(rows: list[Pending], sqlite: bool) -> list[tuple[Any, ...]]:
    """Rows in ``request_logs.COLUMNS`` order, as the driver takes them; ids here, in the
    order the requests were answered. Per row only slices and lookups: the ids of the batch
    are drawn and encoded at once, and its timestamps share the text of their second."""
    out = []
    second, prefix, base = -1, "", datetime.min
    for id_, (principal, request_id, method, path, operation, status, seconds, at_ns) in zip(
            _new_ids(len(rows)), rows, strict=True):
        if isinstance(operation, Endpoint):
            operation = operation.operation_for(principal.dialect)
        now, ns = divmod(at_ns, 1_000_000_000)
        if now != second:
            second, base = now, datetime.fromtimestamp(now, UTC)
            prefix = to_sqlite(base)[:19]  # YYYY-MM-DD HH:MM:SS, as SQLAlchemy writes it
        out.append((id_, principal.tenant_id, principal.key_id, request_id, method[:10],
                    path[:MAX_PATH], operation, status, round(seconds * 1000.0, 3),
                    f"{prefix}.{ns // 1000:06d}" if sqlite else base.replace(
                        microsecond=ns // 1000)))
    return out


# RFC 4648's base32 alphabet to the ids' (resolvers/ids.py: Crockford's, lowercase).
_TO_IDS = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
                          b"0123456789abcdefghjkmnpqrstvwxyz")
_RANDOM_BITS = 80
_latest = (-1, 0)  # the latest log id's millisecond and random part


def _base32(raw: bytes) -> str:
    return base64.b32encode(raw).translate(_TO_IDS).decode()


def _time_text(ms: int) -> str:
    """The id's 10 characters of time: the millisecond's 50 bits, as ``ids.new_id``."""
    return _base32((ms << 30).to_bytes(10, "big"))[:10]


def _new_ids(count: int) -> list[str]:
    """``count`` of ``ids.new_id("request_log")``, by its rules (a 48-bit millisecond and 80
    random bits; within a millisecond each id takes the previous random part plus ``1 + 32
    random bits``, so ids sort in the order they were made), at a fraction of the cost: one
    read of ``os.urandom`` and one base32 encoding for the whole batch."""
    global _latest
    if not count:
        return []
    steps = memoryview(os.urandom(4 * count)).cast("I")
    ms = time.time_ns() // 1_000_000
    last_ms, random = _latest
    if ms > last_ms:
        random = secrets.randbits(_RANDOM_BITS)
    else:
        ms, random = last_ms, random + 1 + steps[0]
    text = _time_text(ms)
    texts, raw = [text], bytearray(random.to_bytes(10, "big"))
    for step in steps[1:]:
        random += 1 + step
        if random >> _RANDOM_BITS:  # overflowed: borrow the next millisecond
            ms, random = ms + 1, secrets.randbits(_RANDOM_BITS)
            text = _time_text(ms)
        texts.append(text)
        raw += random.to_bytes(10, "big")
    _latest = (ms, random)
    encoded = _base32(bytes(raw))
    prefix = ids.PREFIXES["request_log"] + "_"
    return [prefix + t + encoded[i * 16:i * 16 + 16] for i, t in enumerate(texts)]


def record_request(request: web.Request, status: int, seconds: float) -> None:
    """A request made with a key, recorded once it is answered (its final status, after the
    middlewares turned errors into answers); called by the metrics middleware, which times
    every request. It only appends a tuple: everything else waits for the flush."""
    principal = request.get(PRINCIPAL)
    if principal is None:
        return
    logger = request.app.get(REQUEST_LOGGER)
    if logger is None:
        return
    if len(logger._pending) >= logger.max_pending:
        logger.dropped += 1
        return
    path = request.path
    logger._pending.append((
        principal, request.get(REQUEST_ID, ""), request.method, path,
        _graphql_operation(request) if path == "/graphql" else endpoint_of(request),
        status, seconds, time.time_ns()))


def _graphql_operation(request: web.Request) -> str | None:
    """The named operation of a /graphql request."""
    name = request.get(OPERATION) or request.query.get("operationName")
    return name[:MAX_OPERATION] if name else None

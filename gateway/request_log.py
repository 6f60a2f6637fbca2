"""Request logs (The Wallet Crew's Insights ``Logs``): every request made with a tenant's key,
recorded without making it wait.

The middleware appends one small dict per request to an in-process list; a background task
stores the list every ``interval`` seconds in one multi-row insert per ``batch`` rows
(``resolvers/request_logs.py``), and once more on the way out. The list is bounded: past
``max_pending`` rows (a database that stays down) new rows are dropped and counted, so memory
never grows without bound. A request's own answer never depends on its log row: at worst a
crashed process loses its last second of logs. Rows name the key by id, never the key; the
path is stored without its query string.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from resolvers import ids, request_logs
from resolvers.db import Database
from rest_compat.engine import endpoint_of

from .keys import PRINCIPAL, REQUEST_ID, REQUEST_LOGGER

log = logging.getLogger("passgate.request_log")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# The GraphQL operation of a /graphql request, set by the view once it has read the body.
OPERATION = web.RequestKey("operation", str)
MAX_PATH = 500
MAX_OPERATION = 100


class RequestLogger:
    def __init__(self, db: Database, *, interval: float = 1.0, batch: int = 1000,
                 max_pending: int = 50_000) -> None:
        self.db = db
        self.interval = interval
        self.batch = batch
        self.max_pending = max_pending
        self.dropped = 0
        self._pending: list[dict[str, Any]] = []

    def record(self, row: dict[str, Any]) -> None:
        if len(self._pending) >= self.max_pending:
            self.dropped += 1
            return
        self._pending.append(row)

    async def flush(self) -> None:
        """Store what is pending, ``batch`` rows a statement; on a database error keep the
        rows for the next flush (within ``max_pending``)."""
        while self._pending:
            rows, self._pending = self._pending[:self.batch], self._pending[self.batch:]
            for row in rows:  # ids here, off the request path, in the order answered
                if "id" not in row:
                    row["id"] = ids.new_id("request_log")
            try:
                await request_logs.store(self.db, rows)
            except Exception:
                log.exception("could not store %d request log rows; keeping them", len(rows))
                self._pending = (rows + self._pending)[:self.max_pending]
                return

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.flush()


def record_request(request: web.Request, status: int, seconds: float) -> None:
    """A request made with a key, recorded once it is answered (its final status, after the
    middlewares turned errors into answers); called by the metrics middleware, which times
    every request."""
    principal = request.get(PRINCIPAL)
    logger = request.app.get(REQUEST_LOGGER)
    if principal is not None and logger is not None:
        logger.record(_row(request, principal, status, seconds * 1000.0))

def _operation(request: web.Request) -> str | None:
    """The GraphQL operation a request ran: the named operation of a /graphql request, the
    operation behind a REST route."""
    if request.path == "/graphql":
        name = request.get(OPERATION) or request.query.get("operationName")
        return name[:MAX_OPERATION] if name else None
    endpoint = endpoint_of(request)
    return endpoint.pick(request)[1].operation if endpoint is not None else None


def _row(request: web.Request, principal: Any, status: int, ms: float) -> dict[str, Any]:
    return {
        "tenant_id": principal.tenant_id,
        "key_id": principal.key_id,
        "request_id": request.get(REQUEST_ID, ""),
        "method": request.method[:10],
        "path": request.path[:MAX_PATH],
        "operation": _operation(request),
        "status": status,
        "duration_ms": round(ms, 3),
        "at": datetime.now(UTC),
    }

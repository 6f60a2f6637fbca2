"""Live events for GraphQL subscriptions: from the outbox to the subscribers of every process.

The delivery worker hands each batch of dispatched events to ``LiveHub.publish``. With Redis
configured, the batch goes out on one pub/sub channel and every process's hub (its listener
task) fans it out to its own subscribers, so an event produced through one process reaches a
subscriber connected to another. Without Redis (one process), the hub fans out directly.

Each subscriber has a bounded queue: one that cannot keep up is cut off (``overflowed``), and
its subscription closes the socket with a reason, instead of letting memory grow.
"""

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

log = logging.getLogger("passgate.live")

QUEUE_SIZE = 256


@dataclass(slots=True)
class LiveEvent:
    id: str
    tenant_id: str
    type: str
    ordering_key: str
    data: dict[str, Any]
    occurred_at: datetime

    def dumps(self) -> dict[str, Any]:
        return {"id": self.id, "tenant_id": self.tenant_id, "type": self.type,
                "ordering_key": self.ordering_key, "data": self.data,
                "occurred_at": self.occurred_at.isoformat()}

    @classmethod
    def loads(cls, d: dict[str, Any]) -> "LiveEvent":
        at = datetime.fromisoformat(d["occurred_at"])
        return cls(d["id"], d["tenant_id"], d["type"], d["ordering_key"], d["data"],
                   at if at.tzinfo else at.replace(tzinfo=UTC))

    @classmethod
    def from_row(cls, row: Any) -> "LiveEvent":
        at = row.occurred_at if row.occurred_at.tzinfo else row.occurred_at.replace(tzinfo=UTC)
        return cls(row.id, row.tenant_id, row.type, row.ordering_key, row.data, at)


@dataclass(eq=False)
class Subscriber:
    wants: Callable[[LiveEvent], bool]
    # One place more than the bound: room for the ``None`` that says "cut off".
    queue: asyncio.Queue[LiveEvent | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_SIZE + 1))
    overflowed: bool = False


class LiveHub:
    def __init__(self, redis: Any = None, channel: str = "passgate:events") -> None:
        self.redis = redis
        self.channel = channel
        self._subscribers: dict[str, set[Subscriber]] = defaultdict(set)
        self._listener: asyncio.Task[None] | None = None
        self.connected = asyncio.Event()

    @property
    def count(self) -> int:
        return sum(len(s) for s in self._subscribers.values())

    # ------------------------------------------------------------ producing

    async def publish(self, rows: list[Any]) -> None:
        """Dispatched outbox rows: to Redis when configured, else to local subscribers."""
        live = [LiveEvent.from_row(r) for r in rows]
        if self.redis is None:
            self.deliver(live)
            return
        await self.redis.publish(self.channel, orjson.dumps([e.dumps() for e in live]))

    def deliver(self, live: list[LiveEvent]) -> None:
        for event in live:
            for sub in list(self._subscribers.get(event.tenant_id, ())):
                if sub.overflowed or not sub.wants(event):
                    continue
                if sub.queue.qsize() >= QUEUE_SIZE:
                    sub.overflowed = True
                    sub.queue.put_nowait(None)
                else:
                    sub.queue.put_nowait(event)

    # ------------------------------------------------------------ consuming

    @contextlib.asynccontextmanager
    async def subscribe(self, tenant_id: str, wants: Callable[[LiveEvent], bool]
                        ) -> AsyncIterator[Subscriber]:
        sub = Subscriber(wants)
        self._subscribers[tenant_id].add(sub)
        try:
            yield sub
        finally:
            self._subscribers[tenant_id].discard(sub)
            if not self._subscribers[tenant_id]:
                del self._subscribers[tenant_id]

    # ------------------------------------------------------------ Redis listener

    def start(self) -> None:
        if self.redis is not None and self._listener is None:
            self._listener = asyncio.create_task(self._listen())

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None

    async def _listen(self) -> None:
        """Follow the channel; after Redis goes away, reconnect with backoff (0.1 s to 5 s)."""
        backoff = 0.1
        while True:
            pubsub = self.redis.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                self.connected.set()
                backoff = 0.1
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    try:
                        batch = [LiveEvent.loads(d) for d in orjson.loads(message["data"])]
                    except (ValueError, KeyError, TypeError):
                        log.warning("ignored a malformed live event message")
                        continue
                    self.deliver(batch)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # redis.ConnectionError and friends
                self.connected.clear()
                log.warning("live events: Redis unavailable (%s); retrying in %.1f s", exc,
                            backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

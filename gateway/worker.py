"""The delivery worker: outbox → live subscribers and webhook receivers.

It runs inside every ``passgate serve`` process (``PASSGATE_WEBHOOK_WORKER``, on by default)
and alone as ``passgate worker``. Each turn it fans new events out (``deliveries.dispatch``),
hands them to live subscribers, and leases due deliveries (``deliveries.claim``) up to its
in-flight budget; each delivery is one task, so a slow or dead receiver holds only its own
tasks. Per webhook at most ``per_webhook`` requests are in flight in a process: a webhook at
its limit is left out of the next claims, so other endpoints and tenants keep moving, and what
one claim takes for a webhook beyond its limit waits in the worker, started as its requests
finish (never in the HTTP client's connection pool, where its timeout would run out unsent),
each within its lease.
Every ``sweep_seconds`` it also sweeps: passes whose validity ended get their pass.expired
event (``resolvers/expiry.py``; once, however many workers sweep), events and finished
deliveries older than ``retention`` are pruned (``resolvers/retention.py``), as are request
logs older than ``request_log_retention`` (``resolvers/request_logs.py``) and the nonces of
Google Wallet callbacks whose messages expired.
"""

import asyncio
import contextlib
import logging
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

from redis.asyncio import Redis

from resolvers import deliveries, expiry, request_logs, retention, secretbox
from resolvers.db import Database
from resolvers.live import LiveHub
from resolvers.wallet import google_callbacks
from resolvers.webhooks import SECRET_PURPOSE
from rest_compat.events import WIRES

from .background import poll_forever, running

log = logging.getLogger("passgate.worker")
DISPATCH_BATCH = 500  # events fanned out per turn
CLAIM_BATCH = 16  # deliveries claimed per turn

Publish = Callable[[list[Any]], Awaitable[None]]


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        outbound: Any,
        server_secret: bytes,
        policy: deliveries.Policy,
        *,
        timeout: float = 10.0,
        per_webhook: int = 4,
        max_in_flight: int = 64,
        poll_seconds: float = 0.2,
        sweep_seconds: float = 30.0,
        retention: timedelta | None = None,
        request_log_retention: timedelta | None = None,
        publish: Publish | None = None,
        metrics: Any = None,
    ) -> None:
        self.db = db
        self.outbound = outbound
        self.server_secret = server_secret
        self.policy = policy
        self.timeout = timeout
        self.per_webhook = per_webhook
        self.max_in_flight = max_in_flight
        self.poll_seconds = poll_seconds
        self.sweep_seconds = sweep_seconds
        self.retention = retention  # None: keep events and deliveries forever
        self.request_log_retention = request_log_retention  # None: keep request logs forever
        self._next_sweep = 0.0  # monotonic time; the first turn sweeps
        self.publish = publish
        self.metrics = metrics  # gateway.metrics.Metrics
        self.in_flight: Counter[str] = Counter()  # requests started, per webhook
        self.waiting: dict[str, deque[deliveries.Claimed]] = {}  # claimed, not yet started
        self.tasks: set[asyncio.Task[None]] = set()
        self._stopping = False
        self.outcomes: Counter[str] = Counter()
        self._secrets: dict[str, str | None] = {}
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look at the outbox now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        await poll_forever(self.turn, self._wake, lambda: self.poll_seconds, log,
                           "delivery worker")

    async def turn(self) -> bool:
        """One round of fan-out and claims; True when a batch was full (go again at once).

        A turn that found less than a batch waits for the next poll or wake-up: under a
        steady stream of scans, back-to-back turns would each take the write lock for a
        handful of events, and the gate would pay for it (fan-out in batches of a poll
        interval costs a fraction of that)."""
        if time.monotonic() >= self._next_sweep:
            await self.sweep()
        dispatched = await deliveries.dispatch(self.db, DISPATCH_BATCH)
        if dispatched and self.metrics is not None:
            self.metrics.observe_events(dispatched)
        if dispatched and self.publish is not None:
            try:
                await self.publish(dispatched)
            except Exception:
                log.exception("publishing events to live subscribers failed")
        room = self.max_in_flight - len(self.tasks) - sum(map(len, self.waiting.values()))
        batch = min(room, self._claim_size())
        claimed: list[deliveries.Claimed] = []
        if room > 0:
            # Webhooks at their limit, or with claimed deliveries still waiting, sit out.
            full = {w for w, n in self.in_flight.items() if n >= self.per_webhook}
            full.update(self.waiting)
            claimed = await deliveries.claim(self.db, self.policy, batch, full)
        for item in claimed:
            if self.in_flight[item.webhook.id] < self.per_webhook:
                self._start(item)
            else:
                self.waiting.setdefault(item.webhook.id, deque()).append(item)
        return (time.monotonic() >= self._next_sweep or len(dispatched) >= DISPATCH_BATCH
                or len(claimed) >= batch > 0)

    def _claim_size(self) -> int:
        """CLAIM_BATCH, but never more than one webhook can send before the lease ends: in
        turns of ``per_webhook`` requests, each taking up to the timeout."""
        turns = max(int(self.policy.lease_seconds // max(self.timeout, 0.001)) - 1, 1)
        return max(min(CLAIM_BATCH, self.per_webhook * turns), 1)

    def _start(self, item: deliveries.Claimed) -> None:
        self.in_flight[item.webhook.id] += 1
        task = asyncio.create_task(self._deliver(item))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def sweep(self, batch: int = 500) -> int:
        """Announce passes whose validity ended, and prune what retention lets go; the count
        of rows written or deleted. A full batch leaves the next sweep due at once."""
        now = self.policy.clock()
        announced = await expiry.announce_expired(self.db, now, batch)
        full = announced >= batch
        pruned = 0
        if self.retention is not None:
            result = await retention.prune(self.db, now - self.retention, batch)
            pruned, full = result.deliveries + result.events, full or result.full(batch)
        if self.request_log_retention is not None:
            logs = await request_logs.prune(self.db, now - self.request_log_retention, batch)
            pruned, full = pruned + logs, full or logs >= batch
        await google_callbacks.prune_nonces(self.db, now)  # of messages that have expired
        if not full:
            self._next_sweep = time.monotonic() + self.sweep_seconds
        return announced + pruned

    def _secret(self, hook: Any) -> str | None:
        if hook.id not in self._secrets:
            self._secrets[hook.id] = secretbox.unseal(self.server_secret, SECRET_PURPOSE,
                                                      hook.secret_ciphertext)
        return self._secrets[hook.id]

    async def _deliver(self, item: deliveries.Claimed) -> None:
        hook = item.webhook
        try:
            secret = self._secret(hook)
            if secret is None:
                reply: Any = _Failed("the webhook's secret was sealed under another "
                                     "server secret; create the webhook again")
            else:
                wire = WIRES.get(hook.dialect, WIRES["native"])
                headers, body = wire(item.event, hook, secret, self.policy.clock())
                reply = await self.outbound.request("POST", hook.url, headers=headers,
                                                    body=body, timeout=self.timeout)
            outcome = await deliveries.record(self.db, self.policy, item, reply)
            self.outcomes[outcome] += 1
            if self.metrics is not None:
                self.metrics.deliveries.labels(outcome).inc()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("delivery %s failed unexpectedly; its lease will expire",
                          item.delivery.id)
        finally:
            self.in_flight[hook.id] -= 1
            if self.in_flight[hook.id] <= 0:
                del self.in_flight[hook.id]
            waiting = self.waiting.get(hook.id)
            if waiting and not self._stopping:
                self._start(waiting.popleft())
            if not waiting:
                self.waiting.pop(hook.id, None)
            self.wake()

    async def stop(self, grace: float = 5.0) -> None:
        """Let requests in flight finish for ``grace`` seconds; the rest are cancelled and
        their leases expire, so another worker sends them again (as do those still waiting
        to start)."""
        self._stopping = True
        self.waiting.clear()
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=grace)
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)


class _Failed:
    """An outcome without a request (the attempt is logged like any other)."""

    def __init__(self, error: str) -> None:
        self.status = None
        self.error = error
        self.elapsed_ms = 0.0
        self.body = b""
        self.headers: dict[str, str] = {}
        self.ok = False


def make_worker(settings: Any, db: Database, outbound: Any,
                publish: Publish | None = None, metrics: Any = None) -> DeliveryWorker:
    policy = deliveries.Policy(
        scale=settings.webhook_retry_scale,
        lease_seconds=settings.webhook_lease_seconds,
        disable_after=timedelta(hours=settings.webhook_disable_after_hours),
    )
    return DeliveryWorker(db, outbound, settings.secret, policy,
                          timeout=settings.webhook_timeout,
                          per_webhook=settings.webhook_per_endpoint,
                          poll_seconds=settings.webhook_poll_seconds,
                          sweep_seconds=settings.sweep_seconds,
                          retention=_days(settings.event_retention_days),
                          request_log_retention=_days(settings.request_log_retention_days),
                          publish=publish,
                          metrics=metrics)


def _days(days: float) -> timedelta | None:
    """A keeping time; 0 keeps forever."""
    return timedelta(days=days) if days > 0 else None


async def delivery_worker(app: Any) -> AsyncIterator[None]:
    """cleanup_ctx: the live-events hub of a ``serve`` process, and its delivery worker
    (unless PASSGATE_WEBHOOK_WORKER=false: then ``passgate worker`` processes deliver, and
    with Redis their events still reach this process's subscribers)."""
    from .keys import METRICS, REDIS, SETTINGS, STATE, WORKER

    settings, state = app[SETTINGS], app[STATE]
    hub = state.live = LiveHub(app.get(REDIS), channel=settings.redis_prefix + "events")
    hub.start()
    if not settings.webhook_worker:
        try:
            yield
        finally:
            await hub.stop()
        return
    worker = app[WORKER] = make_worker(settings, state.db, state.outbound, publish=hub.publish,
                                       metrics=app.get(METRICS))
    try:
        async with running(worker.run()):
            yield
    finally:
        await worker.stop()
        await hub.stop()


async def run_standalone(settings: Any) -> None:
    """``passgate worker``: deliveries without serving HTTP, until SIGTERM or SIGINT."""
    import signal

    from resolvers.outbound import Outbound

    from .migrate import check_migrated
    from .wallet_defaults import instance_defaults
    from .wallet_push import make_wallet_worker

    db = Database(settings.database_url, pool_size=settings.db_pool_size)
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    hub = LiveHub(redis, channel=settings.redis_prefix + "events")  # publishes only
    outbound = Outbound(allow_private=settings.webhook_allow_private,
                        timeout=settings.webhook_timeout)
    try:
        await check_migrated(db.engine, settings.database_url)
        worker = make_worker(settings, db, outbound,
                             publish=hub.publish if redis is not None else None)
        wallet = make_wallet_worker(settings, db, outbound, settings.secret,
                                    instance_defaults(settings, settings.secret))
        task = asyncio.create_task(_together(worker.run(), wallet.run()))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await worker.stop()
        await wallet.client.close()
    finally:
        await outbound.close()
        await db.dispose()
        if redis is not None:
            await redis.aclose()


async def _together(*loops: Any) -> None:
    """Run loops until cancelled (the delivery worker and the wallet pushes)."""
    await asyncio.gather(*loops)

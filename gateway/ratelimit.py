"""Fixed-window rate limits, exact across processes through Redis Lua calls.

Each request hits several buckets at once (per key and per client IP, for its endpoint
class). The script checks every bucket first and counts the request in all of them only when
each has room, so a refused request spends nothing and N processes together admit exactly
the limit. Requests that arrive while a call is in flight go together in the next call (one
round trip for the batch, decided one after another inside Redis, so exactness holds): under
load a process pays one Redis call per batch, not per request. Without Redis (or while it is
unreachable) the same algorithm runs in process.
"""

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("passgate.ratelimit")

WINDOW = 60

# KEYS: every request's bucket keys in order. ARGV: ttl, then per request: cost, number of
# buckets, one limit per bucket. Returns per request {1, count after it in each bucket} when
# admitted, or {0, i, count} when its i-th bucket has no room (then it counts nowhere).
_BATCH_SCRIPT = """
local ttl = tonumber(ARGV[1])
local a, k = 2, 1
local out = {}
while a <= #ARGV do
  local cost, n = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  local refused = nil
  for i = 0, n - 1 do
    local used = tonumber(redis.call('GET', KEYS[k + i]) or '0')
    if used + cost > tonumber(ARGV[a + 2 + i]) then
      refused = {0, i + 1, used}
      break
    end
  end
  if refused then
    out[#out + 1] = refused
  else
    local r = {1}
    for i = 0, n - 1 do
      local used = redis.call('INCRBY', KEYS[k + i], cost)
      if used == cost then
        redis.call('EXPIRE', KEYS[k + i], ttl)
      end
      r[i + 2] = used
    end
    out[#out + 1] = r
  end
  a = a + 2 + n
  k = k + n
end
return out
"""
MAX_BATCH = 256


@dataclass(frozen=True, slots=True)
class Bucket:
    key: str
    limit: int


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset: int
    retry_after: int

    def headers(self) -> dict[str, str]:
        out = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }
        if not self.allowed:
            out["Retry-After"] = str(self.retry_after)
        return out


def _decide(buckets: list[Bucket], used: list[int] | None, refused: int | None,
            now: float, window: int) -> Decision:
    reset = (int(now) // window + 1) * window
    retry = max(1, math.ceil(reset - now))
    if refused is not None:
        b = buckets[refused]
        return Decision(False, b.limit, 0, reset, retry)
    assert used is not None
    # The tightest bucket is the one the client should watch.
    i = min(range(len(buckets)), key=lambda j: buckets[j].limit - used[j])
    return Decision(True, buckets[i].limit, max(0, buckets[i].limit - used[i]), reset, retry)


class Limiter(Protocol):
    async def hit(self, buckets: list[Bucket], cost: int = 1) -> Decision: ...


class MemoryLimiter:
    """The same fixed windows in one process (one event loop: no awaits, so no races)."""

    def __init__(self, window: int = WINDOW) -> None:
        self.window = window
        self._counts: dict[str, int] = {}
        self._current = -1

    async def hit(self, buckets: list[Bucket], cost: int = 1) -> Decision:
        now = time.time()
        current = int(now) // self.window
        if current != self._current:
            self._counts.clear()
            self._current = current
        for i, b in enumerate(buckets):
            if self._counts.get(b.key, 0) + cost > b.limit:
                return _decide(buckets, None, i, now, self.window)
        used = []
        for b in buckets:
            self._counts[b.key] = self._counts.get(b.key, 0) + cost
            used.append(self._counts[b.key])
        return _decide(buckets, used, None, now, self.window)


class RedisLimiter:
    """Buckets in Redis; falls back to in-process counting while Redis is unreachable."""

    def __init__(self, redis: Redis, prefix: str = "passgate:rl:", window: int = WINDOW) -> None:
        self.redis = redis
        self.prefix = prefix
        self.window = window
        self.script = redis.register_script(_BATCH_SCRIPT)
        self.fallback = MemoryLimiter(window)
        self.failures = 0
        self.calls = 0  # Redis calls made, for the benchmark and tests
        self._pending: list[tuple[list[Bucket], int, asyncio.Future[Decision]]] = []
        self._running: asyncio.Task[None] | None = None

    async def hit(self, buckets: list[Bucket], cost: int = 1) -> Decision:
        future: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
        self._pending.append((buckets, cost, future))
        if self._running is None:
            self._running = asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        """Send what is pending, one call at a time, until nothing is left."""
        try:
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                await self._send(batch)
        finally:
            self._running = None

    async def _send(self, batch: list[tuple[list[Bucket], int, asyncio.Future[Decision]]]
                    ) -> None:
        now = time.time()
        current = int(now) // self.window
        keys: list[str] = []
        args: list[int] = [self.window + 5]
        for buckets, cost, _ in batch:
            keys.extend(f"{self.prefix}{b.key}:{current}" for b in buckets)
            args.extend((cost, len(buckets), *(b.limit for b in buckets)))
        try:
            self.calls += 1
            results = await self.script(keys=keys, args=args)
        except (RedisError, OSError) as exc:
            self.failures += 1
            log.warning("rate limiter: Redis unreachable (%s); counting in process",
                        type(exc).__name__)
            for buckets, cost, future in batch:
                if not future.done():
                    future.set_result(await self.fallback.hit(buckets, cost))
            return
        except BaseException as exc:  # cancelled: nobody may wait forever
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            raise
        for (buckets, _, future), result in zip(batch, results, strict=True):
            if future.done():  # the request went away meanwhile
                continue
            if int(result[0]) == 0:
                future.set_result(_decide(buckets, None, int(result[1]) - 1, now, self.window))
            else:
                future.set_result(_decide(buckets, [int(v) for v in result[1:]], None, now,
                                          self.window))

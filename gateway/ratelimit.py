"""Fixed-window rate limits, exact across processes through one Redis Lua call per request.

Each request hits several buckets at once (per key and per client IP, for its endpoint
class). The script checks every bucket first and counts the request in all of them only when
each has room, so a refused request spends nothing and N processes together admit exactly
the limit. Without Redis (or while it is unreachable) the same algorithm runs in process.
"""

import logging
import math
import time
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("passgate.ratelimit")

WINDOW = 60

# KEYS: bucket keys. ARGV: cost, ttl, then one limit per key.
# Returns {1, used_1, ...} when admitted (counts after this request), {0, i, used_i} when the
# i-th bucket has no room.
_SCRIPT = """
local cost = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local used = tonumber(redis.call('GET', key) or '0')
  if used + cost > tonumber(ARGV[2 + i]) then
    return {0, i, used}
  end
end
local out = {1}
for i, key in ipairs(KEYS) do
  local used = redis.call('INCRBY', key, cost)
  if used == cost then
    redis.call('EXPIRE', key, tonumber(ARGV[2]))
  end
  out[i + 1] = used
end
return out
"""


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
        self.script = redis.register_script(_SCRIPT)
        self.fallback = MemoryLimiter(window)
        self.failures = 0

    async def hit(self, buckets: list[Bucket], cost: int = 1) -> Decision:
        now = time.time()
        current = int(now) // self.window
        keys = [f"{self.prefix}{b.key}:{current}" for b in buckets]
        args = [cost, self.window + 5, *(b.limit for b in buckets)]
        try:
            result = await self.script(keys=keys, args=args)
        except (RedisError, OSError) as exc:
            self.failures += 1
            log.warning("rate limiter: Redis unreachable (%s); counting in process",
                        type(exc).__name__)
            return await self.fallback.hit(buckets, cost)
        if int(result[0]) == 0:
            return _decide(buckets, None, int(result[1]) - 1, now, self.window)
        return _decide(buckets, [int(v) for v in result[1:]], None, now, self.window)

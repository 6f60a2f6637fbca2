"""Monthly quotas: API calls and validations counted in process, added to the database
every second, checked against the plan on every request.

Counting in batches keeps the database out of the hot path. With several processes a quota
may be overshot by at most about a second of traffic: each process sees the stored totals
(at most a second old) plus its own uncounted requests.
"""

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

from resolvers.auth import Principal
from resolvers.db import Database
from resolvers.plans import PLANS, Plan
from resolvers.usage import add_usage, get_usage, month_end, month_of

log = logging.getLogger("passgate.usage")
LATER: Any = object()  # UsageMeter.admit_now: the stored totals must be read first


class UsageMeter:
    def __init__(self, db: Database, interval: float = 1.0) -> None:
        self.db = db
        self.interval = interval
        self._pending: dict[tuple[str, str], tuple[int, int]] = {}
        self._stored: dict[tuple[str, str], tuple[float, int, int]] = {}
        self._month = ("", 0.0)  # the current month and when it ends (epoch seconds)

    def _current_month(self) -> str:
        """``month_of(now)``, formatted once a month instead of on every request."""
        month, ends = self._month
        now = time.time()
        if now >= ends:
            month = month_of(datetime.fromtimestamp(now, UTC))
            self._month = (month, month_end(month).timestamp())
        return month

    def admit_now(self, principal: Principal, validations: int) -> Any:
        """``admit`` without a coroutine: a plan without monthly quotas, or stored totals
        read within the interval, need no database. ``LATER``: ask ``admit``."""
        plan = PLANS[principal.plan]
        month = self._current_month()
        key = (principal.tenant_id, month)
        calls, used = self._pending.get(key, (0, 0))
        if plan.monthly_api_calls is not None or plan.monthly_validations is not None:
            hit = self._stored.get(key)
            if hit is None or hit[0] < time.monotonic():
                return LATER
            refused = self._refusal(plan, month, hit[1] + calls, hit[2] + used, validations)
            if refused is not None:
                return refused
        self._pending[key] = (calls + 1, used + validations)
        return None

    async def admit(self, principal: Principal, validations: int) -> str | None:
        """Count one API call (with ``validations`` uses); or say which quota refuses it."""
        plan = PLANS[principal.plan]
        month = self._current_month()
        key = (principal.tenant_id, month)
        calls, used = self._pending.get(key, (0, 0))
        if plan.monthly_api_calls is not None or plan.monthly_validations is not None:
            stored_calls, stored_used = await self._stored_totals(key)
            calls, used = self._pending.get(key, (0, 0))  # others may have counted meanwhile
            refused = self._refusal(plan, month, stored_calls + calls, stored_used + used,
                                    validations)
            if refused is not None:
                return refused
        self._pending[key] = (calls + 1, used + validations)
        return None

    @staticmethod
    def _refusal(plan: Plan, month: str, calls: int, used: int, validations: int
                 ) -> str | None:
        """Which quota refuses one more call (with ``validations`` uses), given the month's
        ``calls`` and ``used`` validations so far."""
        resets = month_end(month).isoformat()
        limit = plan.monthly_api_calls
        if limit is not None and calls + 1 > limit:
            return (f"monthly API calls quota of the {plan.name} plan reached "
                    f"({limit}); it resets at {resets}")
        limit = plan.monthly_validations
        if validations and limit is not None and used + validations > limit:
            return (f"monthly validations quota of the {plan.name} plan reached "
                    f"({limit}); it resets at {resets}")
        return None

    async def _stored_totals(self, key: tuple[str, str]) -> tuple[int, int]:
        now = time.monotonic()
        hit = self._stored.get(key)
        if hit is None or hit[0] < now:
            usage = await get_usage(self.db, *key)
            hit = (now + self.interval, usage["api_calls"], usage["validations"])
            self._stored[key] = hit
        return hit[1], hit[2]

    async def flush(self) -> None:
        batch, self._pending = self._pending, {}
        if not batch:
            return
        try:
            await add_usage(self.db, batch)
        except Exception:
            log.exception("could not store usage counters; keeping them for the next flush")
            for key, (c, v) in batch.items():
                pc, pv = self._pending.get(key, (0, 0))
                self._pending[key] = (pc + c, pv + v)
            return
        for key in batch:
            self._stored.pop(key, None)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.flush()

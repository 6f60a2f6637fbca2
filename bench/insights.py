"""GraphQL ``insights`` at scale: a tenant with N scan events (default 1,000,000) spread over
30 days on PostgreSQL, dispatched from the outbox (which keeps the hourly ``scan_stats``),
then the time a 30-day daily series takes (the resolver's queries).

Run: ``python bench/insights.py --postgres ADMIN_URL [--scans 1000000]``.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from resolvers.db import Database  # noqa: E402
from resolvers.deliveries import dispatch  # noqa: E402
from resolvers.insights import insights  # noqa: E402
from tests.servers import run_cli, temporary_database  # noqa: E402

# N scan events of 1,000 passes over 30 days, as the outbox holds them before dispatch.
FILL = """
INSERT INTO events (id, tenant_id, type, ordering_key, data, occurred_at)
SELECT 'evt_b' || i, :t, 'pass.scanned', 'pass_b' || (1 + i % 1000),
       jsonb_build_object(
         'scan', jsonb_build_object(
           'id', 'scn_b' || i, 'pass_id', 'pass_b' || (1 + i % 1000),
           'result', CASE WHEN i % 10 = 0 THEN 'rejected' ELSE 'accepted' END,
           'reason', CASE WHEN i % 10 = 0 THEN 'used_up' END, 'device_id', 'gate-' || (i % 7),
           'scanned_at', now() - (i % 2592000) * interval '1 second'),
         'pass', jsonb_build_object('id', 'pass_b' || (1 + i % 1000), 'template_id', NULL)),
       now() - (i % 2592000) * interval '1 second'
FROM generate_series(1, :n) i;
"""


async def run(url: str, tenant: str, n: int) -> list[float]:
    db = Database(url)
    try:
        raw = await (await db.engine.connect()).get_raw_connection()
        conn = raw.driver_connection
        for statement in FILL.replace(":t", "$1::varchar").replace(":n", "$2::int").split(";"):
            if statement.strip():
                args = [a for a, k in ((tenant, "$1"), (n, "$2")) if k in statement]
                await conn.execute(statement, *args)
        started = time.perf_counter()
        while await dispatch(db, limit=5000):
            pass
        print(f"dispatched {n:,} events in {time.perf_counter() - started:.1f} s "
              f"(fan-out and scan counts)")
        times = []
        for _ in range(5):
            started = time.perf_counter()
            result = await insights(db, tenant, granularity="day")
            times.append(time.perf_counter() - started)
        assert result.accepted + result.rejected > 0.9 * n, (result.accepted, result.rejected)
        return times
    finally:
        await db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--postgres", metavar="ADMIN_URL", required=True)
    ap.add_argument("--scans", type=int, default=1_000_000)
    args = ap.parse_args()
    with temporary_database(args.postgres) as url:
        run_cli(url, "migrate")
        tenant = json.loads(run_cli(url, "tenants", "create", f"bench-{os.getpid()}",
                                    "--plan", "enterprise", "--json").stdout)["id"]
        times = asyncio.run(run(url, tenant, args.scans))
    print(f"\ninsights, 30 days daily, {args.scans:,} scans: median "
          f"{statistics.median(times) * 1000:.0f} ms (min {min(times) * 1000:.0f}, "
          f"max {max(times) * 1000:.0f})")


if __name__ == "__main__":
    main()

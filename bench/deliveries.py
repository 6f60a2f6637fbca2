"""Webhook deliveries per second to a local receiver: one ``passgate serve`` process (its
worker delivering), N events made at once by bulk pass creation, timed until the receiver
has accepted every one. Each pass is its own ordering key, so deliveries run in parallel up
to the per-endpoint limit.

Run: ``python bench/deliveries.py [--postgres ADMIN_URL] [--events 2000] [--per-endpoint 4]``.
"""

import argparse
import asyncio
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.receiver import receiving  # noqa: E402
from tests.servers import bench_tenant, serve  # noqa: E402

BULK = "mutation($i: CreatePassesInput!) { createPasses(input: $i) { count } }"


async def load(base: str, key: str, url: str, events: int) -> float:
    headers = {"Authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession(headers=headers) as s:
        doc = ("mutation($u: String!) { createWebhook(input: {url: $u, events: "
               "[\"pass.created\"]}) { webhook { id } } }")
        async with s.post(f"{base}/graphql", json={"query": doc,
                                                   "variables": {"u": url}}) as r:
            assert "errors" not in await r.json()
        started = time.perf_counter()
        left = events
        while left:
            n = min(left, 1000)
            async with s.post(f"{base}/graphql", json={
                    "query": BULK, "variables": {"i": {"passes": [{}] * n}}}) as r:
                body = await r.json()
                assert "errors" not in body, body
            left -= n
        return started


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--postgres", metavar="ADMIN_URL")
    ap.add_argument("--events", type=int, default=2000)
    ap.add_argument("--per-endpoint", type=int, default=4)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        url, key, _ = bench_tenant(stack, tmp, args.postgres)
        receiver = stack.enter_context(receiving())
        (base,) = stack.enter_context(serve(
            url, PASSGATE_RATE_LIMITS="false", PASSGATE_WEBHOOK_ALLOW_PRIVATE="true",
            PASSGATE_WEBHOOK_PER_ENDPOINT=str(args.per_endpoint)))
        started = asyncio.run(load(base, key, receiver.url, args.events))
        receiver.wait_for(lambda r: len(r.accepted()) >= args.events, timeout=600)
        elapsed = time.perf_counter() - started
        times = sorted(r.at for r in receiver.accepted())
        sending = times[-1] - times[0]
        ids = [r.headers.get("webhook-id") for r in receiver.accepted()]
        print(f"accepted {len(ids)}, distinct {len(set(ids))}; first deliveries at "
              f"{[round(t - times[0], 2) for t in times[:: max(1, len(times) // 10)]]}")
    backend = url.split("+")[0].split(":")[0]
    print(f"\n{args.events} deliveries, {backend}, {args.per_endpoint} in flight per endpoint: "
          f"{elapsed:.1f} s, {args.events / elapsed:.0f} deliveries/s (creation included); "
          f"first to last delivery {sending:.1f} s, {args.events / sending:.0f}/s")


if __name__ == "__main__":
    main()

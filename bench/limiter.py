"""What the rate limiter costs per request: a cheap authenticated query with limits off, on
in process, and on through Redis, same run.

The window is set to one second so no budget runs out during the run; the limiter still
does all of its work (classify, two buckets, one Redis round trip). Run:
``python bench/limiter.py [--redis URL] [--clients 32] [--seconds 5] [--rounds 3]``.
"""

import argparse
import asyncio
import json
import os
import secrets
import statistics
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.validate import drive  # noqa: E402
from tests.servers import run_cli, serve  # noqa: E402

QUERY = {"query": "{ viewer { plan } }"}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    prefix = f"passgate-bench-{secrets.token_hex(4)}:"
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        run_cli(url, "migrate")
        tenant = json.loads(run_cli(url, "tenants", "create", f"bench-{os.getpid()}",
                                    "--plan", "enterprise", "--json").stdout)
        key = json.loads(run_cli(url, "keys", "create", "--tenant", tenant["id"],
                                 "--json").stdout)["key"]
        variants = {
            "limiter off": {"PASSGATE_RATE_LIMITS": "false"},
            "limiter in process": {"PASSGATE_RATE_LIMIT_WINDOW": "1"},
            "limiter on Redis": {"PASSGATE_RATE_LIMIT_WINDOW": "1",
                                 "PASSGATE_REDIS_URL": args.redis,
                                 "PASSGATE_REDIS_PREFIX": prefix},
        }
        bases = {name: stack.enter_context(serve(url, **env))[0]
                 for name, env in variants.items()}
        headers = {"Authorization": f"Bearer {key}"}
        results: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.rounds):
            for name, base in bases.items():
                results[name].append(asyncio.run(drive(
                    f"{base}/graphql", QUERY, headers, args.clients, args.seconds,
                    lambda d: d["data"]["viewer"]["plan"] == "enterprise")))
    print(f"\n{{ viewer {{ plan }} }} requests/s, {args.clients} clients, {args.rounds} rounds of "
          f"{args.seconds:g}s, median (min-max)")
    off = statistics.median(results["limiter off"])
    for name, values in results.items():
        median = statistics.median(values)
        print(f"  {name:<22} {median:8.0f}  ({min(values):.0f}-{max(values):.0f})"
              f"  cost {1 - median / off:+.0%}")


if __name__ == "__main__":
    main()

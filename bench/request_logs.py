"""What request logs cost the validation hot path: validatePass per second with
``PASSGATE_REQUEST_LOGS`` on and off, two ``passgate serve`` processes on one database, driven
in interleaved rounds (SQLite, one writer: one after the other).

Run: ``python bench/request_logs.py [--postgres ADMIN_URL] [--clients 32] [--seconds 5]
[--rounds 3]``. Both servers write events and run their delivery worker, as in production;
only the request log differs.
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.validate import VALIDATE, create_pass, drive  # noqa: E402
from tests.servers import bench_tenant, serve  # noqa: E402

SETTINGS = {"logs on": {}, "logs off": {"PASSGATE_REQUEST_LOGS": "false"}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--postgres", metavar="ADMIN_URL",
                    help="a fresh database beside this PostgreSQL URL's (default: SQLite)")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    results: dict[str, list[float]] = {name: [] for name in SETTINGS}
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        url, key, _ = bench_tenant(stack, tmp, args.postgres)
        headers = {"Authorization": f"Bearer {key}"}

        def run(base: str, body: dict) -> float:
            return asyncio.run(drive(f"{base}/graphql", body, headers, args.clients,
                                     args.seconds, lambda d: d["data"]["validatePass"]["valid"]))

        if url.startswith("sqlite"):
            for name, env in SETTINGS.items():
                with serve(url, PASSGATE_RATE_LIMITS="false", **env) as (base,):
                    code = asyncio.run(create_pass(base, key))
                    body = {"query": VALIDATE, "variables": {"input": {"code": code}}}
                    results[name] = [run(base, body) for _ in range(args.rounds)]
        else:
            servers = {name: stack.enter_context(serve(url, PASSGATE_RATE_LIMITS="false",
                                                       **env))[0]
                       for name, env in SETTINGS.items()}
            code = asyncio.run(create_pass(servers["logs on"], key))
            body = {"query": VALIDATE, "variables": {"input": {"code": code}}}
            for _ in range(args.rounds):
                for name, base in servers.items():
                    results[name].append(run(base, body))
    backend = url.split("+")[0].split(":")[0]
    print(f"\nvalidatePass/s, {backend}, {args.clients} clients, {args.rounds} rounds of "
          f"{args.seconds:g}s, median (min-max)")
    for name, values in results.items():
        rounds = " ".join(f"{v:.0f}" for v in values)
        print(f"  {name:<9} {statistics.median(values):8.0f}  "
              f"({min(values):.0f}-{max(values):.0f}; rounds {rounds})")
    on, off = (statistics.median(results[n]) for n in SETTINGS)
    print(f"  request logs cost: {1 - on / off:.1%} of throughput")


if __name__ == "__main__":
    main()

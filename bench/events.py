"""What domain events cost the validation hot path: validatePass per second with the outbox on
and off, two ``passgate serve`` processes on one database, driven in interleaved rounds.

Run: ``python bench/events.py [--postgres ADMIN_URL] [--clients 32] [--seconds 5] [--rounds 3]``.
The "off" server runs with ``PASSGATE_EVENTS=false`` (writes no event; for this measurement
only). Both run their delivery worker, as a production process does.
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--postgres", metavar="ADMIN_URL",
                    help="a fresh database beside this PostgreSQL URL's (default: SQLite)")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        url, key, _ = bench_tenant(stack, tmp, args.postgres)
        (on,) = stack.enter_context(serve(url, PASSGATE_RATE_LIMITS="false"))
        if make_url_is_sqlite(url):
            # SQLite is one process: measure the two settings one after the other.
            servers = {"events on": on}
        else:
            (off,) = stack.enter_context(serve(url, PASSGATE_RATE_LIMITS="false",
                                               PASSGATE_EVENTS="false"))
            servers = {"events on": on, "events off": off}
        code = asyncio.run(create_pass(on, key))
        body = {"query": VALIDATE, "variables": {"input": {"code": code}}}
        headers = {"Authorization": f"Bearer {key}"}
        results: dict[str, list[float]] = {name: [] for name in servers}
        for _ in range(args.rounds):
            for name, base in servers.items():
                results[name].append(asyncio.run(drive(
                    f"{base}/graphql", body, headers, args.clients, args.seconds,
                    lambda d: d["data"]["validatePass"]["valid"])))
        if len(servers) == 1:
            stack.close()
            with serve(url, PASSGATE_RATE_LIMITS="false", PASSGATE_EVENTS="false") as (off,):
                results["events off"] = [asyncio.run(drive(
                    f"{off}/graphql", body, headers, args.clients, args.seconds,
                    lambda d: d["data"]["validatePass"]["valid"])) for _ in range(args.rounds)]
                report(url, args, results)
            return
        report(url, args, results)


def make_url_is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def report(url: str, args: argparse.Namespace, results: dict[str, list[float]]) -> None:
    backend = url.split("+")[0].split(":")[0]
    print(f"\nvalidatePass/s, {backend}, {args.clients} clients, {args.rounds} rounds of "
          f"{args.seconds:g}s, median (min-max)")
    for name, values in results.items():
        print(f"  {name:<12} {statistics.median(values):8.0f}  "
              f"({min(values):.0f}-{max(values):.0f})")
    on, off = statistics.median(results["events on"]), statistics.median(results["events off"])
    print(f"  events cost: {1 - on / off:.1%} of throughput")


if __name__ == "__main__":
    main()

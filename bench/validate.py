"""Validations per second: passgate's /graphql and REST doors against a bare-driver floor.

Starts a ``passgate serve`` process and the floor server (bench/floor_server.py: a bare
aiohttp handler doing the same UPDATE ... RETURNING + scan INSERT on the raw driver) on the
same database, then drives each with N concurrent clients for a few seconds, in interleaved
rounds, and prints medians and the ratios. The REST door (``POST /api/v1/validate``) is
compared with ``/graphql`` carrying the very operation that route runs (``NativeValidate``).
Run: ``make bench`` or
``python bench/validate.py [--postgres ADMIN_URL] [--clients 32] [--seconds 5] [--rounds 3]``;
``--workers 1,2 --postgres ADMIN_URL [--redis URL]`` compares server processes instead.
"""

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import (  # noqa: E402
    bench_tenant,
    cli_env,
    free_port,
    serve,
)

VALIDATE = (
    "mutation Validate($input: ValidatePassInput!) { validatePass(input: $input) "
    "{ valid reason remainingUsages pass { code usagesCount } } }"
)


def native_validate_document() -> str:
    """The document ``POST /api/v1/validate`` runs, as its route table loads it."""
    from rest_compat.native import DIALECT
    from rest_compat.operations import load_operations
    from schema.schema import schema

    return load_operations(DIALECT.folder, schema._schema)["NativeValidate"]


async def drive(url: str, body: dict, headers: dict, clients: int, seconds: float,
                check) -> float:
    """Requests per second completed by ``clients`` workers in a closed loop."""
    done = 0
    deadline = time.perf_counter() + seconds
    async with aiohttp.ClientSession(headers=headers,
                                     connector=aiohttp.TCPConnector(limit=clients)) as s:

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                async with s.post(url, json=body) as r:
                    data = await r.json()
                    if r.status != 200 or not check(data):
                        raise SystemExit(f"bad answer from {url}: {r.status} {data}")
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return done / (time.perf_counter() - start)


def start_floor(database_url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "floor_server.py"),
                             database_url, str(port)], env=cli_env(database_url))
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            with aiohttp_probe(url):
                break
        except OSError:
            time.sleep(0.1)
    return proc, url


class aiohttp_probe:
    def __init__(self, url: str) -> None:
        import socket

        host, port = url.rsplit(":", 1)
        self.sock = socket.create_connection((host.split("//")[1], int(port)), timeout=1)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


async def create_pass(url: str, key: str) -> str:
    doc = "mutation { createPass(input: {type: MULTI, maxUsages: null}) { pass { code } } }"
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as s:
        async with s.post(f"{url}/graphql", json={"query": doc}) as r:
            return (await r.json())["data"]["createPass"]["pass"]["code"]


async def make_single_use(url: str, key: str, count: int) -> list[str]:
    doc = ("mutation($input: CreatePassesInput!) { createPasses(input: $input) "
           "{ passes { code } } }")
    codes: list[str] = []
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as s:
        while len(codes) < count:
            batch = [{"type": "SINGLE"}] * min(1000, count - len(codes))
            async with s.post(f"{url}/graphql", json={
                    "query": doc, "variables": {"input": {"passes": batch}}}) as r:
                codes += [p["code"] for p in (await r.json())["data"]["createPasses"]["passes"]]
    return codes


async def drive_distinct(url: str, codes: list[str], key: str, clients: int,
                         seconds: float) -> float:
    """Validations per second, each of a different single-use pass (as at an entrance)."""
    done = 0
    todo = iter(codes)
    deadline = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession(headers=headers,
                                     connector=aiohttp.TCPConnector(limit=clients)) as s:

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                code = next(todo, None)
                if code is None:
                    raise SystemExit("ran out of passes: raise --passes")
                body = {"query": VALIDATE, "variables": {"input": {"code": code}}}
                async with s.post(f"{url}/graphql", json=body) as r:
                    data = await r.json()
                    if r.status != 200 or not data["data"]["validatePass"]["valid"]:
                        raise SystemExit(f"bad answer from {url}: {r.status} {data}")
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return done / (time.perf_counter() - start)


def compare_workers(args: argparse.Namespace) -> None:
    """``passgate serve --workers N`` for each N given, on PostgreSQL + Redis, distinct
    single-use passes, interleaved rounds; medians and the ratio to one worker."""
    counts = [int(n) for n in args.workers.split(",")]
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        url, key, _ = bench_tenant(stack, tmp, args.postgres)
        bases = {}
        for n in counts:
            (bases[n],) = stack.enter_context(serve(
                url, args=("--workers", str(n)), ready_timeout=90,
                PASSGATE_RATE_LIMITS="false", PASSGATE_REDIS_URL=args.redis))
        codes = asyncio.run(make_single_use(bases[counts[0]], key, args.passes))
        results: dict[int, list[float]] = {n: [] for n in counts}
        used = 0
        for _ in range(args.rounds):
            for n in counts:
                rate = asyncio.run(drive_distinct(bases[n], codes[used:], key, args.clients,
                                                  args.seconds))
                used += int(rate * args.seconds * 1.1) + args.clients
                results[n].append(rate)
    print(f"\nvalidations/s of distinct single-use passes, postgresql + redis, "
          f"{args.clients} clients, {args.rounds} rounds of {args.seconds:g}s, median (min-max)")
    one = statistics.median(results[counts[0]])
    for n, values in results.items():
        m = statistics.median(values)
        print(f"  --workers {n:<3} {m:8.0f}  ({min(values):.0f}-{max(values):.0f})  "
              f"{m / one:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--postgres", metavar="ADMIN_URL",
                    help="run on a fresh database created beside this PostgreSQL URL's "
                         "(default: a fresh SQLite file)")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", metavar="N,M",
                    help="compare passgate serve --workers N, M… (needs --postgres and "
                         "--redis) instead of the floor comparison")
    ap.add_argument("--redis", metavar="URL", default="redis://127.0.0.1:6379/0")
    ap.add_argument("--passes", type=int, default=30_000,
                    help="single-use passes made for --workers runs")
    args = ap.parse_args()
    if args.workers:
        if not args.postgres:
            ap.error("--workers needs --postgres (several workers need PostgreSQL)")
        compare_workers(args)
        return

    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        url, key, tenant_id = bench_tenant(stack, tmp, args.postgres)
        floor, floor_url = start_floor(url)
        try:
            with serve(url, PASSGATE_RATE_LIMITS="false") as (base,):
                code = asyncio.run(create_pass(base, key))
                native_doc = native_validate_document()
                targets = {
                    "floor: aiohttp + raw driver": (
                        f"{floor_url}/validate", {"code": code, "tenant": tenant_id}, {},
                        lambda d: d["valid"]),
                    "passgate: POST /graphql validatePass": (
                        f"{base}/graphql",
                        {"query": VALIDATE, "variables": {"input": {"code": code}}},
                        {"Authorization": f"Bearer {key}"},
                        lambda d: d["data"]["validatePass"]["valid"]),
                    "passgate: /graphql NativeValidate": (
                        f"{base}/graphql",
                        {"query": native_doc, "operationName": "NativeValidate",
                         "variables": {"input": {"code": code}}},
                        {"Authorization": f"Bearer {key}"},
                        lambda d: d["data"]["validatePass"]["valid"]),
                    "passgate: POST /api/v1/validate": (
                        f"{base}/api/v1/validate", {"code": code},
                        {"Authorization": f"Bearer {key}"},
                        lambda d: d["data"]["valid"]),
                }
                results: dict[str, list[float]] = {name: [] for name in targets}
                for _ in range(args.rounds):
                    for name, (target, body, headers, check) in targets.items():
                        results[name].append(asyncio.run(drive(
                            target, body, headers, args.clients, args.seconds, check)))
        finally:
            floor.terminate()
            floor.wait()

    backend = url.split("+")[0].split(":")[0]
    print(f"\nvalidations/s, {backend}, {args.clients} clients, {args.rounds} rounds of "
          f"{args.seconds:g}s, median (min-max)")
    medians = {}
    for name, values in results.items():
        medians[name] = statistics.median(values)
        print(f"  {name:<40} {medians[name]:8.0f}  ({min(values):.0f}-{max(values):.0f})")
    floor_rate, ours, same_doc, rest = medians.values()
    print(f"  passgate /graphql / floor: {ours / floor_rate:.0%}")
    print(f"  REST /api/v1/validate / same operation on /graphql: {rest / same_doc:.0%}")


if __name__ == "__main__":
    main()

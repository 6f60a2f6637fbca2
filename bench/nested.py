"""Nested lists: ``passes(first: N) { nodes { code scans(first: 5) {…} } }`` against the
same list without the nested scans, on a real ``passgate serve``.

Makes 100 passes through ``createPasses`` and 5 scans of each through ``validatePass``,
then times each query (p50 of ``--repeat`` runs, sequential, one client).
Run: ``python bench/nested.py [--postgres ADMIN_URL] [--repeat 40]``.
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import bench_tenant, serve  # noqa: E402

NESTED = ("query($n: Int) { passes(first: $n) { nodes { code scans(first: 5) "
          "{ totalCount nodes { id result scannedAt } } } } }")
FLAT = "query($n: Int) { passes(first: $n) { nodes { code } } }"
CREATE = "mutation($input: CreatePassesInput!) { createPasses(input: $input) { passes { code } } }"
VALIDATE = "mutation($input: ValidatePassInput!) { validatePass(input: $input) { valid } }"


async def gql(s: aiohttp.ClientSession, url: str, query: str, variables: dict) -> dict:
    async with s.post(f"{url}/graphql", json={"query": query, "variables": variables}) as r:
        body = await r.json()
    if r.status != 200 or body.get("errors"):
        raise SystemExit(f"bad answer: {r.status} {body}")
    return body["data"]


async def run(url: str, key: str, repeat: int) -> dict[str, float]:
    headers = {"Authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession(headers=headers) as s:
        made = await gql(s, url, CREATE, {"input": {"passes": [
            {"type": "MULTI", "maxUsages": None} for _ in range(100)]}})
        codes = [p["code"] for p in made["createPasses"]["passes"]]
        sem = asyncio.Semaphore(16)

        async def scan(code: str) -> None:
            async with sem:
                await gql(s, url, VALIDATE, {"input": {"code": code}})

        await asyncio.gather(*(scan(c) for c in codes for _ in range(5)))
        out = {}
        for label, query, n in (("flat, 100 passes", FLAT, 100),
                                ("nested scans, 10 passes", NESTED, 10),
                                ("nested scans, 100 passes", NESTED, 100)):
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                data = await gql(s, url, query, {"n": n})
                times.append((time.perf_counter() - start) * 1000)
                assert len(data["passes"]["nodes"]) == n
            out[label] = statistics.median(times)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--postgres", metavar="ADMIN_URL")
    ap.add_argument("--repeat", type=int, default=40)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        url, key, _ = bench_tenant(stack, tmp, args.postgres)
        with serve(url, PASSGATE_RATE_LIMITS="false") as (base,):
            result = asyncio.run(run(base, key, args.repeat))
    backend = url.split("+")[0].split(":")[0]
    print(f"nested lists, {backend}, p50 of {args.repeat} sequential requests")
    for label, ms in result.items():
        print(f"  {label:<28} {ms:7.1f} ms")


if __name__ == "__main__":
    main()

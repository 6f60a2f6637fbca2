"""Wallet downloads per second: cold (drawn or signed for this request) and cached .pkpass and
barcode answers, against a static-bytes floor (a bare aiohttp handler answering the same
bytes), in the same run and interleaved rounds. Barcodes twice: the API's (key, drawn from
the request's data) and the holder's (signed link of the install page, ``/p/{code}/barcode.png``),
each against a floor of its own bytes. The cached .pkpass twice too: while nothing is written
(the kept answer skips even its version read) and while another process commits 200 times a
second (one version read per download).

Run: ``python bench/wallet.py [--clients 16] [--seconds 4] [--rounds 3]`` (SQLite, one
``passgate serve`` process, rate limits off). Target: cached >= 80 % of the floor.
"""

import argparse
import asyncio
import itertools
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import free_port, run_cli, serve  # noqa: E402
from tests.wallet_certs import apple_chain  # noqa: E402

CREATE = """mutation($input: CreatePassesInput!) { createPasses(input: $input) {
  passes { code publicUrl } } }"""


async def drive(urls: "itertools.cycle[str]", headers: dict, clients: int, seconds: float
                ) -> float:
    """GET requests per second by ``clients`` workers in a closed loop; every answer 200."""
    done = 0
    deadline = time.perf_counter() + seconds
    async with aiohttp.ClientSession(headers=headers,
                                     connector=aiohttp.TCPConnector(limit=clients)) as s:

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                url = next(urls)
                async with s.get(url) as r:
                    await r.read()
                    if r.status != 200:
                        raise SystemExit(f"bad answer from {url}: {r.status}")
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        return done / (time.perf_counter() - start)


async def make_passes(base: str, key: str, count: int) -> list[dict]:
    out: list[dict] = []
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as s:
        while len(out) < count:
            batch = [{"name": f"Bench {len(out) + i}", "holderName": "Ada"}
                     for i in range(min(1000, count - len(out)))]
            async with s.post(f"{base}/graphql", json={"query": CREATE, "variables": {
                    "input": {"passes": batch}}}) as r:
                out += (await r.json())["data"]["createPasses"]["passes"]
    return out


@contextmanager
def writes_streaming(path: str, code: str, per_second: int = 200) -> Iterator[None]:
    """Another process's writes while the block runs (another pass, ``per_second`` commits
    from a connection of its own), as a busy gate makes them: a kept download then cannot
    skip its version read (``Database.change_stamp`` moves on every commit)."""
    stop = threading.Event()

    def write() -> None:
        with sqlite3.connect(path, isolation_level=None, timeout=5) as conn:
            for n in itertools.count():
                if stop.wait(1 / per_second):
                    return
                conn.execute("UPDATE passes SET note = ? WHERE code = ?", (f"n{n}", code))

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        yield
    finally:
        stop.set()
        writer.join()


def start_static(path: Path, content_type: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "static_server.py"),
                             str(path), content_type, str(port)])
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/x", timeout=1).read()
            break
        except OSError:
            time.sleep(0.1)
    return proc, url


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        folder = Path(tmp)
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        run_cli(url, "migrate")
        tenant = json.loads(run_cli(url, "tenants", "create", f"bench-{os.getpid()}",
                                    "--plan", "enterprise", "--json").stdout)
        key = json.loads(run_cli(url, "keys", "create", "--tenant", tenant["id"],
                                 "--json").stdout)["key"]
        chain = apple_chain()
        files = chain.write(folder)
        run_cli(url, "wallet", "apple", "--tenant", tenant["id"], "--pass-type-id",
                chain.pass_type_id, "--team-id", chain.team_id, "--cert", str(files["cert"]),
                "--key", str(files["key"]), "--wwdr", str(files["wwdr"]))
        (base,) = stack.enter_context(serve(url, PASSGATE_RATE_LIMITS="false"))
        cold_count = 400 * int(args.seconds * args.rounds) + 1000
        passes = asyncio.run(make_passes(base, key, cold_count + 1))
        links = [f"{base}/p/{p['code']}/pass.pkpass?token={p['publicUrl'].split('token=')[1]}"
                 for p in passes]
        hot_pass, cold_passes = links[0], iter(links[1:])
        sample = folder / "sample.pkpass"
        sample.write_bytes(urllib.request.urlopen(hot_pass).read())
        barcode = f"{base}/api/v1/barcodes/qr?data=BENCH-CACHED-0001&size=4"
        png = folder / "sample.png"
        request = urllib.request.Request(
            barcode, headers={"Authorization": f"Bearer {key}"})
        png.write_bytes(urllib.request.urlopen(request).read())
        holder_barcode = hot_pass.replace("/pass.pkpass?", "/barcode.png?")
        holder_png = folder / "holder.png"
        holder_png.write_bytes(urllib.request.urlopen(holder_barcode).read())
        floor_pkpass, pkpass_url = start_static(sample, "application/vnd.apple.pkpass")
        floor_png, png_url = start_static(png, "image/png")
        floor_holder, holder_url = start_static(holder_png, "image/png")
        for floor in (floor_pkpass, floor_png, floor_holder):
            stack.callback(floor.terminate)
        counter = itertools.count()
        auth = {"Authorization": f"Bearer {key}"}
        cases = {
            "static floor (.pkpass bytes)": (lambda: itertools.cycle([pkpass_url + "/p"]), {}),
            ".pkpass cached": (lambda: itertools.cycle([hot_pass]), {}),
            ".pkpass cached, 200 writes/s elsewhere": (
                lambda: itertools.cycle([hot_pass]), {}),
            ".pkpass cold (signed per request)": (lambda: cold_passes, {}),
            "static floor (API barcode PNG bytes)": (
                lambda: itertools.cycle([png_url + "/b"]), {}),
            "barcode cached (API, key)": (lambda: itertools.cycle([barcode]), auth),
            "static floor (holder barcode PNG bytes)": (
                lambda: itertools.cycle([holder_url + "/h"]), {}),
            "barcode cached (holder link)": (lambda: itertools.cycle([holder_barcode]), {}),
            "barcode cold (drawn per request)": (
                lambda: (f"{base}/api/v1/barcodes/qr?data=BENCH-COLD-{next(counter)}&size=4"
                         for _ in itertools.count()), auth),
        }
        results: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, (urls, headers) in cases.items():
                with (writes_streaming(f"{tmp}/bench.db", passes[-1]["code"])
                      if "writes/s" in name else nullcontext()):
                    results[name].append(asyncio.run(drive(urls(), headers, args.clients,
                                                           args.seconds)))
        print(f"{args.clients} clients, {args.rounds} rounds of {args.seconds:g} s, "
              "medians (requests/s):")
        medians = {name: statistics.median(v) for name, v in results.items()}
        for name, value in medians.items():
            print(f"  {name:<40} {value:8.0f}")
        for case, floor in ((".pkpass cached", "static floor (.pkpass bytes)"),
                            (".pkpass cached, 200 writes/s elsewhere",
                             "static floor (.pkpass bytes)"),
                            ("barcode cached (API, key)", "static floor (API barcode PNG bytes)"),
                            ("barcode cached (holder link)",
                             "static floor (holder barcode PNG bytes)")):
            print(f"  {case} / floor: {medians[case] / medians[floor]:.0%}")


if __name__ == "__main__":
    main()

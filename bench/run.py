"""``make bench``: every scenario of issue 10 against real ``passgate serve`` processes, on
SQLite and PostgreSQL, each beside a floor measured in the same run; the table is printed
and written to BENCHMARKS.md with the date, the machine and the commit.

Scenarios, per database:

- bulk issuance: ``createPasses`` in batches of 1,000 (``pass { code }`` selection) against
  the raw driver inserting the same rows, codes made in the timed loop (sqlite3
  ``executemany``, asyncpg ``executemany``; 1,000 rows per transaction);
- gate, closed loop: ``validatePass`` at 32 clients, every scan a distinct single-use pass,
  against the bare-driver floor (bench/floor_server.py) on the same kind of passes;
- gate, open loop: the same at half the closed-loop rate, arrivals on a fixed schedule and
  latency counted from the scheduled time (no coordinated omission);
- gate, one pass: all clients on one unlimited pass (row contention);
- nested lists: ``passes(first: 100) { nodes { scans(first: 5) } }`` against the flat list;
- peak RSS of the server during each scenario (``VmHWM``, reset between scenarios).

The full run adds bench/wallet.py (cached and cold .pkpass and barcode downloads against a
static-bytes floor), bench/scale.py at 10 k / 100 k passes and, on PostgreSQL + Redis,
``--workers 1`` vs ``--workers 2``. ``--quick`` keeps every per-database scenario but
shorter (about 2 minutes on an idle 2-core machine).
Run: ``make bench`` / ``make bench-quick`` or
``python bench/run.py [--quick] [--postgres ADMIN_URL] [--redis URL] [--out BENCHMARKS.md]``.
"""

import argparse
import asyncio
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import nested  # noqa: E402
from bench.profile import Profile, sampling  # noqa: E402
from bench.validate import VALIDATE, start_floor  # noqa: E402
from resolvers import ids  # noqa: E402
from resolvers.models import passes  # noqa: E402
from resolvers.sqlite_rows import to_sqlite  # noqa: E402
from tests.servers import run_cli, serve, temporary_database  # noqa: E402

CREATE = ("mutation($input: CreatePassesInput!) { createPasses(input: $input) "
          "{ passes { code } } }")


@dataclass
class Row:
    scenario: str
    database: str
    rate: float | None = None  # per second
    unit: str = "req/s"
    latencies: list[float] = field(default_factory=list)  # ms
    floor: float | None = None
    rss_mb: float | None = None
    note: str = ""

    def pct(self, p: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


# ---------------------------------------------------------------- process memory


def server_pid(url: str) -> int:
    port = url.rsplit(":", 1)[1].encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"serve" in argv and port in argv:
                return int(entry.name)
    raise SystemExit(f"no server process for {url}")


def reset_peak(pid: int) -> None:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM (Linux >= 4.0)
    except OSError:
        pass


def peak_mb(pid: int) -> float | None:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


# ---------------------------------------------------------------- drivers


async def closed_loop(url: str, bodies: Iterator[dict], headers: dict, clients: int,
                      seconds: float, check: Callable[[dict], bool]) -> tuple[float, list[float]]:
    """Requests per second of ``clients`` clients in a closed loop, and each latency (ms)."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    async with aiohttp.ClientSession(headers=headers,
                                     connector=aiohttp.TCPConnector(limit=clients)) as s:

        async def client() -> None:
            while time.perf_counter() < deadline:
                body = next(bodies)
                t0 = time.perf_counter()
                async with s.post(url, json=body) as r:
                    data = await r.json()
                if r.status != 200 or not check(data):
                    raise SystemExit(f"bad answer from {url}: {r.status} {data}")
                latencies.append((time.perf_counter() - t0) * 1000)

        start = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        return len(latencies) / (time.perf_counter() - start), latencies


async def open_loop(url: str, bodies: Iterator[dict], headers: dict, rate: float,
                    seconds: float, check: Callable[[dict], bool]) -> tuple[float, list[float]]:
    """Requests sent on a fixed schedule at ``rate``/s; latency from the scheduled time."""
    latencies: list[float] = []
    count = max(1, int(rate * seconds))
    async with aiohttp.ClientSession(headers=headers,
                                     connector=aiohttp.TCPConnector(limit=512)) as s:

        async def one(at: float, body: dict) -> None:
            async with s.post(url, json=body) as r:
                data = await r.json()
            if r.status != 200 or not check(data):
                raise SystemExit(f"bad answer from {url}: {r.status} {data}")
            latencies.append((time.perf_counter() - at) * 1000)

        start = time.perf_counter()
        tasks = []
        for i in range(count):
            at = start + i / rate
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(at, next(bodies))))
        await asyncio.gather(*tasks)
        return count / (time.perf_counter() - start), latencies


def exhausting(items: list[Any], make: Callable[[Any], dict]) -> Iterator[dict]:
    for item in items:
        yield make(item)
    raise SystemExit("ran out of single-use passes: the machine is faster than planned; "
                     "raise PASSES_PER_SECOND in bench/run.py")


# ---------------------------------------------------------------- bulk issuance


async def issue_via_api(base: str, key: str, batches: int) -> tuple[float, list[str]]:
    """Passes per second through createPasses (batches of 1,000), and their codes."""
    codes: list[str] = []
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as s:
        start = time.perf_counter()
        for _ in range(batches):
            body = {"query": CREATE,
                    "variables": {"input": {"passes": [{"type": "SINGLE"}] * 1000}}}
            async with s.post(f"{base}/graphql", json=body) as r:
                data = await r.json()
            if r.status != 200 or data.get("errors"):
                raise SystemExit(f"createPasses: {r.status} {data}")
            codes += [p["code"] for p in data["data"]["createPasses"]["passes"]]
        return len(codes) / (time.perf_counter() - start), codes


def _floor_row(tenant: str, now: datetime) -> dict[str, Any]:
    return {"id": ids.new_id("pass"), "tenant_id": tenant, "code": ids.new_pass_code(),
            "type": "single", "max_usages": 1, "usages_count": 0, "custom_fields": "[]",
            "code_minted": True,
            "meta": "{}", "attributes": "{}", "state": "active", "created_at": now,
            "updated_at": now}


def issue_floor_sqlite(url: str, tenant: str, batches: int) -> tuple[float, list[str]]:
    cols = [c.name for c in passes.columns]
    sql = f"INSERT INTO passes ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    db = sqlite3.connect(make_url(url).database, isolation_level=None)
    db.execute("PRAGMA busy_timeout=10000")
    codes: list[str] = []
    start = time.perf_counter()
    for _ in range(batches):
        now = to_sqlite(datetime.now(UTC))
        rows = [_floor_row(tenant, now) for _ in range(1000)]  # type: ignore[arg-type]
        db.execute("BEGIN IMMEDIATE")
        db.executemany(sql, [tuple(r.get(c) for c in cols) for r in rows])
        db.execute("COMMIT")
        codes += [r["code"] for r in rows]
    rate = len(codes) / (time.perf_counter() - start)
    db.close()
    return rate, codes


async def issue_floor_postgres(url: str, tenant: str, batches: int) -> tuple[float, list[str]]:
    import asyncpg

    u = make_url(url)
    conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username,
                                 password=u.password, database=u.database)
    cols = [c.name for c in passes.columns]
    sql = (f"INSERT INTO passes ({', '.join(cols)}) VALUES "
           f"({', '.join(f'${i}' for i in range(1, len(cols) + 1))})")
    codes: list[str] = []
    try:
        start = time.perf_counter()
        for _ in range(batches):
            rows = [_floor_row(tenant, datetime.now(UTC)) for _ in range(1000)]
            async with conn.transaction():
                await conn.executemany(sql, [tuple(r.get(c) for c in cols) for r in rows])
            codes += [r["code"] for r in rows]
        return len(codes) / (time.perf_counter() - start), codes
    finally:
        await conn.close()


# ---------------------------------------------------------------- one database


def tenant_and_key(url: str, name: str) -> tuple[str, str]:
    tenant = json.loads(run_cli(url, "tenants", "create", f"{name}-{os.getpid()}", "--plan",
                                "enterprise", "--json").stdout)
    key = json.loads(run_cli(url, "keys", "create", "--tenant", tenant["id"],
                             "--json").stdout)["key"]
    return tenant["id"], key


def run_database(url: str, backend: str, cfg: argparse.Namespace,
                 profiles: list[Profile]) -> list[Row]:
    """Every per-database scenario; with ``cfg.profile`` the bulk and gate scenarios run once
    more, untimed, under py-spy, and their top frames go to ``profiles``."""
    rows: list[Row] = []
    run_cli(url, "migrate")
    _tenant, key = tenant_and_key(url, "bench")
    floor_tenant, _ = tenant_and_key(url, "floor")
    headers = {"Authorization": f"Bearer {key}"}
    floor, floor_url = start_floor(url)
    try:
        with serve(url, ready_timeout=90, PASSGATE_RATE_LIMITS="false") as (base,):
            pid = server_pid(base)

            def measured(row: Row, fn: Callable[[], Any]) -> Any:
                reset_peak(pid)
                out = fn()
                row.rss_mb = peak_mb(pid)
                rows.append(row)
                print(f"  {backend}: {row.scenario} done", flush=True)
                return out

            # Bulk issuance, interleaved with its floor; the passes made are the gate's.
            bulk = Row("bulk issuance (createPasses x1000)", backend, unit="passes/s")
            api_rates, floor_rates, codes, floor_codes = [], [], [], []

            def issue() -> None:
                for _ in range(cfg.rounds):
                    rate, made = asyncio.run(issue_via_api(base, key, cfg.batches))
                    api_rates.append(rate)
                    codes.extend(made)
                    if backend == "sqlite":
                        rate, made = issue_floor_sqlite(url, floor_tenant, cfg.batches)
                    else:
                        rate, made = asyncio.run(
                            issue_floor_postgres(url, floor_tenant, cfg.batches))
                    floor_rates.append(rate)
                    floor_codes.extend(made)

            measured(bulk, issue)
            bulk.rate, bulk.floor = statistics.median(api_rates), statistics.median(floor_rates)
            bulk.note = f"floor: raw driver executemany, {cfg.rounds} rounds"
            if cfg.profile:
                with sampling(pid, f"bulk issuance, {backend}") as prof:
                    codes += asyncio.run(issue_via_api(base, key, 2))[1]
                profiles.append(prof)

            # Gate, closed loop, distinct single-use passes, interleaved with the floor.
            gate = Row("gate: validatePass, distinct passes, 32 clients", backend)
            ours = exhausting(codes, lambda c: {"query": VALIDATE,
                                                "variables": {"input": {"code": c}}})
            theirs = exhausting(floor_codes, lambda c: {"code": c, "tenant": floor_tenant})

            def valid(d: dict) -> bool:
                return d["data"]["validatePass"]["valid"]

            rates, floor_rates = [], []

            def gate_closed() -> None:
                for _ in range(cfg.rounds):
                    rate, lat = asyncio.run(closed_loop(f"{base}/graphql", ours, headers, 32,
                                                        cfg.seconds, valid))
                    rates.append(rate)
                    gate.latencies += lat
                    rate, _ = asyncio.run(closed_loop(f"{floor_url}/validate", theirs, {}, 32,
                                                      cfg.seconds, lambda d: d["valid"]))
                    floor_rates.append(rate)

            measured(gate, gate_closed)
            gate.rate, gate.floor = statistics.median(rates), statistics.median(floor_rates)
            if cfg.profile:
                with sampling(pid, f"gate validatePass, 32 clients, {backend}") as prof:
                    asyncio.run(closed_loop(f"{base}/graphql", ours, headers, 32,
                                            cfg.seconds, valid))
                profiles.append(prof)

            open_row = Row(f"gate: open loop at {gate.rate / 2:.0f}/s (half)", backend)

            def gate_open() -> None:
                open_row.rate, open_row.latencies = asyncio.run(open_loop(
                    f"{base}/graphql", ours, headers, gate.rate / 2, cfg.seconds, valid))

            measured(open_row, gate_open)
            open_row.note = "p99 target < 50 ms"

            # One unlimited pass for every client: the row-contention case.
            same = Row("gate: one pass, 32 clients (contention)", backend)

            def gate_same() -> None:
                made = asyncio.run(_one_multi(base, key))
                body = {"query": VALIDATE, "variables": {"input": {"code": made}}}
                same.rate, same.latencies = asyncio.run(closed_loop(
                    f"{base}/graphql", _forever(body), headers, 32, cfg.seconds, valid))

            measured(same, gate_same)

            # Nested lists on their own tenant.
            nested_row = Row("nested: passes(100){scans(5)} p50 ms", backend, unit="ms")
            _, nkey = tenant_and_key(url, "nested")

            def nested_lists() -> None:
                out = asyncio.run(nested.run(base, nkey, cfg.nested_repeat))
                nested_row.rate = out["nested scans, 100 passes"]
                nested_row.floor = out["flat, 100 passes"]
                nested_row.note = (f"flat list {out['flat, 100 passes']:.1f} ms, nested 10 "
                                   f"{out['nested scans, 10 passes']:.1f} ms")

            measured(nested_row, nested_lists)
    finally:
        floor.terminate()
        floor.wait()
    return rows


async def _one_multi(base: str, key: str) -> str:
    doc = "mutation { createPass(input: {type: MULTI, maxUsages: null}) { pass { code } } }"
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as s:
        async with s.post(f"{base}/graphql", json={"query": doc}) as r:
            return (await r.json())["data"]["createPass"]["pass"]["code"]


def _forever(body: dict) -> Iterator[dict]:
    while True:
        yield body


# ---------------------------------------------------------------- report


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next((int(line.split()[1]) // 1024 for line in
                Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0)
    return (f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} cores, "
            f"{mem:,} MB RAM, Python {platform.python_version()}, SQLite "
            f"{sqlite3.sqlite_version}")


def commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                         capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def fmt(v: float | None, digits: int = 0) -> str:
    return "-" if v is None else f"{v:,.{digits}f}"


def table(rows: list[Row]) -> str:
    lines = ["| scenario | db | throughput | p50 ms | p95 ms | p99 ms | floor | ratio | "
             "peak RSS MB | note |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r.unit == "ms":
            ratio = f"{r.rate / r.floor:.1f}x flat" if r.rate and r.floor else "-"
            lines.append(f"| {r.scenario} | {r.database} | - | {fmt(r.rate, 1)} | - | - | "
                         f"{fmt(r.floor, 1)} ms | {ratio} | {fmt(r.rss_mb)} | {r.note} |")
            continue
        ratio = f"{r.rate / r.floor:.0%}" if r.rate and r.floor else "-"
        lines.append(
            f"| {r.scenario} | {r.database} | {fmt(r.rate)} {r.unit} | {fmt(r.pct(50), 1)} | "
            f"{fmt(r.pct(95), 1)} | {fmt(r.pct(99), 1)} | {fmt(r.floor)} | {ratio} | "
            f"{fmt(r.rss_mb)} | {r.note} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--postgres", metavar="ADMIN_URL",
                    default=os.environ.get("PASSGATE_TEST_DATABASE_URL",
                                           "postgresql+asyncpg://postgres@127.0.0.1:5432/test"))
    ap.add_argument("--redis", default=os.environ.get("PASSGATE_TEST_REDIS_URL",
                                                      "redis://127.0.0.1:6379/0"))
    ap.add_argument("--sqlite-only", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    ap.add_argument("--profile", action=argparse.BooleanOptionalAction, default=None,
                    help="sample the server with py-spy during an extra, untimed run of the "
                         "bulk and gate scenarios (default: on for the full run)")
    cfg = ap.parse_args()
    if cfg.profile is None:
        cfg.profile = not cfg.quick
    cfg.seconds, cfg.rounds = (2.0, 1) if cfg.quick else (5.0, 3)
    cfg.batches = 5 if cfg.quick else 10  # x1000 passes per round: enough for the gate
    cfg.nested_repeat = 10 if cfg.quick else 30
    started = time.perf_counter()
    load = os.getloadavg()[0]
    print(f"passgate bench ({'quick' if cfg.quick else 'full'}), load average {load:.1f}",
          flush=True)
    rows: list[Row] = []
    extra: list[str] = []
    profiles: list[Profile] = []
    with tempfile.TemporaryDirectory() as tmp:
        rows += run_database(f"sqlite+aiosqlite:///{tmp}/bench.db", "sqlite", cfg, profiles)
    if not cfg.sqlite_only:
        with temporary_database(cfg.postgres) as url:
            rows += run_database(url, "postgresql", cfg, profiles)
    if not cfg.quick:
        extra.append(_subrun("bench/wallet.py", "--seconds", "3", "--rounds", "3"))
        extra.append(_subrun("bench/scale.py", "--quick", "--repeat", "20", "--export"))
        if not cfg.sqlite_only:
            extra.append(_subrun("bench/scale.py", "--quick", "--repeat", "20", "--export",
                                 "--postgres", cfg.postgres))
            extra.append(_subrun("bench/validate.py", "--workers", "1,2", "--postgres",
                                 cfg.postgres, "--redis", cfg.redis, "--rounds", "3"))
    elapsed = time.perf_counter() - started
    report = "\n".join([
        "# Benchmarks",
        "",
        f"Written by `{'make bench-quick' if cfg.quick else 'make bench'}` "
        "(bench/run.py); do not edit by hand.",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {machine()}",
        f"- commit: {commit()}",
        f"- load average at start: {load:.1f} (the machine may be shared: compare ratios "
        "within one run, not absolute figures across runs)",
        f"- run: {'quick' if cfg.quick else 'full'}, {cfg.rounds} round(s) of "
        f"{cfg.seconds:g} s, {elapsed / 60:.1f} min",
        "",
        table(rows),
        "",
        *(f"```\n{block.strip()}\n```\n" for block in extra),
        *(["## Profiles", "",
           "py-spy samples of the server during an extra, untimed run of the scenario "
           "(bench/profile.py): self time by whose code it is, the heaviest frames, and "
           "where in passgate's own code the time goes (inclusive). The driver's share "
           "includes the database engine's own work in its thread (SQLite) or the wire "
           "protocol (asyncpg).", "",
           *(f"```\n{p.top()}\n```\n" for p in profiles)] if profiles else []),
    ])
    Path(cfg.out).write_text(report + "\n")
    print("\n" + table(rows))
    for block in extra:
        print(block)
    for prof in profiles:
        print(prof.top())
    print(f"\nwritten to {cfg.out} in {elapsed / 60:.1f} min")


def _subrun(*argv: str) -> str:
    print(f"  running {' '.join(argv)}", flush=True)
    out = subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True)
    text = out.stdout[out.stdout.find("\n\n") + 2:] if "\n\n" in out.stdout else out.stdout
    return f"$ python {' '.join(argv)}\n{text}{out.stderr[-2000:] if out.returncode else ''}"


if __name__ == "__main__":
    main()

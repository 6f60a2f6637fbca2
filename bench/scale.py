"""Lists and searches at scale: p50 of each read at a small and a large fixture, and the ratio.

For each size, a fresh database (SQLite file, or PostgreSQL with ``--postgres``) is migrated,
a tenant and key are made with the CLI, and N passes and 5·N scans are written with bulk SQL
on the raw driver (sqlite3 ``executemany``, asyncpg ``copy_records_to_table``), so the
database's own triggers keep the search index and the counters, as they would for any
writer. Then a real ``passgate serve`` answers each query ``--repeat`` times (sequential,
one client) and the p50 is kept. The target: large/small within 1.5x.

Run: ``python bench/scale.py [--postgres ADMIN_URL] [--sizes 10000,1000000] [--quick] [--export]``
(``--quick``: 10 k and 100 k passes).
"""

import argparse
import asyncio
import base64
import hashlib
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from resolvers.ids import _b32  # noqa: E402
from resolvers.models import passes, scans  # noqa: E402
from resolvers.sqlite_rows import to_sqlite  # noqa: E402
from tests.servers import PASSGATE, cli_env, run_cli, serve, temporary_database  # noqa: E402

SCANS_PER_PASS = 5
BATCH = 20_000
START = datetime(2026, 1, 1, tzinfo=UTC)
TIERS = ("bronze", "silver", "gold", "platinum", "staff")
LETTERS = "abcdefghijklmnopqrstuvwxyz"
FIRST_NAMES = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken")


def pass_id(i: int, n: int) -> str:
    """Time-sortable like the API's ids: pass i was made i·(one year / n) after START."""
    ms = int(START.timestamp() * 1000) + i * (365 * 86_400_000 // n)
    return f"pass_{_b32(ms, 10)}{_b32(random.getrandbits(80), 16)}"


def word(i: int, salt: str, size: int = 8) -> str:
    """Letters that look random but are a function of i: names and codes of real passes are
    diverse, and the bench must be able to name the one in the middle of the list."""
    digest = hashlib.blake2b(f"{salt}{i}".encode(), digest_size=16).digest()
    return "".join(LETTERS[b % 26] for b in digest[:size])


def code(i: int) -> str:
    return word(i, "code", 12).upper()


def pass_row(i: int, n: int, tenant: str) -> dict[str, Any]:
    made = START + timedelta(milliseconds=i * (365 * 86_400_000 // n))
    last = word(i, "last").capitalize()
    return {
        "id": pass_id(i, n), "tenant_id": tenant, "code": code(i), "type": "multi",
        "code_minted": True,
        "name": f"Ticket {i}", "holder_name": f"{FIRST_NAMES[i % 8]} {last}",
        "holder_email": f"{word(i, 'mail', 6)}.{last.lower()}@example{i % 97}.com",
        "max_usages": None,
        "usages_count": SCANS_PER_PASS, "custom_fields": "[]",
        "meta": json.dumps({"tier": TIERS[i % 5], "seq": i}), "attributes": "{}",
        "state": "suspended" if i % 50 == 0 else "active",
        "created_at": made, "updated_at": made,
    }


def scan_rows(i: int, pid: str, n: int, tenant: str) -> list[dict[str, Any]]:
    out = []
    for k in range(SCANS_PER_PASS):
        at = START + timedelta(days=(i * 7 + k * 31) % 365, seconds=(i * 13 + k) % 86_400)
        ms = int(at.timestamp() * 1000)
        out.append({"id": f"scn_{_b32(ms, 10)}{_b32(random.getrandbits(80), 16)}",
                    "tenant_id": tenant, "pass_id": pid, "code": code(i),
                    "result": "accepted", "device_id": f"gate-{k}", "usages_after": k + 1,
                    "scanned_at": at})
    return out


def columns(table: Any) -> list[str]:
    return [c.name for c in table.columns]


def fill_sqlite(url: str, tenant: str, n: int) -> None:
    path = make_url(url).database
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    pcols, scols = columns(passes), columns(scans)

    def value(v: Any) -> Any:
        return to_sqlite(v) if isinstance(v, datetime) else v

    for lo in range(0, n, BATCH):
        prow, srow = [], []
        for i in range(lo, min(n, lo + BATCH)):
            p = pass_row(i, n, tenant)
            prow.append(tuple(value(p.get(c)) for c in pcols))
            for s in scan_rows(i, p["id"], n, tenant):
                srow.append(tuple(value(s.get(c)) for c in scols))
        db.execute("BEGIN")
        db.executemany(f"INSERT INTO passes ({', '.join(pcols)}) VALUES "
                       f"({', '.join('?' * len(pcols))})", prow)
        db.executemany(f"INSERT INTO scans ({', '.join(scols)}) VALUES "
                       f"({', '.join('?' * len(scols))})", srow)
        db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()


async def fill_postgres(url: str, tenant: str, n: int) -> None:
    import asyncpg

    u = make_url(url)
    conn = await asyncpg.connect(host=u.host, port=u.port or 5432, user=u.username,
                                 database=u.database)
    pcols, scols = columns(passes), columns(scans)
    try:
        for lo in range(0, n, BATCH):
            prow, srow = [], []
            for i in range(lo, min(n, lo + BATCH)):
                p = pass_row(i, n, tenant)
                prow.append(tuple(p.get(c) for c in pcols))
                for s in scan_rows(i, p["id"], n, tenant):
                    srow.append(tuple(s.get(c) for c in scols))
            async with conn.transaction():
                await conn.copy_records_to_table("passes", records=prow, columns=pcols)
                await conn.copy_records_to_table("scans", records=srow, columns=scols)
        await conn.execute("VACUUM ANALYZE passes")
        await conn.execute("VACUUM ANALYZE scans")
    finally:
        await conn.close()


def cursor(row_id: str) -> str:
    return base64.urlsafe_b64encode(f"c:{row_id}".encode()).decode()


def queries(n: int) -> dict[str, tuple[str, dict[str, Any]]]:
    """Each read the issue names, aimed at rows that exist at every size."""
    mid = n // 2
    day = (START + timedelta(days=200)).isoformat()
    next_day = (START + timedelta(days=201)).isoformat()
    return {
        "first page (20)": ("{ passes(first: 20) { nodes { code holderName } } }", {}),
        "deep page (cursor, middle)": (
            "query($a: String) { passes(first: 20, after: $a) { nodes { code } } }",
            {"a": cursor(_middle_id(n))}),
        "pass(code)": ("query($c: String) { pass(code: $c) { id holderName } }",
                       {"c": code(mid)}),
        "totalCount, all": ("{ passes(first: 0) { totalCount } }", {}),
        "totalCount, status SUSPENDED": (
            "{ passes(first: 0, filter: {status: SUSPENDED}) { totalCount } }", {}),
        "search holder name": (
            "query($q: String) { passes(first: 20, filter: {search: $q}) "
            "{ totalCount nodes { code } } }", {"q": word(mid, "last")}),
        "search email": (
            "query($q: String) { passes(first: 20, filter: {search: $q}) "
            "{ totalCount nodes { code } } }",
            {"q": f"{word(mid, 'mail', 6)}.{word(mid, 'last')}@"}),
        "search code": (
            "query($q: String) { passes(first: 20, filter: {search: $q}) "
            "{ totalCount nodes { code } } }", {"q": code(mid)}),
        "metadata containment": (
            "query($m: JSON) { passes(first: 20, filter: {metadata: $m}) { nodes { code } } }",
            {"m": {"seq": mid}}),
        "scans of a pass": (
            "query($c: String) { pass(code: $c) { scans(first: 10) "
            "{ totalCount nodes { id scannedAt } } } }", {"c": code(mid)}),
        "scans in one day (count)": (
            "query($s: DateTime, $u: DateTime) { scans(first: 0, filter: "
            "{since: $s, until: $u}) { totalCount } }", {"s": day, "u": next_day}),
    }


def _middle_id(n: int) -> str:
    # Rebuilt rather than read back: the id's time part alone orders it, so any random
    # tail after it lands the cursor in the middle of the list.
    return pass_id(n // 2, n)


def build(n: int, postgres: str | None, tmp: str, stack: ExitStack) -> tuple[str, str, str]:
    """A migrated database holding the fixture of size ``n``; its URL, an API key and the
    tenant's id."""
    url = f"sqlite+aiosqlite:///{tmp}/scale-{n}.db"
    if postgres:
        url = stack.enter_context(temporary_database(postgres))
    run_cli(url, "migrate")
    tenant = json.loads(run_cli(url, "tenants", "create", f"scale-{os.getpid()}",
                                "--plan", "enterprise", "--json").stdout)
    key = json.loads(run_cli(url, "keys", "create", "--tenant", tenant["id"],
                             "--json").stdout)["key"]
    started = time.perf_counter()
    random.seed(n)
    if postgres:
        asyncio.run(fill_postgres(url, tenant["id"], n))
    else:
        fill_sqlite(url, tenant["id"], n)
    print(f"  fixture: {n:,} passes, {n * SCANS_PER_PASS:,} scans in "
          f"{time.perf_counter() - started:.0f} s", flush=True)
    return url, key, tenant["id"]


async def interleaved(targets: dict[int, tuple[str, str]], repeat: int
                      ) -> dict[int, dict[str, float]]:
    """p50 per size and query; sizes take turns request by request, so a busy moment on
    a shared machine slows both alike."""
    times: dict[int, dict[str, list[float]]] = {n: {} for n in targets}
    sessions = {n: aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"})
                for n, (_base, key) in targets.items()}
    try:
        labels = list(queries(next(iter(targets))))
        for label in labels:
            for k in range(repeat + 2):
                for n, (base, _key) in targets.items():
                    doc, variables = queries(n)[label]
                    start = time.perf_counter()
                    async with sessions[n].post(f"{base}/graphql", json={
                            "query": doc, "variables": variables}) as r:
                        body = await r.json()
                    elapsed = (time.perf_counter() - start) * 1000
                    if r.status != 200 or body.get("errors"):
                        raise SystemExit(f"{label} at {n}: {r.status} {body}")
                    if k >= 2:  # two warm-ups: prepared statements, key cache
                        times[n].setdefault(label, []).append(elapsed)
    finally:
        for s in sessions.values():
            await s.close()
    return {n: {label: statistics.median(v) for label, v in t.items()}
            for n, t in times.items()}


async def _export_http(base: str, key: str) -> tuple[int, float]:
    """Lines and seconds of the streamed NDJSON export, read as a client would."""
    lines, started = 0, time.perf_counter()
    timeout = aiohttp.ClientTimeout(total=None, sock_read=120)
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"},
                                     timeout=timeout) as s:
        async with s.get(f"{base}/api/v1/passes/export?format=ndjson") as r:
            if r.status != 200:
                raise SystemExit(f"export: {r.status} {await r.text()}")
            async for chunk in r.content.iter_any():
                lines += chunk.count(b"\n")
    return lines, time.perf_counter() - started


def export_memory(url: str, base: str, key: str, tenant: str) -> list[str]:
    """The export of every pass in bounded memory (issue 10: 1 M passes under 200 MB): the
    serving process's peak RSS during ``GET /api/v1/passes/export`` and the CLI's during
    ``passgate export``, each with its rate."""
    from bench.run import peak_mb, reset_peak, server_pid

    pid = server_pid(base)
    reset_peak(pid)
    lines, seconds = asyncio.run(_export_http(base, key))
    out = [f"  GET /api/v1/passes/export: {lines:,} passes in {seconds:.1f} s "
           f"({lines / seconds:,.0f}/s), server peak RSS {peak_mb(pid):.0f} MB"]
    started = time.perf_counter()
    proc = subprocess.Popen([*PASSGATE, "export",
                             "--tenant", tenant, "--format", "ndjson"],
                            env=cli_env(url), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    count = sum(chunk.count(b"\n") for chunk in iter(lambda: proc.stdout.read(1 << 16), b""))
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if status:
        raise SystemExit(f"passgate export failed ({status})")
    out.append(f"  passgate export: {count:,} passes in {seconds:.1f} s "
               f"({count / seconds:,.0f}/s), peak RSS {usage.ru_maxrss / 1024:.0f} MB")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--postgres", metavar="ADMIN_URL")
    ap.add_argument("--sizes", default="10000,1000000")
    ap.add_argument("--quick", action="store_true", help="10 k and 100 k passes")
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--export", action="store_true",
                    help="also export each fixture (HTTP and CLI) and report peak RSS")
    args = ap.parse_args()
    sizes = [10_000, 100_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    backend = "postgresql" if args.postgres else "sqlite"
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        built = {}
        for n in sizes:
            print(f"{backend}: building {n:,} passes", flush=True)
            built[n] = build(n, args.postgres, tmp, stack)
        targets = {}
        for n, (url, key, _tenant) in built.items():
            (base,) = stack.enter_context(serve(url, PASSGATE_RATE_LIMITS="false"))
            targets[n] = (base, key)
        results = asyncio.run(interleaved(targets, args.repeat))
        small, large = sizes[0], sizes[-1]
        exported = {n: export_memory(built[n][0], *targets[n], built[n][2])
                    for n in sizes} if args.export else {}
    print(f"\np50 ms, {backend}, {args.repeat} sequential requests each")
    print(f"  {'query':<32} {small:>10,} {large:>10,}  ratio")
    for label in results[small]:
        a, b = results[small][label], results[large][label]
        flag = "" if b <= 1.5 * a else "  > 1.5x"
        print(f"  {label:<32} {a:10.1f} {b:10.1f}  {b / a:5.2f}{flag}")
    for n, lines in exported.items():
        print(f"\nexport of {n:,} passes ({backend})")
        print("\n".join(lines))


if __name__ == "__main__":
    main()

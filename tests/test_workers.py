"""``passgate serve --workers N``: several processes answer on one port (PostgreSQL + Redis
only), a worker that dies is replaced, and stopping the server stops every worker."""

import asyncio
import os
import signal
import time
from pathlib import Path

import aiohttp
import pytest

from tests.servers import cli_key, run_cli, serve

CREATE = "mutation { createPass(input: {type: SINGLE}) { pass { code } } }"
VALIDATE = "mutation($c: String!) { validatePass(input: {code: $c}) { valid } }"


def server_pid(url: str) -> int:
    """The ``passgate serve`` process listening at ``url`` (found by its command line)."""
    port = url.rsplit(":", 1)[1]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in argv and port.encode() in argv:
            return int(entry.name)
    raise AssertionError(f"no server process for {url}")


def children(pid: int) -> list[int]:
    """The server's workers (its other child is multiprocessing's resource tracker)."""
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    out = []
    for child in map(int, text.split()):
        try:
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                out.append(child)
        except OSError:
            pass
    return out


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


async def validate_many(url: str, key: str, count: int) -> list[bool]:
    """Create ``count`` passes and validate each, every request on a new connection (the
    kernel picks a worker per connection)."""
    headers = {"Authorization": f"Bearer {key}"}
    connector = aiohttp.TCPConnector(force_close=True, limit=16)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as s:

        async def one() -> bool:
            async with s.post(f"{url}/graphql", json={"query": CREATE}) as r:
                code = (await r.json())["data"]["createPass"]["pass"]["code"]
            async with s.post(f"{url}/graphql",
                              json={"query": VALIDATE, "variables": {"c": code}}) as r:
                return (await r.json())["data"]["validatePass"]["valid"]

        return await asyncio.gather(*(one() for _ in range(count)))


def test_several_workers_are_refused_on_sqlite(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/one.db"
    run_cli(url, "migrate")
    refused = run_cli(url, "serve", "--port", "0", "--workers", "2", check=False)
    assert refused.returncode != 0
    assert "--workers > 1 needs PostgreSQL" in refused.stderr, refused.stderr


def test_several_workers_are_refused_without_redis(pg_url):
    refused = run_cli(pg_url, "serve", "--port", "0", "--workers", "2", check=False)
    assert refused.returncode != 0
    assert "needs Redis (PASSGATE_REDIS_URL)" in refused.stderr, refused.stderr


@pytest.mark.slow
def test_two_workers_share_the_port_and_replace_a_dead_one(pg_url, redis_url):
    key = cli_key(pg_url, "workers", "enterprise")["key"]
    with serve(pg_url, args=("--workers", "2"), ready_timeout=60, PASSGATE_REDIS_URL=redis_url,
               PASSGATE_RATE_LIMITS="false") as (url,):
        parent = server_pid(url)
        started = time.monotonic()  # at least this long ago the workers started
        deadline = time.monotonic() + 20
        while len(children(parent)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = children(parent)
        assert len(workers) == 2, workers
        before = {pid: cpu_ticks(pid) for pid in workers}
        assert all(asyncio.run(validate_many(url, key, 150)))
        spent = {pid: cpu_ticks(pid) - before[pid] for pid in workers}
        total = sum(spent.values())
        assert total > 0
        assert all(s >= total * 0.1 for s in spent.values()), spent  # both served

        # A worker killed outright is replaced; the port keeps answering meanwhile.
        time.sleep(max(0.0, 5.5 - (time.monotonic() - started)))
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            now = children(parent)
            if len(now) == 2 and workers[0] not in now:
                break
            time.sleep(0.1)
        replaced = children(parent)
        assert len(replaced) == 2 and workers[0] not in replaced, replaced
        assert all(asyncio.run(validate_many(url, key, 20)))
    # Stopping the server (SIGTERM to the parent) stops its workers too.
    time.sleep(0.5)
    for pid in replaced:
        assert not Path(f"/proc/{pid}").exists() or \
            Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z", pid

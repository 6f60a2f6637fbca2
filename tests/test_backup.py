"""``passgate backup FILE``: a consistent copy of a SQLite database taken while a server keeps
writing to it, which a server then serves; on PostgreSQL a clear refusal naming pg_dump."""

import asyncio
import sqlite3
import time
from pathlib import Path

import aiohttp
import pytest

from tests.servers import cli_key, run_cli, serve

COUNT = "{ passes(first: 0) { totalCount } }"


async def count(session: aiohttp.ClientSession, url: str, key: str) -> int:
    async with session.post(f"{url}/graphql", json={"query": COUNT},
                            headers={"Authorization": f"Bearer {key}"}) as resp:
        return (await resp.json())["data"]["passes"]["totalCount"]


@pytest.mark.slow
async def test_backup_while_a_server_writes_then_serve_the_copy(
    db_url: str, backend: str, tmp_path: Path
) -> None:
    target = tmp_path / "copy.db"
    if backend != "sqlite":
        refused = run_cli(db_url, "backup", str(target), check=False)
        assert refused.returncode != 0 and "use pg_dump" in refused.stderr, refused.stderr
        assert not target.exists()
        return
    key = cli_key(db_url, f"backup-{time.monotonic_ns()}", "pro")["key"]
    created = 0
    # No rate limit: a slow backup on a loaded machine outlasts the plan's writes a minute.
    with serve(db_url, PASSGATE_RATE_LIMITS="false") as [url]:
        async with aiohttp.ClientSession() as session:
            stop, started = asyncio.Event(), asyncio.Event()

            async def write() -> None:
                nonlocal created
                while not stop.is_set():
                    async with session.post(f"{url}/graphql", json={
                        "query": "mutation { createPass(input: {name: \"w\"}) { pass { id } } }"
                    }, headers={"Authorization": f"Bearer {key}"}) as resp:
                        assert resp.status == 200, await resp.text()
                    created += 1
                    if created >= 5:
                        started.set()

            writer = asyncio.create_task(write())
            await started.wait()
            before = created
            done = await asyncio.to_thread(run_cli, db_url, "backup", str(target))
            after = created
            stop.set()
            await writer
            assert created > before, "the server kept writing during the backup"
    assert "backed up" in done.stdout and str(target) in done.stdout, done.stdout
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # The copy serves: it holds every pass made before the backup began, none made after.
    with serve(f"sqlite+aiosqlite:///{target}") as [url]:
        async with aiohttp.ClientSession() as session:
            kept = await count(session, url, key)
    assert before <= kept <= after + 1, (before, kept, after)

    again = run_cli(db_url, "backup", str(target), check=False)
    assert again.returncode != 0 and "exists; give --force" in again.stderr
    assert run_cli(db_url, "backup", str(target), "--force").returncode == 0

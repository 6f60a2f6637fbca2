"""Real ``passgate serve`` processes for multi-process tests."""

import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
PASSGATE = [sys.executable, "-m", "gateway"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PASSGATE_")}
    env.update(PASSGATE_DATABASE_URL=database_url, PASSGATE_SECRET_KEY="test-secret-key",
               PASSGATE_LOG_LEVEL="WARNING")
    env.update(extra)
    return env


def run_cli(database_url: str, *args: str, check: bool = True, **extra: str
            ) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*PASSGATE, *args], env=cli_env(database_url, **extra), cwd=ROOT,
                          capture_output=True, text=True, timeout=180)
    if check and proc.returncode != 0:
        raise AssertionError(f"passgate {' '.join(args)} failed: {proc.stderr}")
    return proc


def cli_key(database_url: str, tenant_name: str, plan: str) -> dict[str, str]:
    """A new tenant and an all-scopes key, made with the CLI: ``{"id", "key", …}``."""
    tenant = json.loads(run_cli(database_url, "tenants", "create", tenant_name, "--plan", plan,
                                "--json").stdout)
    return json.loads(run_cli(database_url, "keys", "create", "--tenant", tenant["id"],
                              "--json").stdout)


def bench_tenant(stack: ExitStack, tmp: str, postgres_admin: str | None
                 ) -> tuple[str, str, str]:
    """For benchmarks: a migrated database (SQLite in ``tmp``, or a throwaway PostgreSQL
    database next to ``postgres_admin``, dropped when ``stack`` closes) with an enterprise
    tenant: the URL, an all-scopes key and the tenant's id."""
    url = f"sqlite+aiosqlite:///{tmp}/bench.db"
    if postgres_admin:
        url = stack.enter_context(temporary_database(postgres_admin))
    run_cli(url, "migrate")
    tenant = json.loads(run_cli(url, "tenants", "create", f"bench-{os.getpid()}", "--plan",
                                "enterprise", "--json").stdout)
    key = json.loads(run_cli(url, "keys", "create", "--tenant", tenant["id"], "--json").stdout)
    return url, key["key"], tenant["id"]


@contextmanager
def serve(database_url: str, count: int = 1, args: tuple[str, ...] = (),
          ready_timeout: float = 90, **extra: str) -> Iterator[list[str]]:
    """Start ``count`` server processes on free ports (``args`` added to each command line);
    yield their base URLs."""
    procs, urls = [], []
    try:
        for _ in range(count):
            port = free_port()
            procs.append(subprocess.Popen(
                [*PASSGATE, "serve", "--port", str(port), *args],
                env=cli_env(database_url, **extra),
                cwd=ROOT,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True))
            urls.append(f"http://127.0.0.1:{port}")
        for proc, url in zip(procs, urls, strict=True):
            _wait_ready(proc, url, ready_timeout)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_ready(proc: subprocess.Popen[str], url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout

    def ping() -> bool:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
        if ping():
            return
        time.sleep(0.1)
    raise AssertionError(f"server at {url} did not become ready")


async def _pg_admin(admin_url: str, sql: str) -> None:
    import asyncpg

    url = make_url(admin_url)
    conn = await asyncpg.connect(host=url.host or "127.0.0.1", port=url.port or 5432,
                                 user=url.username, password=url.password, database=url.database)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def temporary_database(admin_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database beside ``admin_url``'s, dropped afterwards."""
    name = f"passgate_test_{secrets.token_hex(4)}"
    asyncio.run(_pg_admin(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def server_process(database_url: str, **extra: str
                   ) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """One ``passgate serve`` process and its base URL, for tests that signal it themselves;
    killed afterwards if it is still running."""
    port = free_port()
    proc = subprocess.Popen(
        [*PASSGATE, "serve", "--port", str(port)], env=cli_env(database_url, **extra),
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(proc, url)
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)

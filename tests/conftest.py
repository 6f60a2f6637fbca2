"""Fixtures: the suite runs once on SQLite and once on PostgreSQL, through real HTTP.

PostgreSQL: ``PASSGATE_TEST_DATABASE_URL`` (default: database ``test`` on 127.0.0.1) is the
admin connection; each run creates its own database there and drops it afterwards. Redis:
``PASSGATE_TEST_REDIS_URL``. Without them the PostgreSQL and Redis tests are skipped with a
reason, unless ``PASSGATE_REQUIRE_SERVICES=1`` (CI), where they fail instead.
"""

import asyncio
import os
import secrets
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import delete, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from gateway.app import create_app
from gateway.keys import DB
from gateway.migrate import upgrade
from gateway.settings import Settings
from resolvers import auth
from resolvers.db import Database
from resolvers.models import events, wallet_pushes
from tests.servers import temporary_database

PG_ADMIN_URL = os.environ.get(
    "PASSGATE_TEST_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("PASSGATE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_SERVICES = os.environ.get("PASSGATE_REQUIRE_SERVICES") == "1"
SECRET = "test-secret-key"


def service_unavailable(what: str, why: str) -> None:
    message = f"{what} unavailable ({why}); set it up or run without PASSGATE_REQUIRE_SERVICES"
    if REQUIRE_SERVICES:
        pytest.fail(message, pytrace=False)
    pytest.skip(f"{what} not reachable ({why}): skipped")


def _tcp_reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[str]:
    """A migrated database for this run: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "passgate.db"
        url = f"sqlite+aiosqlite:///{path}"
        upgrade(url)
        yield url
        return
    admin = make_url(PG_ADMIN_URL)
    if not _tcp_reachable(admin.host or "127.0.0.1", admin.port or 5432):
        service_unavailable("PostgreSQL", f"nothing listens on {admin.host}:{admin.port}")
    try:
        database = temporary_database(PG_ADMIN_URL)
        url = database.__enter__()
    except Exception as exc:
        service_unavailable("PostgreSQL", f"cannot create a database: {exc}")
    try:
        upgrade(url)
        yield url
    finally:
        database.__exit__(None, None, None)


@pytest.fixture
def backend(db_url: str) -> str:
    return make_url(db_url).get_backend_name()


@pytest.fixture
def pg_url(db_url: str, backend: str) -> str:
    """For tests of several server processes: they share PostgreSQL; SQLite is one process."""
    if backend != "postgresql":
        pytest.skip("several processes share PostgreSQL only; SQLite is one process")
    return db_url


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=db_url,
        secret_key=SECRET,
        public_base_url="http://passes.test",
        secret_key_file=tmp_path / "secret",
        webhook_allow_private=True,  # tests' receivers listen on 127.0.0.1
        webhook_worker=False,  # tests of deliveries turn it on (tests/test_deliveries.py)
    )


@dataclass
class RestAnswer:
    status: int
    body: Any
    headers: Any


@dataclass
class Api:
    """A tenant with an all-scopes key, and a way to talk GraphQL to the server."""

    client: TestClient
    tenant_id: str
    key: str
    key_id: str

    @property
    def db(self) -> Any:
        return self.client.app[DB]

    async def post(self, query: str, variables: dict[str, Any] | None = None,
                   key: str | None = None) -> tuple[int, dict[str, Any]]:
        resp = await self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {key or self.key}"},
        )
        return resp.status, await resp.json()

    async def gql(self, query: str, variables: dict[str, Any] | None = None,
                  key: str | None = None) -> dict[str, Any]:
        """Data of a request that must succeed."""
        status, body = await self.post(query, variables, key)
        assert status == 200, body
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def error(self, query: str, variables: dict[str, Any] | None = None,
                    key: str | None = None) -> dict[str, Any]:
        """The single error of a request that must fail."""
        status, body = await self.post(query, variables, key)
        assert status == 200, body
        assert body.get("errors"), body
        assert len(body["errors"]) == 1, body["errors"]
        return body["errors"][0]

    async def rest(self, method: str, path: str, json: Any = None, *, key: str | None = None,
                   params: dict[str, Any] | None = None, data: Any = None,
                   headers: dict[str, str] | None = None) -> "RestAnswer":
        """A REST call with this tenant's key (``Authorization: Bearer``)."""
        sent = {"Authorization": f"Bearer {key or self.key}", **(headers or {})}
        resp = await self.client.request(method, path, json=json, params=params, data=data,
                                         headers=sent)
        text = await resp.text()
        body = orjson.loads(text) if text and "json" in resp.content_type else text
        return RestAnswer(resp.status, body, resp.headers)

    async def new_key(self, scopes: str, name: str = "limited") -> str:
        minted = await auth.create_key(self.db, self.tenant_id, name=name, scopes=scopes)
        return minted.key

    async def other_tenant(self) -> "Api":
        return await make_api(self.client)


async def make_api(client: TestClient, plan: str = "pro") -> Api:
    db = client.app[DB]
    tenant = await auth.create_tenant(db, f"tenant-{secrets.token_hex(3)}", plan)
    minted = await auth.create_key(db, tenant["id"], name="test", scopes="all")
    return Api(client, tenant["id"], minted.key, minted.id)


@pytest.fixture
async def client(aiohttp_client: Any, settings: Settings) -> TestClient:
    return await aiohttp_client(create_app(settings))


@pytest.fixture
async def api(client: TestClient) -> AsyncIterator[Api]:
    yield await make_api(client)


@pytest.fixture
def redis_url() -> str:
    url = make_url(REDIS_URL.replace("redis://", "redis+x://", 1))
    if not _tcp_reachable(url.host or "127.0.0.1", url.port or 6379):
        service_unavailable("Redis", f"nothing listens on {url.host}:{url.port}")
    return REDIS_URL


async def quiet_outbox(url: str) -> None:
    """Earlier tests left their changes in this session's database undispatched (their apps
    run no worker); a test whose app runs one starts without them, so it neither waits for
    thousands of other tenants' events to be fanned out first nor sees their pushes."""
    db = Database(url)
    try:
        for attempt in range(6):
            try:
                async with db.write() as conn:
                    await conn.execute(update(events).where(events.c.dispatched_at.is_(None))
                                       .values(dispatched_at=datetime.now(UTC)))
                    await conn.execute(delete(wallet_pushes))
                return
            except OperationalError:
                # SQLite: an earlier test's app, still closing, holds the write lock beyond
                # busy_timeout on a loaded machine. Wait for it rather than fail the setup.
                if attempt == 5:
                    raise
                await asyncio.sleep(2)
    finally:
        await db.dispose()


@pytest.fixture
async def worker_settings(settings: Settings) -> Settings:
    """The test settings with a delivery worker in the app, polling often, from a quiet
    outbox."""
    await quiet_outbox(settings.database_url)
    return settings.model_copy(update={"webhook_worker": True, "webhook_poll_seconds": 0.02})

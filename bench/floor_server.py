"""The floor: a bare aiohttp handler running the validation statement on the raw driver.

Same schema, same statement shape as passgate's hot path (UPDATE ... RETURNING plus the scan
INSERT in one transaction), no SQLAlchemy, no GraphQL. Usage: floor_server.py DB_URL PORT
"""

import asyncio
import secrets
import sys
from datetime import UTC, datetime

import orjson
from aiohttp import web

CONSUME = (
    "UPDATE passes SET usages_count = usages_count + 1, updated_at = :now,"
    " last_scanned_at = :now WHERE code = :code AND tenant_id = :tenant AND state = 'active'"
    " AND (max_usages IS NULL OR usages_count < max_usages)"
    " AND (valid_from IS NULL OR valid_from <= :now)"
    " AND (valid_until IS NULL OR valid_until > :now)"
    " RETURNING id, usages_count, max_usages"
)
SCAN = (
    "INSERT INTO scans (id, tenant_id, pass_id, code, result, scanned_at, usages_after)"
    " VALUES (:id, :tenant, :pass_id, :code, 'accepted', :now, :usages)"
)


def numbered(sql: str, names: list[str]) -> str:
    """Named to asyncpg's $n placeholders."""
    for i, name in enumerate(names, 1):
        sql = sql.replace(f":{name}", f"${i}")
    return sql


def sqlite_app(path: str) -> web.Application:
    import aiosqlite

    lock = asyncio.Lock()
    state: dict = {}

    async def start(app: web.Application):
        conn = await aiosqlite.connect(path, isolation_level=None)
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        state["conn"] = conn
        yield
        await conn.close()

    async def validate(request: web.Request) -> web.Response:
        body = orjson.loads(await request.read())
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        conn = state["conn"]
        async with lock:
            await conn.execute("BEGIN IMMEDIATE")
            cur = await conn.execute(
                CONSUME, {"now": now, "code": body["code"], "tenant": body["tenant"]})
            row = await cur.fetchone()
            await conn.execute(SCAN, {"id": "scn_" + secrets.token_hex(8),
                                      "tenant": body["tenant"], "pass_id": row[0],
                                      "code": body["code"], "now": now, "usages": row[1]})
            await conn.execute("COMMIT")
        return web.Response(body=orjson.dumps({"valid": True, "usages": row[1]}),
                            content_type="application/json")

    app = web.Application()
    app.cleanup_ctx.append(start)
    app.router.add_post("/validate", validate)
    return app


def postgres_app(dsn: str) -> web.Application:
    import asyncpg

    consume = numbered(CONSUME, ["now", "code", "tenant"])
    scan = numbered(SCAN, ["id", "tenant", "pass_id", "code", "now", "usages"])
    state: dict = {}

    async def start(app: web.Application):
        state["pool"] = await asyncpg.create_pool(dsn, min_size=10, max_size=10)
        yield
        await state["pool"].close()

    async def validate(request: web.Request) -> web.Response:
        body = orjson.loads(await request.read())
        now = datetime.now(UTC)
        async with state["pool"].acquire() as conn, conn.transaction():
            row = await conn.fetchrow(consume, now, body["code"], body["tenant"])
            await conn.execute(scan, "scn_" + secrets.token_hex(8), body["tenant"], row["id"],
                               body["code"], now, row["usages_count"])
        return web.Response(body=orjson.dumps({"valid": True, "usages": row["usages_count"]}),
                            content_type="application/json")

    app = web.Application()
    app.cleanup_ctx.append(start)
    app.router.add_post("/validate", validate)
    return app


if __name__ == "__main__":
    url, port = sys.argv[1], int(sys.argv[2])
    if url.startswith("sqlite"):
        app = sqlite_app(url.split(":///", 1)[1])
    else:
        app = postgres_app(url.replace("postgresql+asyncpg://", "postgresql://"))
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)

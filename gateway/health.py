"""Liveness and readiness."""

from aiohttp import web
from sqlalchemy import text

from .errors import json_response
from .keys import DB, REDIS


async def healthz(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready when the database answers (and Redis, when one is configured)."""
    checks: dict[str, str] = {}
    try:
        async with request.app[DB].read() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
    redis = request.app.get(REDIS)
    if redis is not None:
        try:
            await redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"unreachable: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return json_response({"status": "ok" if ok else "unavailable", "checks": checks},
                         200 if ok else 503)

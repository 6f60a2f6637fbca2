"""The aiohttp application factory: every resource opened and closed via ``cleanup_ctx``."""

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web
from redis.asyncio import Redis

from resolvers import qr_visitors
from resolvers.auth import KeyAuthenticator
from resolvers.cors import ListedOrigins
from resolvers.db import Database
from resolvers.outbound import Outbound
from rest_compat import dialects, engine
from schema.context import AppState
from schema.query_limits import QueryLimits
from schema.schema import build_schema

from .background import running
from .cors import add_headers as cors_headers
from .cors import preflight as cors_preflight
from .graphql_view import PassgateGraphQLView, make_context, principal_of
from .health import healthz, readyz
from .idempotency import idempotent_writes
from .keys import (
    CORS_LISTED,
    DB,
    LIMITER,
    METER,
    METRICS,
    REDIS,
    REQUEST_LOGGER,
    SETTINGS,
    STATE,
)
from .metrics import Metrics
from .metrics import handler as metrics_handler
from .middleware import authenticate, enforce_plan_and_limits, envelope
from .migrate import check_migrated
from .public import pass_page
from .qr_redirect import qr_redirect
from .ratelimit import MemoryLimiter, RedisLimiter
from .request_log import RequestLogger, record_request
from .settings import Settings
from .usage import UsageMeter
from .wallet import install as install_wallet
from .wallet_defaults import instance_defaults
from .worker import delivery_worker


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    db = Database(settings.database_url, pool_size=settings.db_pool_size)
    db.outbox = settings.events
    outbound = Outbound(allow_private=settings.webhook_allow_private)
    try:
        await check_migrated(db.engine, settings.database_url)
        app[DB] = db
        app[CORS_LISTED] = ListedOrigins(db)
        app[STATE] = AppState(
            db=db,
            authenticator=KeyAuthenticator(db),
            secret_key=settings.secret,
            public_base_url=settings.public_base_url,
            outbound=outbound,
            wallet_defaults=instance_defaults(settings, settings.secret),
        )
        yield
    finally:
        await outbound.close()
        await db.dispose()


async def _redis_and_limits(app: web.Application) -> AsyncIterator[None]:
    """Redis when configured; the rate limiter on it, or in process without it."""
    settings = app[SETTINGS]
    client = Redis.from_url(settings.redis_url) if settings.redis_url else None
    if client is not None:
        app[REDIS] = client
    if settings.rate_limits:
        app[LIMITER] = (
            RedisLimiter(client, prefix=settings.redis_prefix + "rl:",
                         window=settings.rate_limit_window)
            if client is not None else MemoryLimiter(settings.rate_limit_window)
        )
    try:
        yield
    finally:
        if client is not None:
            await client.aclose()


async def _usage_meter(app: web.Application) -> AsyncIterator[None]:
    """Counts monthly usage; stores it every second and once more on the way out."""
    meter = app[METER] = UsageMeter(app[DB])
    async with running(meter.run()):
        yield
    await meter.flush()


async def _request_logger(app: web.Application) -> AsyncIterator[None]:
    """Stores request logs every second and once more on the way out."""
    if not app[SETTINGS].request_logs:
        yield
        return
    logger = app[REQUEST_LOGGER] = RequestLogger(app[DB])
    async with running(logger.run()):
        yield
    await logger.flush()


async def _warm_parsers(app: web.Application) -> None:
    await asyncio.to_thread(qr_visitors.warm)


async def index(request: web.Request) -> web.Response:
    raise web.HTTPFound("/graphql")


def create_app(settings: Settings | None = None) -> web.Application:
    settings = settings or Settings()
    metrics = Metrics()
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[envelope(metrics, settings.max_body_bytes, observers=(record_request,),
                              api=(cors_preflight, authenticate, enforce_plan_and_limits,
                                   idempotent_writes))],
    )
    app.on_response_prepare.append(cors_headers)
    app.on_startup.append(_warm_parsers)
    app[SETTINGS] = settings
    app[METRICS] = metrics
    app.cleanup_ctx.append(_database)
    app.cleanup_ctx.append(_redis_and_limits)
    app.cleanup_ctx.append(_usage_meter)
    app.cleanup_ctx.append(_request_logger)
    app.cleanup_ctx.append(delivery_worker)
    schema = build_schema(
        introspection=settings.introspection,
        limits=QueryLimits(
            max_depth=settings.max_query_depth,
            max_aliases=settings.max_aliases,
            max_cost=settings.max_query_cost,
            max_root_fields=settings.max_root_fields,
            max_selections=settings.max_selections,
        ),
        max_tokens=settings.max_tokens,
    )
    view = PassgateGraphQLView(
        schema=schema,
        graphql_ide="graphiql" if settings.graphiql else None,
        allow_queries_via_get=True,
    )
    app.router.add_route("*", "/graphql", view)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/p/{code}", pass_page)
    app.router.add_get("/q/{slug}", qr_redirect)
    app.router.add_get("/", index)
    if settings.metrics:
        token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
        app.router.add_get("/metrics", metrics_handler(metrics, token))
    engine.install(app, schema, make_context, principal_of, dialects.ALL,
                   keyless=settings.keyless_dialect)
    install_wallet(app)
    return app

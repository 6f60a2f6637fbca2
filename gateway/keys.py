"""Typed keys for what the aiohttp application and requests carry."""

from typing import TYPE_CHECKING

from aiohttp import web
from redis.asyncio import Redis

from resolvers.auth import Principal
from resolvers.cors import ListedOrigins
from resolvers.db import Database
from schema.context import AppState

from .metrics import Metrics
from .ratelimit import Limiter
from .settings import Settings
from .usage import UsageMeter
from .worker import DeliveryWorker

if TYPE_CHECKING:  # request_log reads these keys on every request: it imports this module
    from .request_log import RequestLogger

SETTINGS = web.AppKey("settings", Settings)
DB = web.AppKey("db", Database)
STATE = web.AppKey("state", AppState)
REDIS = web.AppKey("redis", Redis)
LIMITER = web.AppKey("limiter", Limiter)
METER = web.AppKey("meter", UsageMeter)

REQUEST_ID = web.RequestKey("request_id", str)
PRINCIPAL = web.RequestKey("principal", Principal)
WORKER = web.AppKey("worker", DeliveryWorker)
METRICS = web.AppKey("metrics", Metrics)
CORS_LISTED = web.AppKey("cors_listed", ListedOrigins)
REQUEST_LOGGER: web.AppKey["RequestLogger"] = web.AppKey("request_logger")

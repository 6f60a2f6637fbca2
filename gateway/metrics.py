"""Prometheus metrics at ``GET /metrics`` (text format), one registry per application.

- ``passgate_http_requests_total{route, method, status}`` and
  ``passgate_http_request_duration_seconds{route, method}``: every request, by route template
  (``/api/v1/passes/{id}``, never the id itself);
- ``passgate_rate_limited_total{route}``: 429 answers;
- ``passgate_validations_total{result, reason}``: validations, counted from the outbox by the
  process that dispatches them (sum over processes for the total);
- ``passgate_webhook_deliveries_total{outcome}`` (delivered, retry, failed, disabled) and
  ``passgate_webhook_queue_depth`` (deliveries pending, all tenants);
- ``passgate_subscriptions`` (live GraphQL subscriptions in this process).

Exposure is the operator's choice: ``PASSGATE_METRICS=false`` removes the route;
``PASSGATE_METRICS_TOKEN`` requires ``Authorization: Bearer <token>``; or keep it open and
bind/firewall the port.
"""

import hmac
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from resolvers import deliveries

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("passgate_http_requests", "HTTP requests",
                                ("route", "method", "status"), registry=r)
        self.latency = Histogram(
            "passgate_http_request_duration_seconds", "HTTP request latency",
            ("route", "method"), registry=r,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        self.rate_limited = Counter("passgate_rate_limited", "Requests refused with 429",
                                    ("route",), registry=r)
        self.validations = Counter("passgate_validations", "Validations, from the outbox",
                                   ("result", "reason"), registry=r)
        self.deliveries = Counter("passgate_webhook_deliveries", "Webhook delivery attempts",
                                  ("outcome",), registry=r)
        self.queue_depth = Gauge("passgate_webhook_queue_depth", "Deliveries pending",
                                 registry=r)
        self.subscriptions = Gauge("passgate_subscriptions", "Live GraphQL subscriptions",
                                   registry=r)
        # (route, method, status) -> its children; bounded by routes x methods x statuses
        self._counted: dict[tuple[str, str, int], tuple[Any, Any, Any]] = {}

    def observe_events(self, rows: list[Any]) -> None:
        for row in rows:
            if row.type == "pass.scanned":
                scan = row.data.get("scan") or {}
                self.validations.labels(scan.get("result") or "unknown",
                                        scan.get("reason") or "").inc()

    def count_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """One answered request. The labelled children are kept: ``labels()`` validates and
        locks on every call, a cost every request would pay."""
        key = (route, method, status)
        counted = self._counted.get(key)
        if counted is None:
            counted = self._counted[key] = (
                self.requests.labels(route, method, str(status)),
                self.latency.labels(route, method),
                self.rate_limited.labels(route) if status == 429 else None)
        counted[0].inc()
        counted[1].observe(seconds)
        if counted[2] is not None:
            counted[2].inc()

    def middleware(self, *observers: Callable[[web.Request, int, float], None]) -> Any:
        """Counts and times every request; ``observers`` are told each answer's final status
        and seconds too (the request log), so one middleware times a request once."""
        count = self.count_request

        @web.middleware
        async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
            started = time.perf_counter()
            status = 500
            try:
                response = await handler(request)
                status = response.status
                return response
            except web.HTTPException as exc:
                status = exc.status
                raise
            finally:
                elapsed = time.perf_counter() - started
                resource = request.match_info.route.resource
                count(resource.canonical if resource is not None else "unmatched",
                      request.method, status, elapsed)
                for observer in observers:
                    observer(request, status, elapsed)

        return observe


def handler(metrics: Metrics, token: str | None) -> Handler:
    async def serve_metrics(request: web.Request) -> web.Response:
        if token is not None:
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return web.Response(status=401, text="metrics need Authorization: Bearer "
                                                     "<PASSGATE_METRICS_TOKEN>\n")
        from .keys import STATE

        state = request.app[STATE]
        metrics.queue_depth.set(await deliveries.queue_depth(state.db))
        metrics.subscriptions.set(state.live.count if state.live is not None else 0)
        return web.Response(body=generate_latest(metrics.registry),
                            headers={"Content-Type": CONTENT_TYPE_LATEST})

    return serve_metrics

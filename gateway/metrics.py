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
from bisect import bisect_left
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from resolvers import deliveries

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class RequestStats:
    """``passgate_http_requests_total`` and ``passgate_http_request_duration_seconds``, kept
    in plain dicts and made into metric families only when scraped. prometheus_client's
    labelled children take a lock and several calls per observation: on a cached download
    that was a tenth of the server's time (bench/wallet.py). One event loop counts, so no
    lock is needed; each process has its own, as with prometheus_client."""

    def __init__(self, buckets: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self.buckets = buckets
        self.counts: dict[tuple[str, str, int], int] = {}
        # (route, method) -> [sum of seconds, count in each bucket ..., count above all]
        self.timings: dict[tuple[str, str], list[float]] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        self.counts[key] = self.counts.get(key, 0) + 1
        timing = self.timings.get((route, method))
        if timing is None:
            timing = self.timings[(route, method)] = [0.0] * (len(self.buckets) + 2)
        timing[0] += seconds
        timing[bisect_left(self.buckets, seconds) + 1] += 1  # le: the first bound >= it

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily("passgate_http_requests", "HTTP requests",
                                       labels=("route", "method", "status"))
        for (route, method, status), count in self.counts.items():
            requests.add_metric((route, method, str(status)), count)
        yield requests
        latency = HistogramMetricFamily("passgate_http_request_duration_seconds",
                                        "HTTP request latency", labels=("route", "method"))
        bounds = [*map(str, map(float, self.buckets)), "+Inf"]
        for (route, method), timing in self.timings.items():
            cumulative, total = [], 0.0
            for bound, count in zip(bounds, timing[1:], strict=True):
                total += count
                cumulative.append((bound, total))
            latency.add_metric((route, method), cumulative, timing[0])
        yield latency


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.http = RequestStats()
        r.register(self.http)
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

    def observe_events(self, rows: list[Any]) -> None:
        for row in rows:
            if row.type == "pass.scanned":
                scan = row.data.get("scan") or {}
                self.validations.labels(scan.get("result") or "unknown",
                                        scan.get("reason") or "").inc()

    def count_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """One answered request (``gateway.middleware.envelope`` calls it for every one)."""
        self.http.observe(route, method, status, seconds)
        if status == 429:
            self.rate_limited.labels(route).inc()


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

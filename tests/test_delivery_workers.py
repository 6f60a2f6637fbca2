"""``passgate worker`` processes on PostgreSQL: several share the outbox without delivering an
event twice, and a worker killed mid-delivery leaves the event to be sent again, same id."""

import asyncio
import signal
import subprocess
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import pytest

from tests.receiver import receiving
from tests.servers import PASSGATE, ROOT, cli_env, cli_key, serve

pytestmark = pytest.mark.slow

FAST = {"PASSGATE_WEBHOOK_POLL_SECONDS": "0.02", "PASSGATE_WEBHOOK_RETRY_SCALE": "0.001",
        "PASSGATE_WEBHOOK_ALLOW_PRIVATE": "true"}


@contextmanager
def workers(database_url: str, count: int, **extra: str) -> Iterator[list[subprocess.Popen]]:
    procs = [subprocess.Popen([*PASSGATE, "worker"], cwd=ROOT,
                              env=cli_env(database_url, **FAST, **extra),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for _ in range(count)]
    try:
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


async def gql(base: str, key: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as s:
        async with s.post(f"{base}/graphql", json={"query": query,
                                                   "variables": variables or {}}) as r:
            body = await r.json()
    assert "errors" not in body, body
    return body["data"]


async def subscribe(base: str, key: str, url: str) -> None:
    await gql(base, key, "mutation($u: String!) { createWebhook(input: {url: $u, events: "
                         "[\"pass.*\"]}) { webhook { id } } }", {"u": url})


async def test_two_workers_never_deliver_one_event_twice(pg_url: str):
    owner = cli_key(pg_url, "two-workers", "enterprise")
    with receiving() as receiver, \
            serve(pg_url, ready_timeout=60, PASSGATE_WEBHOOK_WORKER="false",
                  PASSGATE_RATE_LIMITS="false",
                  PASSGATE_WEBHOOK_ALLOW_PRIVATE="true") \
            as (base,), workers(pg_url, 2):
        await subscribe(base, owner["key"], receiver.url)
        codes = []
        for i in range(15):
            made = await gql(base, owner["key"], "mutation($n: String) { createPass(input: "
                             "{type: MULTI, name: $n}) { pass { id code } } }", {"n": f"p{i}"})
            codes.append(made["createPass"]["pass"]["code"])
        doc = "mutation($c: String!) { validatePass(input: {code: $c}) { valid } }"
        await asyncio.gather(*(gql(base, owner["key"], doc, {"c": c}) for c in codes * 3))
        await receiver.until(lambda r: len(r.accepted()) >= 60, timeout=30)
        await asyncio.sleep(0.5)  # a duplicate would arrive now
        ids = Counter(r.headers["webhook-id"] for r in receiver.requests)
        assert len(ids) == 60 and set(ids.values()) == {1}, ids.most_common(3)
        per_pass: dict[str, list[str]] = defaultdict(list)
        for r in receiver.accepted():
            body = r.json
            key = body["data"]["pass"]["id"] if body["type"] == "pass.scanned" else \
                body["data"]["id"]
            per_pass[key].append(body["type"])
        assert all(v == ["pass.created"] + ["pass.scanned"] * 3 for v in per_pass.values())


async def test_a_worker_killed_mid_delivery_sends_the_same_event_again(pg_url: str):
    owner = cli_key(pg_url, "killed-worker", "enterprise")
    arrived, release = threading.Event(), threading.Event()

    def hold_first(r: Any) -> tuple[int, dict[str, str]]:
        if not arrived.is_set():
            arrived.set()
            release.wait(15)
        return 200, {}

    with receiving() as receiver, \
            serve(pg_url, ready_timeout=60, PASSGATE_WEBHOOK_WORKER="false",
                  PASSGATE_WEBHOOK_ALLOW_PRIVATE="true") as (base,):
        receiver.answer = hold_first
        await subscribe(base, owner["key"], receiver.url)
        await gql(base, owner["key"], "mutation { createPass(input: {}) { pass { id } } }")
        with workers(pg_url, 1, PASSGATE_WEBHOOK_LEASE_SECONDS="2") as (first,):
            assert await asyncio.to_thread(arrived.wait, 20), "the first worker never sent"
            first.kill()  # between sending and recording: nothing recorded
            first.wait()
        release.set()
        with workers(pg_url, 1, PASSGATE_WEBHOOK_LEASE_SECONDS="2"):
            await receiver.until(lambda r: len(r.requests) >= 2, timeout=20)
        held, again = receiver.requests[0], receiver.requests[-1]
        assert held.headers["webhook-id"] == again.headers["webhook-id"]
        assert held.body == again.body  # the same event, the same bytes


async def test_two_workers_announce_each_expiry_once(pg_url: str):
    """Both workers sweep every 20 ms while 200 passes end their validity at one instant:
    each pass.expired is written once and delivered once."""
    from datetime import UTC, datetime, timedelta

    owner = cli_key(pg_url, "expiry-workers", "enterprise")
    with receiving() as receiver, \
            serve(pg_url, ready_timeout=60, PASSGATE_WEBHOOK_WORKER="false",
                  PASSGATE_RATE_LIMITS="false",
                  PASSGATE_WEBHOOK_ALLOW_PRIVATE="true") \
            as (base,), workers(pg_url, 2, PASSGATE_SWEEP_SECONDS="0.02"):
        await gql(base, owner["key"], "mutation($u: String!) { createWebhook(input: {url: $u, "
                  "events: [\"pass.expired\"]}) { webhook { id } } }", {"u": receiver.url})
        ends = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
        await gql(base, owner["key"], "mutation($i: CreatePassesInput!) { createPasses(input: "
                  "$i) { count } }", {"i": {"passes": [{"validUntil": ends}] * 200}})
        await receiver.until(lambda r: len(r.accepted()) >= 200, timeout=30)
        await asyncio.sleep(1.0)  # a second announcement would arrive now
        per_pass = Counter(r.json["data"]["id"] for r in receiver.requests)
        assert len(per_pass) == 200 and set(per_pass.values()) == {1}, per_pass.most_common(3)
        written = await gql(base, owner["key"], "{ events(first: 1, filter: {types: "
                            "[\"pass.expired\"]}) { totalCount } }")
        assert written["events"]["totalCount"] == 200

"""Retention: events and finished deliveries older than PASSGATE_EVENT_RETENTION_DAYS are
pruned by the worker (a few seconds here), with their attempts; a pending delivery and its
event never are; younger ones stay."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from gateway.app import create_app
from gateway.settings import Settings
from resolvers.models import webhook_attempts
from tests.conftest import Api, make_api
from tests.receiver import receiving
from tests.test_deliveries import fast, subscribe  # noqa: F401 - fast is a fixture

RETENTION_SECONDS = 3.0
DELIVERIES = """query($id: ID!) { webhook(id: $id) { deliveries(first: 50) {
  nodes { eventId state } } } }"""
EVENTS = "{ events(first: 50) { nodes { id type } } }"
CREATE = "mutation { createPass(input: {}) { pass { id } } }"


@pytest.fixture
async def pruning(aiohttp_client: Any, fast: Settings) -> Api:  # noqa: F811
    """Events kept three seconds; sweeps every 50 ms; the retry schedule shrunk so that ten
    failed tries take under three seconds."""
    app = create_app(fast.model_copy(update={
        "event_retention_days": RETENTION_SECONDS / 86400, "sweep_seconds": 0.05,
        "webhook_retry_scale": 0.00001}))
    return await make_api(await aiohttp_client(app))


async def eventually(check: Callable[[], Awaitable[bool]]) -> None:
    deadline = time.monotonic() + 15.0
    while not await check():
        assert time.monotonic() < deadline, "condition not met in 15 s"
        await asyncio.sleep(0.05)


async def test_finished_deliveries_and_their_events_are_pruned_pending_ones_never(
        pruning: Api):
    api = pruning

    async def deliveries(hook_id: str) -> list[dict[str, Any]]:
        return (await api.gql(DELIVERIES, {"id": hook_id}))["webhook"]["deliveries"]["nodes"]

    async def event_ids() -> set[str]:
        return {e["id"] for e in (await api.gql(EVENTS))["events"]["nodes"]}

    with receiving() as ok, receiving() as failing, receiving() as waiting:
        failing.answer = lambda r: (500, {})
        waiting.answer = lambda r: (503, {"Retry-After": "3600"})
        ok_hook, _ = await subscribe(api, ok.url, ["pass.created"])
        failing_hook, _ = await subscribe(api, failing.url, ["pass.created"])
        waiting_hook, _ = await subscribe(api, waiting.url, ["pass.created"])
        await api.gql(CREATE)
        await ok.until(lambda r: len(r.accepted()) == 1)
        first = ok.accepted()[0].headers["webhook-id"]
        await waiting.until(lambda r: len(r.requests) == 1)
        assert first in await event_ids()

        # Ten tries, then failed; three seconds after creation all but the pending one go.
        await failing.until(lambda r: len(r.requests) == 10)

        async def finished_pruned() -> bool:
            return not await deliveries(ok_hook) and not await deliveries(failing_hook)

        await eventually(finished_pruned)
        assert [(d["eventId"], d["state"]) for d in await deliveries(waiting_hook)] == [
            (first, "PENDING")]
        assert first in await event_ids()  # its pending delivery still needs it
        async with api.db.read() as conn:
            left = await conn.scalar(select(func.count()).select_from(webhook_attempts).where(
                webhook_attempts.c.webhook_id.in_([_raw(ok_hook), _raw(failing_hook)])))
        assert left == 0  # the attempts went with their deliveries

        # A new event and its delivery are young: kept.
        await api.gql(CREATE)
        await ok.until(lambda r: len(r.accepted()) == 2)
        second = ok.accepted()[1].headers["webhook-id"]
        assert [d["eventId"] for d in await deliveries(ok_hook)] == [second]

        # The pending delivery goes with its webhook; then nothing holds the old event.
        await api.gql("mutation($id: ID!) { deleteWebhook(input: {id: $id}) "
                      "{ webhook { id } } }", {"id": waiting_hook})

        async def first_pruned() -> bool:
            return first not in await event_ids()

        await eventually(first_pruned)
        # The webhook events (webhook.created three times, webhook.deleted) age out as well;
        # the second pass's event is still young.
        assert second in await event_ids()


def _raw(global_id: str) -> str:
    from strawberry import relay

    return relay.GlobalID.from_id(global_id).node_id


async def test_retention_zero_keeps_everything(aiohttp_client: Any, fast: Settings):  # noqa: F811
    app = create_app(fast.model_copy(update={"event_retention_days": 0,
                                             "sweep_seconds": 0.05}))
    api = await make_api(await aiohttp_client(app))
    with receiving() as ok:
        hook, _ = await subscribe(api, ok.url, ["pass.created"])
        await api.gql(CREATE)
        await ok.until(lambda r: len(r.accepted()) == 1)
    from gateway.keys import WORKER

    assert app[WORKER].retention is None
    assert len((await api.gql(DELIVERIES, {"id": hook}))["webhook"]["deliveries"]["nodes"]) == 1

"""A webhook gets at most PASSGATE_WEBHOOK_PER_ENDPOINT requests at once from a worker, and
each is sent as soon as it is started: deliveries a claim takes beyond that wait in the
worker, not in the HTTP client's connection pool, where their timeout would run out before
they were sent and a slow but healthy receiver would be logged as failing."""

import threading
import time
from typing import Any

import pytest

from gateway.app import create_app
from gateway.settings import Settings
from tests.conftest import Api, make_api
from tests.receiver import Received, receiving
from tests.test_deliveries import fast, subscribe  # noqa: F401 - fast is a fixture

HOLD = 0.5  # seconds the receiver takes to answer
DELIVERIES = """query($id: ID!) { webhook(id: $id) { deliveries(first: 50) {
  nodes { state attempts } } } }"""


@pytest.fixture
async def slow_api(aiohttp_client: Any, fast: Settings) -> Api:  # noqa: F811
    """Three seconds per request: six times what the receiver needs (a loaded machine
    slows everything), and less than waiting behind the others would take."""
    app = create_app(fast.model_copy(update={"webhook_timeout": 3.0,
                                             "webhook_per_endpoint": 4}))
    return await make_api(await aiohttp_client(app))


async def test_a_slow_receiver_gets_four_at_a_time_and_none_times_out(slow_api: Api):
    api = slow_api
    lock, now, most = threading.Lock(), [0], [0]

    def answer(_: Received) -> tuple[int, dict[str, str]]:
        with lock:
            now[0] += 1
            most[0] = max(most[0], now[0])
        time.sleep(HOLD)
        with lock:
            now[0] -= 1
        return 200, {}

    with receiving() as receiver:
        receiver.answer = answer
        hook, _ = await subscribe(api, receiver.url, ["pass.created"])
        # Twenty passes: twenty queues (one per pass), all due at once.
        await api.gql("mutation { createPasses(input: {passes: ["
                      + ", ".join("{}" for _ in range(20)) + "]}) { count } }")
        await receiver.until(lambda r: len(r.accepted()) >= 20, timeout=30)
    assert most[0] <= 4, f"{most[0]} requests at once"
    nodes = (await api.gql(DELIVERIES, {"id": hook}))["webhook"]["deliveries"]["nodes"]
    assert len(nodes) == 20
    assert {(n["state"], n["attempts"]) for n in nodes} == {("DELIVERED", 1)}

"""The delivery claim with a backlog: its work grows with the backlog, not with its square.

The claim keeps each pass's deliveries in order by taking only the first pending delivery of
a webhook and pass. Asked as an anti-join, PostgreSQL planned it on a fresh table's
statistics as "every pending row for every candidate": 4 million rows read per claim at
2,000 pending, ~20 deliveries/s. These tests build a real backlog (bulk pass creation, the
outbox fanned out to a webhook) and look at how the claim runs.
"""

from datetime import timedelta
from typing import Any

import orjson
import pytest
from sqlalchemy import text

from resolvers import deliveries
from resolvers.timeutil import utcnow
from tests.conftest import make_api

BACKLOG = 1500
BULK = "mutation($i: CreatePassesInput!) { createPasses(input: $i) { count } }"


async def backlog(client: Any) -> tuple[Any, str]:
    """A tenant whose webhook has BACKLOG pending deliveries (nothing sends them: the app's
    worker is off in these tests), and the webhook's id."""
    api = await make_api(client, plan="enterprise")
    made = await api.gql("mutation { createWebhook(input: {url: \"https://hooks.example/in\", "
                         "events: [\"pass.created\"]}) { webhook { id } } }")
    for _ in range(BACKLOG // 500):
        await api.gql(BULK, {"i": {"passes": [{}] * 500}})
    while await deliveries.dispatch(api.db):
        pass
    return api, made["createWebhook"]["webhook"]["id"]


def rows_read(node: dict[str, Any]) -> int:
    """Rows a plan node and its children produced or threw away, over all their loops."""
    loops = node.get("Actual Loops", 1)
    own = (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
           + node.get("Rows Removed by Join Filter", 0)) * loops
    return own + sum(rows_read(child) for child in node.get("Plans", []))


async def test_the_claim_reads_each_pending_row_about_once_on_postgresql(client, backend):
    if backend == "sqlite":
        pytest.skip("SQLite's plan: see the test below")
    api, hook_id = await backlog(client)
    now = utcnow()
    stmt = deliveries._claim_statement(False, now, now + timedelta(minutes=2), 16, frozenset())
    async with api.db.engine.connect() as conn:
        pending = await conn.scalar(text(
            "SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'"))
        sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        plan = await conn.scalar(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}"))
        await conn.rollback()  # EXPLAIN ANALYZE ran the UPDATE: leave no lease behind
    root = (orjson.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
    assert pending >= BACKLOG
    # Linear: each node of a plan sorting every pending row passes each about once (some ten
    # nodes); the quadratic plan read pending² rows (2.25 million here).
    assert rows_read(root) <= 20 * pending, orjson.dumps(root).decode()
    await api.gql("mutation($id: ID!) { deleteWebhook(input: {id: $id}) { webhook { id } } }",
                  {"id": hook_id})


async def test_the_claim_probes_the_pending_order_index_on_sqlite(client, backend):
    """SQLite asks the head-of-queue question as a probe of the pending-order index."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL's plan: see the test above")
    api, hook_id = await backlog(client)
    now = utcnow()
    stmt = deliveries._claim_statement(True, now, now + timedelta(minutes=2), 16, frozenset())
    async with api.db.engine.connect() as conn:
        compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
        plan = [r[-1] for r in await conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]
    probes = [line for line in plan if "earlier" in line]
    assert probes and all("ix_webhook_deliveries_pending_order" in line for line in probes), plan
    await api.gql("mutation($id: ID!) { deleteWebhook(input: {id: $id}) { webhook { id } } }",
                  {"id": hook_id})

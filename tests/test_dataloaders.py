"""Listing passes with their template and customer costs a fixed number of SQL statements;
createPasses makes up to 1,000 passes in one all-or-nothing call."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from tests.fragments import CREATE_TEMPLATE, UPSERT_CUSTOMER

CREATE_PASSES = """
mutation Bulk($input: CreatePassesInput!) { createPasses(input: $input) { count passes { code } } }
"""
LIST = """
query List($n: Int) {
  passes(first: $n) { edges { node { code template { name } customer { email } } } }
}
"""
TOTAL = "query { passes(first: 0) { totalCount } }"
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@contextmanager
def statements(api: Any) -> Iterator[list[str]]:
    """SQL statements the server runs inside the block (transaction control left out)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if not sql.lstrip().upper().startswith(TRANSACTION_CONTROL):
            seen.append(sql)

    engine = api.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def create_linked(api: Any, count: int, tpl_ids: list[str], cus_ids: list[str]
                        ) -> list[str]:
    items = [{"templateId": tpl_ids[i % 5], "customerId": cus_ids[i % 5]} for i in range(count)]
    data = await api.gql(CREATE_PASSES, {"input": {"passes": items}})
    return [p["code"] for p in data["createPasses"]["passes"]]


async def measured_listing(api: Any, n: int) -> tuple[list[dict[str, Any]], list[str]]:
    await api.gql(LIST, {"n": n})  # warm-up: API-key authentication is cached for 1 s
    with statements(api) as seen:
        data = await api.gql(LIST, {"n": n})
    # On a loaded machine the 1 s key cache can expire in between: its reload is not ours.
    seen = [s for s in seen if "api_keys" not in s and "usage_counters" not in s]
    return [e["node"] for e in data["passes"]["edges"]], seen


async def test_listing_relations_costs_constant_statements(api):
    tpl_ids, cus_ids = [], []
    for i in range(5):
        tpl = await api.gql(CREATE_TEMPLATE, {"input": {"name": f"Template {i}"}})
        tpl_ids.append(tpl["createTemplate"]["template"]["id"])
        cus = await api.gql(UPSERT_CUSTOMER, {"input": {"email": f"c{i}@example.com"}})
        cus_ids.append(cus["upsertCustomer"]["customer"]["id"])
    expected: dict[str, tuple[str, str]] = {}
    counts = {}
    for n in (10, 100):
        made = await create_linked(api, n - len(expected), tpl_ids, cus_ids)
        expected.update({c: (f"Template {i % 5}", f"c{i % 5}@example.com")
                         for i, c in enumerate(made)})
        nodes, seen = await measured_listing(api, n)
        assert len(nodes) == n
        got = {p["code"]: (p["template"]["name"], p["customer"]["email"]) for p in nodes}
        assert got == expected
        counts[n] = len(seen)
        assert len(seen) <= 5, seen
    assert counts[100] == counts[10], counts


async def test_create_passes_thousand_in_one_call(api):
    data = await api.gql(CREATE_PASSES, {"input": {"passes": [{"name": f"p{i}"}
                                                               for i in range(1000)]}})
    assert data["createPasses"]["count"] == 1000
    assert len({p["code"] for p in data["createPasses"]["passes"]}) == 1000
    assert (await api.gql(TOTAL))["passes"]["totalCount"] == 1000


async def test_create_passes_over_limit_is_refused(api):
    err = await api.error(CREATE_PASSES, {"input": {"passes": [{}] * 1001}})
    assert err["extensions"]["code"] == "BAD_USER_INPUT", err
    assert err["extensions"]["field"] == "passes", err
    assert (await api.gql(TOTAL))["passes"]["totalCount"] == 0


@pytest.mark.parametrize(("bad", "field"), [
    ({"validFrom": "2030-01-02T00:00:00Z", "validUntil": "2030-01-01T00:00:00Z"},
     "passes[7].validUntil"),
    ({"templateId": "tpl_00000000000000000000000000"}, "passes[7].templateId"),
])
async def test_create_passes_one_bad_item_creates_none(api, bad, field):
    items: list[dict[str, Any]] = [{"name": f"p{i}"} for i in range(20)]
    items[7] = {**items[7], **bad}
    err = await api.error(CREATE_PASSES, {"input": {"passes": items}})
    assert err["extensions"]["code"] == "BAD_USER_INPUT", err
    assert err["extensions"]["field"] == field, err
    assert err["message"].startswith("passes[7]"), err
    assert (await api.gql(TOTAL))["passes"]["totalCount"] == 0

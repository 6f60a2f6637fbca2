"""Documents that would stall the process are refused in milliseconds (issue 9, finding 1);
ordinary and deep-but-cheap documents still run."""

import asyncio
import time

import pytest
from graphql import parse, validate

from gateway.app import create_app
from rest_compat import dialects
from rest_compat.operations import load_operations
from schema.query_limits import QueryLimits, create_rule
from schema.schema import schema
from tests.conftest import make_api


def fragment_bomb(levels: int) -> str:
    """Each fragment spreads the next twice: 2^levels spreads once inlined, ~1 KB of text."""
    parts = ["query Bomb { viewer { ...F0 } }"]
    parts += [f"fragment F{i} on Viewer {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    parts.append(f"fragment F{levels} on Viewer {{ plan }}")
    return "\n".join(parts)


VIEWER = ("tenant { id name plan } key { id name prefix dialect } scopes plan "
          "limits { read write validate admin } tenant { id name plan }")  # 22 selections
ROOT_FIELDS = "{" + " ".join(["viewer { plan }"] * 490) + "}"


async def timed_error(api, query: str) -> tuple[float, dict]:
    """The error, and the CPU time this thread spent getting it: the test server runs on this
    thread's event loop, so that is the server's work (and the client's), which a loaded
    machine does not inflate the way it inflates wall time."""
    started = time.thread_time()
    error = await api.error(query)
    return time.thread_time() - started, error


@pytest.mark.parametrize(("query", "limit"), [
    (fragment_bomb(20), "expandedSelections"),
    (fragment_bomb(30), "expandedSelections"),
    (ROOT_FIELDS, "rootFields"),
])
async def test_stalling_documents_are_refused_in_milliseconds(api, query, limit):
    assert len(query) < 8200
    elapsed, error = await timed_error(api, query)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX", error
    assert error["extensions"]["limit"] == limit
    assert error["extensions"]["value"] > error["extensions"]["maximum"]
    assert elapsed < 1.0, f"refusal took {elapsed:.2f} s"  # before the fix: 2-15 s, or hours


async def test_health_answers_while_bombs_are_in_flight(api):
    async def bomb() -> dict:
        return await api.error(fragment_bomb(30))

    async def health() -> float:
        started = time.perf_counter()
        resp = await api.client.get("/healthz")
        assert resp.status == 200
        return time.perf_counter() - started

    bombs = [asyncio.ensure_future(bomb()) for _ in range(8)]
    await asyncio.sleep(0)
    latencies = await asyncio.gather(*(health() for _ in range(5)))
    errors = await asyncio.gather(*bombs)
    assert {e["extensions"]["code"] for e in errors} == {"QUERY_TOO_COMPLEX"}
    assert max(latencies) < 1.0, latencies


async def test_cost_counts_connection_items_and_names_the_limit(api):
    costly = ("{ passes(first: 100) { edges { node { code template { "
              "passes(first: 100) { edges { node { code } } } } } } } }")
    error = await api.error(costly)
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": "cost",
                                   "value": 20401, "maximum": 10000}
    assert "20401" in error["message"] and "10000" in error["message"]
    cheaper = costly.replace("passes(first: 100) { edges { node { code } } }",
                             "passes(first: 5) { edges { node { code } } }")
    assert (await api.gql(cheaper))["passes"]["edges"] == []


async def test_cost_limit_is_configurable(aiohttp_client, settings):
    settings.max_query_cost = 50
    api = await make_api(await aiohttp_client(create_app(settings)))
    error = await api.error("{ passes { edges { node { code template { name } } } } }")
    # connection 1 + 20 default-sized pages x (edge + node + template)
    assert (error["extensions"]["value"], error["extensions"]["maximum"]) == (61, 50)
    assert (await api.gql("{ passes(first: 10) { edges { node { code } } } }"))["passes"]


async def test_deep_but_cheap_documents_still_run(api):
    template = (await api.gql('mutation { createTemplate(input: {name: "T"}) '
                              '{ template { id } } }'))["createTemplate"]["template"]["id"]
    await api.gql("mutation($t: ID!) { createPass(input: {templateId: $t}) { pass { id } } }",
                  {"t": template})
    hop = "template { passes(first: 1) { edges { node { "
    deep = "{ passes(first: 1) { edges { node { " + hop * 2 + "code" + " }" * 12  # depth 11
    data = await api.gql(deep)
    node = data["passes"]["edges"][0]["node"]
    for _ in range(2):
        node = node["template"]["passes"]["edges"][0]["node"]
    assert node["code"]
    fragments = ("{ viewer { ...A ...B } } fragment A on Viewer { plan ...C } "
                 "fragment B on Viewer { scopes ...C } fragment C on Viewer { tenant { id } }")
    assert (await api.gql(fragments))["viewer"]["tenant"]["id"] == api.tenant_id


@pytest.mark.parametrize(("query", "limit"), [
    ("{ viewer { " + " ".join(["tenant { name }"] * 320) + " } }", "repeats"),
    ("{ viewer { " + " ".join(f"...F{i}" for i in range(41)) + " } } "
     + " ".join(f"fragment F{i} on Viewer {{ tenant {{ name }} }}" for i in range(41)),
     "fragments"),
    ("{ " + " ".join(f"a{i}: viewer {{ {VIEWER} }}" for i in range(25)) + " }", "selections"),
])
async def test_pairwise_work_is_bounded(api, query, limit):
    elapsed, error = await timed_error(api, query)
    assert (error["extensions"]["code"], error["extensions"]["limit"]) == (
        "QUERY_TOO_COMPLEX", limit), error
    assert elapsed < 0.25, f"refusal took {elapsed:.2f} s"  # unbounded: 0.5-0.9 s of validation


async def test_limits_hold_on_get_too(api):
    resp = await api.client.get("/graphql", params={"query": fragment_bomb(30)},
                                headers={"Authorization": f"Bearer {api.key}"})
    body = await resp.json()
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"


def test_every_rest_operation_is_within_the_default_limits():
    rule = create_rule(QueryLimits())
    for dialect in dialects.ALL:
        for name, text in load_operations(dialect.folder, schema._schema).items():
            assert validate(schema._schema, parse(text), [rule]) == [], (dialect.name, name)


async def test_a_megabyte_document_is_refused_without_parsing_it_all(api):
    query = "{" + "viewer { plan } " * 60_000 + "}"  # 960 KB, under the body cap
    elapsed, error = await timed_error(api, query)
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert "more than 2000 tokens" in error["message"]
    assert elapsed < 3.0, f"refusal took {elapsed:.2f} s"  # before the fix: 9.6 s

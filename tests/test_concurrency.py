"""The hot path under contention: exactly the allowed number of uses, never more."""

import asyncio

import aiohttp
import pytest

from tests.fragments import CREATE_PASS, VALIDATE
from tests.servers import cli_key, serve


async def new_code(api, **fields) -> str:
    return (await api.gql(CREATE_PASS, {"input": fields}))["createPass"]["pass"]["code"]


async def burst(api, code: str, n: int, scan_id=None) -> list[dict]:
    async def one() -> dict:
        data = await api.gql(VALIDATE, {"input": {"code": code, "scanId": scan_id}})
        return data["validatePass"]

    return await asyncio.gather(*(one() for _ in range(n)))


async def usages(api, code: str) -> int:
    data = await api.gql("query($c: String!) { pass(code: $c) { usagesCount } }", {"c": code})
    return data["pass"]["usagesCount"]


async def test_200_concurrent_validations_of_a_single_pass_accept_one(api):
    code = await new_code(api)
    results = await burst(api, code, 200)
    assert sum(r["valid"] for r in results) == 1
    assert {r["reason"] for r in results if not r["valid"]} == {"USED_UP"}
    assert await usages(api, code) == 1
    scans = await api.gql("{ scans { totalCount } }")
    assert scans["scans"]["totalCount"] == 200


async def test_50_concurrent_validations_of_a_five_use_pass_accept_five(api):
    code = await new_code(api, type="MULTI", maxUsages=5)
    results = await burst(api, code, 50)
    assert sum(r["valid"] for r in results) == 5
    assert sorted(r["remainingUsages"] for r in results if r["valid"]) == [0, 1, 2, 3, 4]
    assert await usages(api, code) == 5


async def test_concurrent_repeats_of_one_scan_id_consume_once(api):
    code = await new_code(api, type="MULTI", maxUsages=10)
    results = await burst(api, code, 30, scan_id="turnstile-1:42")
    assert all(r["valid"] for r in results)
    assert len({r["scan"]["id"] for r in results}) == 1
    assert await usages(api, code) == 1


async def _fire(urls: list[str], key: str, code: str, n: int) -> list[dict]:
    headers = {"Authorization": f"Bearer {key}"}
    body = {"query": VALIDATE, "variables": {"input": {"code": code}}}
    async with aiohttp.ClientSession(headers=headers) as session:

        async def one(i: int) -> dict:
            async with session.post(f"{urls[i % len(urls)]}/graphql", json=body) as r:
                data = await r.json()
                assert r.status == 200, data
                return data["data"]["validatePass"]

        return await asyncio.gather(*(one(i) for i in range(n)))


async def _create(url: str, key: str, fields: dict) -> str:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as s:
        async with s.post(f"{url}/graphql",
                          json={"query": CREATE_PASS, "variables": {"input": fields}}) as r:
            return (await r.json())["data"]["createPass"]["pass"]["code"]


@pytest.mark.slow
async def test_two_server_processes_on_postgresql(pg_url):
    key = cli_key(pg_url, "two-procs", "pro")["key"]
    with serve(pg_url, count=2) as urls:
        single = await _create(urls[0], key, {})
        results = await _fire(urls, key, single, 200)
        assert sum(r["valid"] for r in results) == 1
        five = await _create(urls[1], key, {"type": "MULTI", "maxUsages": 5})
        results = await _fire(urls, key, five, 50)
        assert sum(r["valid"] for r in results) == 5
        assert max(r["pass"]["usagesCount"] for r in results) == 5

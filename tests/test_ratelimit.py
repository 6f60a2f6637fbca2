"""Plans and rate limits on the GraphQL door: exact counts, honest headers, shared via Redis."""

import asyncio
import json
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import aiohttp
import pytest

from gateway.app import create_app
from gateway.keys import LIMITER, METER
from gateway.ratelimit import MemoryLimiter, RedisLimiter
from resolvers import auth
from resolvers.limits import update_limits
from resolvers.usage import add_usage, get_usage, month_of
from tests.conftest import Api, make_api, service_unavailable
from tests.fragments import VALIDATE
from tests.servers import cli_key, free_port, run_cli, serve

VIEWER = "{ viewer { plan } }"
HOUR = 3600  # a long window: a burst never straddles two windows and flakes


@pytest.fixture
async def client(aiohttp_client, settings):
    settings.rate_limit_window = HOUR
    return await aiohttp_client(create_app(settings))


async def post(api, query: str, variables=None):
    resp = await api.client.post("/graphql", json={"query": query, "variables": variables or {}},
                                 headers={"Authorization": f"Bearer {api.key}"})
    return resp.status, resp.headers, await resp.json()


async def test_free_plan_has_no_api_access(client):
    api = await make_api(client, plan="free")
    status, _, body = await post(api, VIEWER)
    assert status == 403
    assert body["errors"][0]["extensions"]["code"] == "PLAN_LIMIT"
    assert "API access requires the starter plan" in body["errors"][0]["message"]


async def test_burst_admits_exactly_the_limit(client):
    api = await make_api(client, plan="starter")  # 120 reads a minute
    results = await asyncio.gather(*(post(api, VIEWER) for _ in range(130)))
    statuses = [s for s, _, _ in results]
    assert statuses.count(200) == 120 and statuses.count(429) == 10
    _, headers, body = next(r for r in results if r[0] == 429)
    assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert headers["X-RateLimit-Limit"] == "120" and headers["X-RateLimit-Remaining"] == "0"
    assert 1 <= int(headers["Retry-After"]) <= HOUR
    assert int(headers["X-RateLimit-Reset"]) >= int(time.time())


async def test_headers_count_down(client):
    api = await make_api(client, plan="starter")
    remaining = []
    for _ in range(3):
        status, headers, _ = await post(api, VIEWER)
        assert status == 200 and headers["X-RateLimit-Limit"] == "120"
        remaining.append(int(headers["X-RateLimit-Remaining"]))
    assert remaining == [119, 118, 117]


async def test_each_mutation_in_a_document_counts(client):
    api = await make_api(client, plan="starter")  # 60 writes a minute
    three = "mutation { a: createPass(input: {}) { pass { id } } " \
            "b: createPass(input: {}) { pass { id } } c: createPass(input: {}) { pass { id } } }"
    for _ in range(20):
        status, _, body = await post(api, three)
        assert status == 200, body
    status, _, _ = await post(api, "mutation { createPass(input: {}) { pass { id } } }")
    assert status == 429
    status, _, _ = await post(api, VIEWER)  # reads have their own budget
    assert status == 200


async def test_the_ip_budget_is_shared_by_keys(client):
    api = await make_api(client, plan="starter")
    other = await make_api(client, plan="starter")
    await asyncio.gather(*(post(api, VIEWER) for _ in range(120)))
    status, _, _ = await post(api, VIEWER)
    assert status == 429
    status, headers, _ = await post(other, VIEWER)  # same client IP, fresh key
    assert status == 429 and headers["X-RateLimit-Remaining"] == "0"


@pytest.fixture
async def proxied(aiohttp_client, settings, backend, request):
    """Starts the app with the given trusted proxies and a per-IP budget counted in process
    on SQLite and in Redis (RedisLimiter) on PostgreSQL, as a deployment behind a proxy has."""
    if backend == "postgresql":
        settings.redis_url = request.getfixturevalue("redis_url")
        settings.redis_prefix = f"passgate-test-{secrets.token_hex(4)}:"
    settings.rate_limit_window = HOUR

    async def start(trusted: list[str]):
        settings.trusted_proxies = trusted
        client = await aiohttp_client(create_app(settings))
        expected = RedisLimiter if settings.redis_url else MemoryLimiter
        assert type(client.app[LIMITER]) is expected
        return client

    yield start
    if settings.redis_url:
        import redis.asyncio as aioredis

        r = aioredis.from_url(settings.redis_url)
        keys = [k async for k in r.scan_iter(match=f"{settings.redis_prefix}*")]
        if keys:
            await r.delete(*keys)
        await r.aclose()


async def three_reads(client) -> Api:
    """A tenant whose keys (and so the IP buckets they hit) take 3 reads a minute; set before
    its key's first request, so no key cache holds the plan's 120."""
    api = await make_api(client, plan="starter")
    await update_limits(api.db, api.tenant_id, {"read": 3})
    return api


async def read_from(api, forwarded: str):
    resp = await api.client.post("/graphql", json={"query": VIEWER},
                                 headers={"Authorization": f"Bearer {api.key}",
                                          "X-Forwarded-For": forwarded})
    await resp.read()
    return resp.status, resp.headers


async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_ip_budget(proxied):
    client = await proxied(["127.0.0.1/32", "::1/128"])  # the test client's peer
    alice, bob = await three_reads(client), await three_reads(client)
    statuses = [(await read_from(alice, "203.0.113.7"))[0] for _ in range(4)]
    assert statuses == [200] * 3 + [429]
    # another client behind the same proxy is not refused, and counts from its own budget
    status, headers = await read_from(bob, "198.51.100.9")
    assert status == 200 and headers["X-RateLimit-Remaining"] == "2"
    # the IP bucket is the forwarded address's: bob's key from alice's address is refused,
    # also with a forged address before it (the client is the last hop not a trusted proxy)
    for chain in ("203.0.113.7", "198.51.100.20, 203.0.113.7", "10.9.8.7,203.0.113.7, 127.0.0.1"):
        status, headers = await read_from(bob, chain)
        assert status == 429 and headers["X-RateLimit-Remaining"] == "0", chain
    status, headers = await read_from(bob, "198.51.100.9")  # bob's key was not charged
    assert status == 200 and headers["X-RateLimit-Remaining"] == "1"


async def test_forwarded_for_from_an_untrusted_peer_escapes_no_limit(proxied):
    client = await proxied(["10.0.0.0/8"])  # a proxy is trusted, but the peer is not it
    alice, bob = await three_reads(client), await three_reads(client)
    # a new spoofed address each time: all four count on the peer's budget
    statuses = [(await read_from(alice, f"203.0.113.{i}"))[0] for i in range(4)]
    assert statuses == [200] * 3 + [429]
    # a fresh key with a spoofed address still counts on the peer's exhausted budget
    for chain in ("198.51.100.9", "10.0.0.1", "198.51.100.9, 10.0.0.1"):
        status, headers = await read_from(bob, chain)
        assert status == 429 and headers["X-RateLimit-Remaining"] == "0", chain


async def test_window_resets_and_retry_after_is_honest(aiohttp_client, settings):
    settings.rate_limit_window = 2
    api = await make_api(await aiohttp_client(create_app(settings)), plan="starter")
    await asyncio.sleep(2 - time.time() % 2)  # start at the top of a window
    await asyncio.gather(*(post(api, VIEWER) for _ in range(120)))
    status, headers, _ = await post(api, VIEWER)
    assert status == 429
    await asyncio.sleep(int(headers["Retry-After"]) + 0.05)
    status, headers, _ = await post(api, VIEWER)
    assert status == 200 and headers["X-RateLimit-Remaining"] == "119"


async def test_redis_down_fails_open(aiohttp_client, settings):
    settings.redis_url = f"redis://127.0.0.1:{free_port()}/0"
    client = await aiohttp_client(create_app(settings))
    api = await make_api(client, plan="starter")
    statuses = [(await post(api, VIEWER))[0] for _ in range(5)]
    assert statuses == [200] * 5
    assert client.app[LIMITER].failures == 5


@pytest.mark.slow
async def test_two_processes_share_limits_through_redis(pg_url, redis_url):
    key = cli_key(pg_url, "limited", "starter")["key"]
    prefix = f"passgate-test-{secrets.token_hex(4)}:"
    body = {"query": VALIDATE, "variables": {"input": {"code": "NOPE", "dryRun": True}}}
    with serve(pg_url, count=2, PASSGATE_REDIS_URL=redis_url,
               PASSGATE_REDIS_PREFIX=prefix, PASSGATE_RATE_LIMIT_WINDOW=str(HOUR)) as urls:
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {key}"}) as s:

            async def one(i: int) -> int:
                async with s.post(f"{urls[i % 2]}/graphql", json=body) as r:
                    await r.read()
                    return r.status

            statuses = await asyncio.gather(*(one(i) for i in range(100)))
    assert statuses.count(200) == 60 and statuses.count(429) == 40  # starter: 60 validations
    import redis.asyncio as aioredis

    r = aioredis.from_url(redis_url)
    keys = [k async for k in r.scan_iter(match=f"{prefix}*")]
    if keys:
        await r.delete(*keys)
    await r.aclose()


LIMITS = """mutation($input: UpdateTenantLimitsInput!) {
  updateTenantLimits(input: $input) { effective { read write validate admin } overridden } }"""


async def test_tenant_and_key_overrides(client):
    api = await make_api(client, plan="starter")
    data = await api.gql(LIMITS, {"input": {"read": 5, "validate": 5000}})
    assert data["updateTenantLimits"] == {
        "effective": {"read": 5, "write": 60, "validate": 5000, "admin": 30},
        "overridden": ["read", "validate"],
    }
    scanner = await auth.create_key(api.db, api.tenant_id, name="scanner", scopes="all")
    data = await api.gql(LIMITS, {"input": {"keyId": scanner.id, "read": 2}})
    assert data["updateTenantLimits"]["effective"]["read"] == 2
    await asyncio.sleep(1.05)  # keys are cached for a second
    viewer = await api.gql("{ viewer { limits { read validate } } }")
    assert viewer["viewer"]["limits"] == {"read": 5, "validate": 5000}
    statuses = [(await post(api, VIEWER))[0] for _ in range(5)]
    assert statuses == [200] * 4 + [429]  # the viewer query above was the first of five
    data = await api.gql(LIMITS, {"input": {"read": None}}, key=scanner.key)
    assert data["updateTenantLimits"]["effective"]["read"] == 120


async def test_limit_changes_need_admin_and_sane_values(client):
    api = await make_api(client, plan="starter")
    writer = await api.new_key("passes:write")
    err = await api.error(LIMITS, {"input": {"read": 10}}, key=writer)
    assert err["extensions"]["code"] == "FORBIDDEN"
    err = await api.error(LIMITS, {"input": {"read": 0}})
    assert err["extensions"] == {"code": "BAD_USER_INPUT", "field": "read"}
    err = await api.error(LIMITS, {"input": {"keyId": "key_nope", "read": 10}})
    assert err["extensions"]["code"] == "NOT_FOUND"
    other = await make_api(client, plan="starter")
    err = await api.error(LIMITS, {"input": {"keyId": other.key_id, "read": 10}})
    assert err["extensions"]["code"] == "NOT_FOUND"


def test_cli_sets_and_clears_limits(db_url):
    tenant = json.loads(run_cli(db_url, "tenants", "create", "cli-limits", "--plan", "team",
                                "--json").stdout)
    out = json.loads(run_cli(db_url, "tenants", "limits", tenant["id"], "--read", "7").stdout)
    assert out == {"overrides": {"read": 7},
                   "effective": {"read": 7, "write": 600, "validate": 3000, "admin": 120}}
    out = json.loads(run_cli(db_url, "tenants", "limits", "cli-limits", "--clear", "read").stdout)
    assert out["overrides"] == {} and out["effective"]["read"] == 1200
    bad = run_cli(db_url, "tenants", "limits", tenant["id"], "--write", "0", check=False)
    assert bad.returncode != 0 and "write must be at least 1" in bad.stderr


@contextmanager
def private_redis(port: int) -> Iterator[subprocess.Popen]:
    """A redis-server of the test's own, on its own port (never the machine's shared one)."""
    binary = shutil.which("redis-server")
    if binary is None:
        service_unavailable("redis-server", "the binary is not installed")
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        yield proc
    finally:
        proc.kill()
        proc.wait()


async def test_killing_redis_mid_run_keeps_serving_and_limits_resume(aiohttp_client, settings):
    port = free_port()
    settings.redis_url = f"redis://127.0.0.1:{port}/0"
    settings.rate_limit_window = HOUR
    with private_redis(port):
        client = await aiohttp_client(create_app(settings))
        api = await make_api(client, plan="starter")
        statuses = [(await post(api, VIEWER))[0] for _ in range(3)]
        assert statuses == [200] * 3
        limiter = client.app[LIMITER]
        assert limiter.failures == 0
    # Redis is gone: requests are still served, counted in process and logged.
    statuses = [(await post(api, VIEWER))[0] for _ in range(3)]
    assert statuses == [200] * 3 and limiter.failures == 3
    with private_redis(port):  # back (empty): Redis counts again
        await asyncio.sleep(0.2)
        status, headers, _ = await post(api, VIEWER)
        assert status == 200 and headers["X-RateLimit-Remaining"] == "119"
        assert limiter.failures == 3


async def test_plan_caps_the_passes_a_tenant_keeps(client):
    api = await make_api(client, plan="starter")  # keeps at most 1,000 passes
    bulk = "mutation($n: [CreatePassInput!]!) { createPasses(input: {passes: $n}) { count } }"
    assert (await api.gql(bulk, {"n": [{}] * 999}))["createPasses"]["count"] == 999
    one = "mutation { createPass(input: {}) { pass { id } } }"
    last = (await api.gql(one))["createPass"]["pass"]["id"]
    err = await api.error(one)
    assert err["extensions"]["code"] == "PLAN_LIMIT"
    assert "starter plan keeps at most 1000 passes" in err["message"]
    err = await api.error(bulk, {"n": [{}] * 2})
    assert err["extensions"]["code"] == "PLAN_LIMIT"
    viewer = await api.gql("{ viewer { planDetails { name maxPasses passesKept } } }")
    assert viewer["viewer"]["planDetails"] == {"name": "starter", "maxPasses": 1000,
                                               "passesKept": 1000}
    await api.gql(f'mutation {{ deletePass(input: {{id: "{last}"}}) {{ pass {{ id }} }} }}')
    assert (await api.gql(one))["createPass"]["pass"]["id"]


async def test_concurrent_creates_never_pass_the_plan_cap(client):
    api = await make_api(client, plan="starter")
    bulk = "mutation($n: [CreatePassInput!]!) { createPasses(input: {passes: $n}) { count } }"
    await api.gql(bulk, {"n": [{}] * 990})
    one = "mutation { createPass(input: {}) { pass { id } } }"
    results = await asyncio.gather(*(api.post(one) for _ in range(25)))
    codes = [b["errors"][0]["extensions"]["code"] if "errors" in b else "OK" for _, b in results]
    assert codes.count("OK") == 10 and codes.count("PLAN_LIMIT") == 15


async def test_monthly_quotas_are_durable_and_enforced(client):
    api = await make_api(client, plan="starter")  # 50,000 calls, 20,000 validations a month
    month = month_of(datetime.now(UTC))
    await add_usage(api.db, {(api.tenant_id, month): (49_998, 19_999)})
    doc = ("{ viewer { planDetails { usage { month apiCalls validations monthlyApiCallsQuota "
           "resetsAt } } } }")
    usage = (await api.gql(doc))["viewer"]["planDetails"]["usage"]  # call 49,999
    assert usage["month"] == month and usage["monthlyApiCallsQuota"] == 50_000
    assert usage["apiCalls"] == 49_998 and usage["validations"] == 19_999
    dry = {"input": {"code": "NOPE", "dryRun": True}}
    assert (await api.gql(VALIDATE, dry))["validatePass"]["reason"] == "NOT_FOUND"  # 50,000
    status, _, body = await post(api, "{ viewer { plan } }")
    assert status == 403
    assert body["errors"][0]["extensions"]["code"] == "PLAN_LIMIT"
    assert "monthly API calls quota of the starter plan reached (50000)" in \
        body["errors"][0]["message"]
    assert "resets at" in body["errors"][0]["message"]
    await client.app[METER].flush()
    assert (await get_usage(api.db, api.tenant_id, month))["api_calls"] == 50_000
    assert (await get_usage(api.db, api.tenant_id, month))["validations"] == 20_000


async def test_validation_quota_refuses_validations_only(client):
    api = await make_api(client, plan="starter")
    await add_usage(api.db, {(api.tenant_id, month_of(datetime.now(UTC))): (0, 20_000)})
    status, _, body = await post(api, VALIDATE, {"input": {"code": "NOPE", "dryRun": True}})
    assert status == 403 and "monthly validations quota" in body["errors"][0]["message"]
    status, _, _ = await post(api, "{ viewer { plan } }")
    assert status == 200

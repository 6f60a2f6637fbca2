"""API keys: how they are sent, stored, scoped and revoked."""

import asyncio
import hashlib
import json

import aiohttp
import pytest
from sqlalchemy import select

from resolvers import auth
from resolvers.models import api_keys
from tests.servers import cli_key, run_cli, serve

VIEWER = "{ viewer { tenant { id name plan } plan key { id name prefix } scopes } }"


async def test_bearer_and_x_api_key_both_work(api):
    for headers in ({"Authorization": f"Bearer {api.key}"}, {"X-API-KEY": api.key}):
        resp = await api.client.post("/graphql", json={"query": VIEWER}, headers=headers)
        body = await resp.json()
        assert resp.status == 200, body
        assert body["data"]["viewer"]["tenant"]["id"] == api.tenant_id
        assert body["data"]["viewer"]["key"]["prefix"] == api.key[:8]


async def test_missing_and_invalid_keys_are_401_with_json(api):
    cases = [
        ({}, "missing API key"),
        ({"Authorization": "Bearer pgk_notarealkey"}, "invalid or revoked"),
        ({"Authorization": "Basic abc"}, "invalid or revoked"),
        ({"X-API-KEY": api.key + "x"}, "invalid or revoked"),
    ]
    for headers, message in cases:
        resp = await api.client.post("/graphql", json={"query": VIEWER}, headers=headers)
        assert resp.status == 401
        body = await resp.json()
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert message in body["errors"][0]["message"]
        assert api.key not in await resp.text()


async def test_keys_are_stored_hashed_with_prefix_and_last4(api):
    async with api.db.read() as conn:
        row = (await conn.execute(select(api_keys).where(api_keys.c.id == api.key_id))).one()
    assert row.key_hash == hashlib.sha256(api.key.encode()).hexdigest()
    assert api.key not in [str(v) for v in row]
    assert (row.prefix, row.last4) == (api.key[:8], api.key[-4:])
    assert len(api.key) >= len("pgk_") + 32


async def test_revoked_key_is_refused(api):
    spare = await auth.create_key(api.db, api.tenant_id, name="spare", scopes="all")
    status, _ = await api.post(VIEWER, key=spare.key)
    assert status == 200
    await auth.revoke_key(api.db, spare.id)
    await asyncio.sleep(1.1)  # the in-process key cache lives one second
    status, body = await api.post(VIEWER, key=spare.key)
    assert status == 401 and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_missing_scope_is_forbidden(api):
    key = await api.new_key("passes:read")
    data = await api.gql(VIEWER, key=key)
    assert data["viewer"]["scopes"] == ["passes:read"]
    err = await api.error('mutation { createPass(input: {}) { pass { id } } }', key=key)
    assert err["extensions"]["code"] == "FORBIDDEN"
    assert "passes:write" in err["message"]
    err = await api.error("{ templates { totalCount } }", key=key)
    assert err["extensions"]["code"] == "FORBIDDEN"
    assert (await api.gql("{ passes { totalCount } }", key=key))["passes"]["totalCount"] == 0


async def test_wildcard_scopes_expand(api):
    key = await api.new_key("templates:*")
    data = await api.gql(VIEWER, key=key)
    assert data["viewer"]["scopes"] == ["templates:read", "templates:write"]


async def test_last_used_at_is_recorded(api):
    async with api.db.read() as conn:
        before = (await conn.execute(select(api_keys.c.last_used_at)
                                     .where(api_keys.c.id == api.key_id))).scalar()
    assert before is None
    await api.gql(VIEWER)
    async with api.db.read() as conn:
        after = (await conn.execute(select(api_keys.c.last_used_at)
                                    .where(api_keys.c.id == api.key_id))).scalar()
    assert after is not None


@pytest.mark.slow
async def test_revocation_reaches_every_process_within_a_second(pg_url):
    key = cli_key(pg_url, "revoking", "pro")
    with serve(pg_url, count=2) as urls:
        async with aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {key['key']}"}
        ) as session:

            async def statuses() -> list[int]:
                out = []
                for url in urls:
                    async with session.post(f"{url}/graphql", json={"query": VIEWER}) as r:
                        out.append(r.status)
                return out

            assert await statuses() == [200, 200]  # both processes have the key cached
            run_cli(pg_url, "keys", "revoke", key["id"])
            await asyncio.sleep(1.05)
            assert await statuses() == [401, 401]


ROTATE = """mutation($input: RotateApiKeyInput!) { rotateApiKey(input: $input) {
  secret previousKeyExpiresAt key { id name prefix } } }"""


async def test_rotation_keeps_the_old_key_for_the_grace_period(api):
    gate = await auth.create_key(api.db, api.tenant_id, name="gate", scopes="scans:write")
    data = (await api.gql(ROTATE, {"input": {"graceSeconds": 2}}, key=gate.key))["rotateApiKey"]
    new_key = data["secret"]
    assert new_key != gate.key and data["key"]["name"] == "gate"
    assert data["key"]["prefix"] == new_key[:8]
    viewer = await api.gql(VIEWER, key=new_key)
    assert viewer["viewer"]["scopes"] == ["scans:write"]
    assert (await api.post(VIEWER, key=gate.key))[0] == 200  # still inside the grace period
    await asyncio.sleep(3.1)  # grace, then the one-second key cache
    status, body = await api.post(VIEWER, key=gate.key)
    assert status == 401 and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await api.post(VIEWER, key=new_key))[0] == 200


async def test_rotating_another_key_needs_admin(api):
    a = await auth.create_key(api.db, api.tenant_id, name="a", scopes="passes:read")
    b = await auth.create_key(api.db, api.tenant_id, name="b", scopes="passes:read")
    err = await api.error(ROTATE, {"input": {"id": b.id}}, key=a.key)
    assert err["extensions"]["code"] == "FORBIDDEN"
    data = (await api.gql(ROTATE, {"input": {"id": b.id}}))["rotateApiKey"]
    assert data["key"]["name"] == "b"
    other = await api.other_tenant()
    err = await api.error(ROTATE, {"input": {"id": other.key_id}})
    assert err["extensions"]["code"] == "NOT_FOUND"
    err = await api.error(ROTATE, {"input": {"graceSeconds": -1}})
    assert err["extensions"] == {"code": "BAD_USER_INPUT", "field": "graceSeconds"}


def test_cli_rotates_keys(db_url):
    key = cli_key(db_url, "rotating", "pro")
    out = json.loads(run_cli(db_url, "keys", "rotate", key["id"], "--grace", "60",
                             "--json").stdout)
    assert out["key"].startswith(out["prefix"]) and out["id"] != key["id"]
    assert out["scopes"] == key["scopes"] and out["previous_expires_at"]
    bad = run_cli(db_url, "keys", "rotate", "key_nope", check=False)
    assert bad.returncode != 0 and "no API key" in bad.stderr

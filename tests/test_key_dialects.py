"""Keys minted for a dialect, through the CLI and GraphQL's createApiKey: how they look, who
may mint them, and that each works on its own door."""

import json

import orjson

from rest_compat.accessgrid.signature import sign, signed_payload
from tests.servers import run_cli

CREATE = """mutation($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { secret accountId key { id name prefix dialect } } }"""


async def test_create_api_key_per_dialect(api):
    pe = (await api.gql(CREATE, {"input": {"name": "pe", "dialect": "passengine"}}))
    pe = pe["createApiKey"]
    assert pe["secret"].startswith("2pk_") and pe["accountId"] is None
    assert pe["key"]["dialect"] == "passengine" and pe["key"]["prefix"] == pe["secret"][:8]
    created = await api.rest("POST", "/api/v1/passes", {"type": "single"}, key=pe["secret"])
    assert created.status == 201 and "data" not in created.body  # PassEngine's bare object

    ag = (await api.gql(CREATE, {"input": {"name": "ag", "dialect": "accessgrid",
                                           "scopes": ["passes:read"]}}))["createApiKey"]
    assert ag["accountId"].startswith("acct_")
    query = {"sig_payload": '{"id": "key-cards"}'}
    signature = sign(ag["secret"], signed_payload("GET", query["sig_payload"], b""))
    listed = await api.client.get("/v1/key-cards", params=query,
                                  headers={"X-ACCT-ID": ag["accountId"],
                                           "X-PAYLOAD-SIG": signature})
    assert listed.status == 200, await listed.text()
    assert (await listed.json())["status"] == "success"
    forged = await api.client.get("/v1/key-cards", params=query,
                                  headers={"X-ACCT-ID": ag["accountId"],
                                           "X-PAYLOAD-SIG": "0" * 64})
    assert forged.status == 401 and "message" in await forged.json()

    # The secret is kept sealed, never in plain text.
    async with api.db.read() as conn:
        stored = (await conn.exec_driver_sql(
            "SELECT secret_ciphertext, key_hash FROM api_keys WHERE account_id = "
            f"'{ag['accountId']}'")).one()
    assert ag["secret"] not in stored[0] and ag["secret"] not in stored[1]


async def test_create_api_key_needs_admin_and_a_known_dialect(api):
    limited = await api.new_key("passes:read passes:write")
    error = await api.error(CREATE, {"input": {"name": "x"}}, key=limited)
    assert error["extensions"]["code"] == "FORBIDDEN" and "admin" in error["message"]
    error = await api.error(CREATE, {"input": {"name": "x", "dialect": "klingon"}})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "dialect"}
    assert "passengine" in error["message"]


def test_cli_mints_dialect_keys(db_url):
    tenant = json.loads(run_cli(db_url, "tenants", "create", "dialects", "--plan", "pro",
                                "--json").stdout)
    pe = json.loads(run_cli(db_url, "keys", "create", "--tenant", tenant["id"], "--dialect",
                            "passengine", "--json").stdout)
    assert set(pe) == {"id", "key", "prefix", "scopes", "dialect"}
    assert pe["key"].startswith("2pk_") and pe["dialect"] == "passengine"
    ag = json.loads(run_cli(db_url, "keys", "create", "--tenant", tenant["id"], "--dialect",
                            "accessgrid", "--json").stdout)
    assert set(ag) == {"id", "prefix", "scopes", "dialect", "account_id", "secret_key"}
    text = run_cli(db_url, "keys", "create", "--tenant", tenant["id"], "--dialect",
                   "accessgrid").stdout
    assert "account_id: acct_" in text and "secret_key (shown once): " in text
    bad = run_cli(db_url, "keys", "create", "--tenant", tenant["id"], "--dialect", "x",
                  check=False)
    assert bad.returncode != 0 and "passengine" in bad.stderr
    listed = orjson.loads(run_cli(db_url, "keys", "list", "--tenant", tenant["id"],
                                  "--json").stdout)
    assert {k["dialect"] for k in listed} == {"passengine", "accessgrid"}
    assert all("secret_ciphertext" not in k and "key_hash" not in k for k in listed)

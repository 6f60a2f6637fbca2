"""A rotated key in its grace period keeps its usual calls but cannot mint keys: neither
rotate itself (again) nor create keys, so a leaked key never outlives its rotation. A key is
rotated once, also when two rotations race."""

import asyncio
import json

from sqlalchemy import func, select

from resolvers.models import api_keys
from tests.conftest import Api
from tests.servers import cli_key, run_cli

VIEWER = "{ viewer { key { id } scopes } }"
ROTATE = """mutation($input: RotateApiKeyInput!) { rotateApiKey(input: $input) {
  secret previousKeyExpiresAt key { id } } }"""
CREATE = """mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
  secret key { id } } }"""


async def test_a_key_in_its_grace_period_cannot_mint_keys(api: Api) -> None:
    rotated = (await api.gql(ROTATE, {"input": {"graceSeconds": 600}}))["rotateApiKey"]
    new_key, old_key = rotated["secret"], api.key

    # Its usual calls still work during the grace period.
    assert (await api.gql(VIEWER, key=old_key))["viewer"]["key"]["id"] == api.key_id
    created = await api.gql("mutation { createPass(input: {}) { pass { id } } }", key=old_key)
    assert created["createPass"]["pass"]["id"]

    for document, variables in (
        (ROTATE, {"input": {}}),
        (ROTATE, {"input": {"id": api.key_id}}),
        (ROTATE, {"input": {"id": rotated["key"]["id"]}}),  # nor its replacement
        (CREATE, {"input": {"name": "backdoor"}}),
    ):
        err = await api.error(document, variables, key=old_key)
        assert err["extensions"]["code"] == "FORBIDDEN", err
        assert "was rotated" in err["message"] and "use the key that replaced it" in \
            err["message"], err

    # Nothing was minted by those attempts: the tenant holds the two keys it had.
    listing = await api.gql("{ viewer { key { id } } }", key=new_key)
    assert listing["viewer"]["key"]["id"] == rotated["key"]["id"]
    async with api.db.read() as conn:
        count = await conn.scalar(select(func.count()).select_from(api_keys)
                                  .where(api_keys.c.tenant_id == api.tenant_id))
    assert count == 2

    # The replacement is a lasting key: it can rotate and mint as before.
    err = await api.error(ROTATE, {"input": {"id": api.key_id}}, key=new_key)
    assert err["extensions"]["code"] == "CONFLICT", err
    assert f"API key {api.key_id} was already rotated" in err["message"]
    again = (await api.gql(ROTATE, {"input": {}}, key=new_key))["rotateApiKey"]
    assert again["secret"] not in (new_key, old_key)
    minted = (await api.gql(CREATE, {"input": {"name": "ok"}}, key=again["secret"]))
    assert minted["createApiKey"]["secret"]


async def test_concurrent_rotations_of_one_key_make_one_replacement(api: Api) -> None:
    other = await api.new_key("passes:read", name="door")
    key_id = (await api.gql(VIEWER, key=other))["viewer"]["key"]["id"]
    answers = await asyncio.gather(*(
        api.post(ROTATE, {"input": {"id": key_id, "graceSeconds": 60}}) for _ in range(10)))
    codes = sorted(b["errors"][0]["extensions"]["code"] if "errors" in b else "OK"
                   for _, b in answers)
    assert codes == ["CONFLICT"] * 9 + ["OK"], codes


def test_cli_refuses_to_rotate_a_rotated_key(db_url: str) -> None:
    key = cli_key(db_url, "rotated-twice", "pro")
    run_cli(db_url, "keys", "rotate", key["id"], "--grace", "60", "--json")
    again = run_cli(db_url, "keys", "rotate", key["id"], check=False)
    assert again.returncode != 0
    assert f"API key {key['id']} was already rotated" in again.stderr, again.stderr
    listed = json.loads(run_cli(db_url, "keys", "list", "--tenant", "rotated-twice",
                                "--json").stdout)
    assert len(listed) == 2

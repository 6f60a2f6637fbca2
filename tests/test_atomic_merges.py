"""Merging writes are atomic: 50 pairs of concurrent PATCHes of different fields of one object
keep both changes on every route that merges (The Wallet Crew's two pass PATCHes, AccessGrid's
key-card PATCH and card-template PUT, GraphQL's merge patches), on SQLite and PostgreSQL."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import Api, make_api
from tests.test_rest_accessgrid import signed_for
from tests.test_rest_walletcrew import Wc, new_pass, template

PAIRS = 50
PASS_OF = "query($id: ID!) { pass(id: $id) { metadata attributes } }"
Send = Callable[[int, str], Awaitable[int]]
Read = Callable[[], Awaitable[dict[str, Any]]]


@pytest.fixture
async def api(client: TestClient) -> Api:
    """Enterprise: its write limit leaves room for a few hundred PATCHes a minute."""
    return await make_api(client, plan="enterprise")


async def lost_of_pairs(send: Send, read: Read, ok: int) -> list[str]:
    """For each of PAIRS rounds, send sides ``a`` and ``b`` at once (they change different
    fields to ``a{i}`` / ``b{i}``), then read: the fields that do not hold their round's
    value are lost updates."""
    lost: list[str] = []
    for i in range(PAIRS):
        statuses = await asyncio.gather(send(i, "a"), send(i, "b"))
        assert list(statuses) == [ok, ok], statuses
        got = await read()
        lost += [f"{side}{i}" for side in ("a", "b") if got.get(side) != f"{side}{i}"]
    return lost


async def test_walletcrew_pass_patches_lose_nothing(api: Api) -> None:
    wc = Wc(api)
    await template(api, "Loyalty")
    pass_id = await new_pass(wc, identifiers={"customerId": "C-1"}, metadata={"keep": 1})

    async def read() -> dict[str, Any]:
        got = (await wc("GET", f"/passes/{pass_id}")).body
        assert got["metadata"]["keep"] == 1 and got["identifiers"]["customerId"] == "C-1", got
        return {"a": got["metadata"].get("a"), "b": got["identifiers"].get("b")}

    async def by_path(i: int, side: str) -> int:
        # Metadata and identifiers are kept in one JSON column: the pair races on it.
        body = {"metadata": {"a": f"a{i}"}} if side == "a" else {"identifiers": {"b": f"b{i}"}}
        return (await wc("PATCH", f"/passes/{pass_id}", body)).status

    async def by_identifiers(i: int, side: str) -> int:
        body = {"metadata": {"a": f"a{i}"}} if side == "a" else {"identifiers": {"b": f"b{i}"}}
        return (await wc("PATCH", "/passes", body, params={"id.customerId": "C-1"})).status

    assert await lost_of_pairs(by_path, read, 204) == []
    assert await lost_of_pairs(by_identifiers, read, 204) == []

    async def read_data() -> dict[str, Any]:
        return (await wc("GET", f"/passes/{pass_id}")).body["additionalData"]

    async def additional(i: int, side: str) -> int:
        return (await wc("PATCH", f"/passes/{pass_id}",
                         {"additionalData": {side: f"{side}{i}"}})).status

    assert await lost_of_pairs(additional, read_data, 204) == []


async def test_accessgrid_card_patches_and_template_puts_lose_nothing(api: Api) -> None:
    send = await signed_for(api)
    status, tpl = await send("POST", "/v1/console/card-templates",
                             {"name": "Door", "support_email": "help@example.com"})
    assert status == 200, tpl
    status, card = await send("POST", "/v1/key-cards", {
        "card_template_id": tpl["id"], "full_name": "Jane", "employee_id": "E-1"})
    assert status == 200, card

    async def read_card() -> dict[str, Any]:
        _, got = await send("GET", f"/v1/key-cards/{card['id']}")
        assert got["employee_id"] == "E-1", got
        return {"a": got.get("title"), "b": got.get("department")}

    async def patch_card(i: int, side: str) -> int:
        field = "title" if side == "a" else "department"
        return (await send("PATCH", f"/v1/key-cards/{card['id']}", {field: f"{side}{i}"}))[0]

    assert await lost_of_pairs(patch_card, read_card, 200) == []

    async def read_template() -> dict[str, Any]:
        _, got = await send("GET", f"/v1/console/card-templates/{tpl['id']}")
        assert got["support_settings"]["support_email"] == "help@example.com", got
        return {"a": got["support_settings"].get("support_url"),
                "b": got["terms_settings"].get("privacy_policy_url")}

    async def put_template(i: int, side: str) -> int:
        field = "support_url" if side == "a" else "privacy_policy_url"
        return (await send("PUT", f"/v1/console/card-templates/{tpl['id']}",
                           {field: f"{side}{i}"}))[0]

    assert await lost_of_pairs(put_template, read_template, 200) == []


async def test_graphql_merge_patches_lose_nothing(api: Api) -> None:
    created = await api.gql("mutation { createPass(input: {metadata: {keep: 1}}) "
                            "{ pass { id } } }")
    pass_id = created["createPass"]["pass"]["id"]
    update = ("mutation($id: ID!, $m: JSON) { updatePass(input: {id: $id, "
              "metadataPatch: $m}) { pass { id } } }")

    async def send(i: int, side: str) -> int:
        status, body = await api.post(update, {"id": pass_id, "m": {side: f"{side}{i}"}})
        assert "errors" not in body, body
        return status

    async def read() -> dict[str, Any]:
        data = (await api.gql(PASS_OF, {"id": pass_id}))["pass"]
        assert data["metadata"]["keep"] == 1
        return data["metadata"]

    assert await lost_of_pairs(send, read, 200) == []

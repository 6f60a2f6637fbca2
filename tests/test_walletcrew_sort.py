"""The Wallet Crew's ``sortBy[i].field|direction`` on GET /passes, every documented field (id,
passType, creationDate, lastUpdateDate, apple, google, identifiers.<key>, metadata.<key>),
ASC by default, several keys, across pages and long pages; and the graph's ``orderBy``."""

from typing import Any

from tests.conftest import Api
from tests.test_rest_walletcrew import Wc, new_pass, problem, template
from tests.test_wallet_passkit import Device, pass_json
from tests.wallet_certs import configure_apple


def sort(*keys: tuple[str, str | None], **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = dict(extra)
    for i, (field, direction) in enumerate(keys):
        out[f"sortBy[{i}].field"] = field
        if direction is not None:
            out[f"sortBy[{i}].direction"] = direction
    return out


async def listed(wc: Wc, *keys: tuple[str, str | None], **extra: Any) -> list[str]:
    answer = await wc("GET", "/passes", params=sort(*keys, **extra))
    assert answer.status == 200, answer.body
    return [p["id"] for p in answer.body]


async def test_every_documented_sort_field(api: Api) -> None:
    wc = Wc(api)
    await template(api, "Loyalty")
    await template(api, "Event")
    a = await new_pass(wc, identifiers={"customerId": "C-3"}, metadata={"rank": "b"})
    b = await new_pass(wc, "Event", identifiers={"customerId": "C-1"}, metadata={"rank": "a"})
    c = await new_pass(wc, identifiers={"customerId": "C-2"}, metadata={"rank": "c"})
    d = await new_pass(wc, "Event")  # no identifier, no rank: sorts last either way
    newest_first = [d, c, b, a]
    assert await listed(wc) == newest_first
    assert await listed(wc, ("creationDate", "DESC")) == newest_first
    assert await listed(wc, ("creationDate", None)) == newest_first[::-1]  # ASC by default
    assert await listed(wc, ("id", "ASC")) == sorted(newest_first)
    assert await listed(wc, ("id", "DESC")) == sorted(newest_first, reverse=True)
    # passType (the template's name), then the newest first among equals
    assert await listed(wc, ("passType", "ASC")) == [d, b, c, a]
    assert await listed(wc, ("passType", "DESC"), ("creationDate", "ASC")) == [a, c, b, d]
    assert await listed(wc, ("identifiers.customerId", "ASC")) == [b, c, a, d]
    assert await listed(wc, ("identifiers.customerId", "DESC")) == [a, c, b, d]
    assert await listed(wc, ("metadata.rank", "asc")) == [b, a, c, d]
    # lastUpdateDate: a change moves a pass
    assert (await wc("PATCH", f"/passes/{b}", {"metadata": {"rank": "z"}})).status == 204
    assert (await listed(wc, ("lastUpdateDate", "DESC")))[0] == b
    assert (await listed(wc, ("lastUpdateDate", "ASC")))[-1] == b
    # pages of a sorted list do not overlap
    pages = [await listed(wc, ("identifiers.customerId", "ASC"), pageSize=3, pageIndex=i)
             for i in range(2)]
    assert pages == [[b, c, a], [d]]
    # a page longer than the graph's (read 100 at a time) keeps the order
    assert await listed(wc, ("id", "ASC"), pageSize=150) == sorted(newest_first)
    # sorting combines with filters
    assert await listed(wc, ("creationDate", "ASC"), **{
        "filter[0].field": "passType", "filter[0].operator": "equals",
        "filter[0].value": "Event"}) == [b, d]
    # no wallet installs: apple and google order by the newest first
    assert await listed(wc, ("apple", "ASC")) == newest_first
    assert await listed(wc, ("google", "DESC")) == newest_first


async def test_sort_by_first_apple_install(api: Api) -> None:
    await configure_apple(api)
    wc = Wc(api)
    await template(api, "Loyalty")
    ids = [await new_pass(wc) for _ in range(3)]
    for pass_id in (ids[2], ids[0]):  # installed in this order; ids[1] never
        got = await api.gql('query($id: ID!) { pass(id: $id) { code publicUrl } }',
                            {"id": pass_id})
        url = got["pass"]["publicUrl"]
        token = url.split("token=")[1]
        blob = await (await api.client.get(
            f"/p/{got['pass']['code']}/pass.pkpass?token={token}")).read()
        assert (await Device(api.client, pass_json(blob)).register()).status == 201
    assert await listed(wc, ("apple", "ASC")) == [ids[2], ids[0], ids[1]]
    assert await listed(wc, ("apple", "DESC")) == [ids[0], ids[2], ids[1]]


async def test_bad_sorts_are_400(api: Api) -> None:
    wc = Wc(api)
    for params, name in ((sort(("name", "ASC")), "sortBy[0].field"),
                         (sort(("creationDate", "UP")), "sortBy[0].direction"),
                         (sort(("metadata.", "ASC")), "sortBy[0].field"),
                         (sort(("identifiers", "ASC")), "sortBy[0].field")):
        body = problem(await wc("GET", "/passes", params=params), 400)
        assert name in body["errors"], body


ORDERED = """query($o: [PassOrder!], $first: Int, $after: String, $last: Int) {
  passes(orderBy: $o, first: $first, after: $after, last: $last) {
    pageInfo { hasNextPage endCursor } nodes { name } } }"""


async def test_graph_order_by_pages_with_offset_cursors(api: Api) -> None:
    for name in ("b", "c", "a"):
        await api.gql('mutation($n: String!) { createPass(input: {name: $n}) { pass { id } } }',
                      {"n": name})
    order = [{"field": "METADATA", "path": ["none"]}, {"field": "CREATED_AT"}]
    first = (await api.gql(ORDERED, {"o": order, "first": 2}))["passes"]
    assert [n["name"] for n in first["nodes"]] == ["b", "c"]
    assert first["pageInfo"]["hasNextPage"]
    rest = (await api.gql(ORDERED, {"o": order, "first": 2,
                                    "after": first["pageInfo"]["endCursor"]}))["passes"]
    assert [n["name"] for n in rest["nodes"]] == ["a"] and not rest["pageInfo"]["hasNextPage"]
    error = await api.error(ORDERED, {"o": order, "last": 2})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    error = await api.error(ORDERED, {"o": [{"field": "METADATA"}]})
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "path" in error["message"]
    error = await api.error(ORDERED, {"o": [{"field": "ID", "path": ["x"]}]})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"

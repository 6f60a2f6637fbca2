"""Searching passes goes through indexes the database keeps (SQLite FTS5, PostgreSQL
pg_trgm) and list totals through counters its triggers keep: the answers are the same as a
scan would give, whichever way a pass was written."""

from datetime import UTC, datetime

from sqlalchemy import insert

from resolvers import ids
from resolvers.models import passes

CREATE_PASSES = """
mutation Bulk($input: CreatePassesInput!) { createPasses(input: $input) { passes { id code } } }
"""
SEARCH = """
query S($q: String, $status: PassStatus) {
  passes(first: 50, filter: {search: $q, status: $status}) { totalCount nodes { name } }
}
"""
UPDATE = "mutation U($input: UpdatePassInput!) { updatePass(input: $input) { pass { id } } }"
STATE = "mutation S($input: PassIdInput!) {{ {action}(input: $input) {{ pass {{ state }} }} }}"


async def search(api, q: str | None, status: str | None = None) -> tuple[set[str], int]:
    conn = (await api.gql(SEARCH, {"q": q, "status": status}))["passes"]
    return {n["name"] for n in conn["nodes"]}, conn["totalCount"]


async def make(api, items: list[dict]) -> list[dict]:
    return (await api.gql(CREATE_PASSES, {"input": {"passes": items}}))["createPasses"]["passes"]


async def test_search_finds_substrings_of_holder_name_email_and_name(api):
    made = await make(api, [
        {"name": "ada", "holderName": "Ada Lovelace", "holderEmail": "ada@analytical.org"},
        {"name": "grace", "holderName": "Grace Hopper", "holderEmail": "grace@navy.mil"},
        {"name": "VIP lounge", "holderName": "Alan Turing", "holderEmail": "alan@bletchley.uk"},
        {"name": "plain"},
    ])
    assert await search(api, "lovelace") == ({"ada"}, 1)  # any case, inside a word
    assert await search(api, "NAVY.MIL") == ({"grace"}, 1)
    assert await search(api, "p lou") == ({"VIP lounge"}, 1)  # across a space
    assert await search(api, "CE") == ({"ada", "grace"}, 2)  # short: a scan, same answer
    assert await search(api, "zzz") == (set(), 0)
    assert await search(api, made[3]["code"]) == ({"plain"}, 1)  # the exact code
    assert await search(api, '"ada" OR *') == (set(), 0)  # text, never FTS syntax
    other = await api.other_tenant()
    assert await search(other, "lovelace") == (set(), 0)


async def test_search_follows_updates_and_rows_written_with_plain_sql(api):
    made = await make(api, [{"name": "p1", "holderName": "Mary Shelley"}])
    await api.gql(UPDATE, {"input": {"id": made[0]["id"], "holderName": "Mary Godwin"}})
    assert await search(api, "shelley") == (set(), 0)
    assert await search(api, "godwin") == ({"p1"}, 1)

    now = datetime.now(UTC)
    async with api.db.write() as conn:  # as a bulk import by SQL would
        await conn.execute(insert(passes), [{
            "id": ids.new_id("pass"), "tenant_id": api.tenant_id, "code": ids.new_pass_code(),
            "type": "single", "name": f"sql{i}", "holder_email": f"bulk{i}@import.example",
            "max_usages": 1, "usages_count": 0, "custom_fields": [], "meta": {},
            "attributes": {}, "state": "active", "created_at": now, "updated_at": now,
        } for i in range(3)])
    assert await search(api, "@import.exa") == ({"sql0", "sql1", "sql2"}, 3)
    assert (await search(api, None))[1] == 4


async def test_totals_follow_every_state_change(api):
    made = await make(api, [{"name": f"p{i}"} for i in range(6)])
    for action, index in (("suspendPass", 0), ("suspendPass", 1), ("unlinkPass", 2),
                          ("deletePass", 3), ("resumePass", 1), ("deletePass", 0)):
        await api.gql(STATE.format(action=action), {"input": {"id": made[index]["id"]}})
    # p0 deleted (was suspended), p1 active again, p2 unlinked, p3 deleted, p4 p5 active
    assert (await search(api, None))[1] == 4
    assert await search(api, None, "SUSPENDED") == (set(), 0)
    assert await search(api, None, "UNLINKED") == ({"p2"}, 1)
    assert await search(api, None, "DELETED") == ({"p0", "p3"}, 2)
    assert await search(api, None, "ACTIVE") == ({"p1", "p4", "p5"}, 3)
    other = await api.other_tenant()
    assert (await search(other, None))[1] == 0

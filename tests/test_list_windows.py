"""Reads the scale work changed the SQL of: ``first: 0`` asks only whether rows exist, and a
short time window of scans is read through the time index; the answers are unchanged."""

from datetime import UTC, datetime, timedelta

CREATE_PASSES = """
mutation Bulk($input: CreatePassesInput!) { createPasses(input: $input) { passes { code } } }
"""
VALIDATE = "mutation V($input: ValidatePassInput!) { validatePass(input: $input) { valid } }"
SCANS = """
query S($since: DateTime, $until: DateTime, $first: Int, $after: String) {
  scans(first: $first, after: $after, filter: {since: $since, until: $until}) {
    totalCount pageInfo { hasNextPage endCursor } nodes { deviceId }
  }
}
"""


async def test_first_zero_says_whether_there_is_more(api):
    empty = await api.gql("{ passes(first: 0) { totalCount pageInfo { hasNextPage } } }")
    assert empty["passes"] == {"totalCount": 0, "pageInfo": {"hasNextPage": False}}
    await api.gql(CREATE_PASSES, {"input": {"passes": [{"name": "a"}, {"name": "b"}]}})
    some = await api.gql("{ passes(first: 0) { totalCount pageInfo { hasNextPage } "
                         "nodes { name } } }")
    assert some["passes"] == {"totalCount": 2, "pageInfo": {"hasNextPage": True}, "nodes": []}


async def test_a_short_window_of_scans_pages_newest_first(api):
    made = await api.gql(CREATE_PASSES, {"input": {"passes": [{"type": "MULTI"}] * 2}})
    codes = [p["code"] for p in made["createPasses"]["passes"]]
    start = datetime.now(UTC) - timedelta(seconds=1)
    for i in range(5):
        await api.gql(VALIDATE, {"input": {"code": codes[i % 2], "deviceId": f"d{i}"}})
    end = datetime.now(UTC) + timedelta(seconds=1)
    window = {"since": start.isoformat(), "until": end.isoformat()}
    seen, after = [], None
    while True:
        page = (await api.gql(SCANS, {**window, "first": 2, "after": after}))["scans"]
        assert page["totalCount"] == 5
        seen += [n["deviceId"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["d4", "d3", "d2", "d1", "d0"]
    past = {"since": (start - timedelta(days=3)).isoformat(),
            "until": (start - timedelta(days=2)).isoformat()}
    none = (await api.gql(SCANS, {**past, "first": 0}))["scans"]
    assert none == {"totalCount": 0, "pageInfo": {"hasNextPage": False, "endCursor": None},
                    "nodes": []}

"""Dynamic QR codes (seed 004): CRUD, input checks, plan gate, scopes, tenant isolation, the
public redirect ``/q/{slug}`` and its analytics."""

import asyncio
import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from resolvers import qr as qr_data
from resolvers.models import qr_scans
from tests.conftest import Api, make_api

QR_FIELDS = """
  id name type destinationUrl slug shortUrl status style scanCount lastScannedAt
  createdAt updatedAt
"""
CREATE = f"""
mutation($input: CreateQrCodeInput!) {{
  createQrCode(input: $input) {{ qrCode {{ {QR_FIELDS} }} }}
}}
"""
UPDATE = f"""
mutation($input: UpdateQrCodeInput!) {{
  updateQrCode(input: $input) {{ qrCode {{ {QR_FIELDS} }} }}
}}
"""
DELETE = f"mutation($id: ID!) {{ deleteQrCode(input: {{id: $id}}) {{ qrCode {{ {QR_FIELDS} }} }} }}"
GET = f"query($id: ID!) {{ qrCode(id: $id) {{ {QR_FIELDS} }} }}"
NODE = f"query($id: ID!) {{ node(id: $id) {{ ... on QrCode {{ {QR_FIELDS} }} }} }}"
LIST = """
query($status: QrStatus, $first: Int, $after: String, $last: Int, $before: String) {
  qrCodes(status: $status, first: $first, after: $after, last: $last, before: $before) {
    totalCount nodes { id name status createdAt }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
ANALYTICS = """
query($id: ID!, $from: DateTime, $to: DateTime, $granularity: AnalyticsGranularity) {
  qrCode(id: $id) {
    analytics(from: $from, to: $to, granularity: $granularity) {
      from to granularity totalScans uniqueVisitors
      series { start scans } topUserAgents { userAgent scans }
    }
  }
}
"""
ANALYTICS_DEFAULT = """
query($id: ID!) { qrCode(id: $id) { analytics {
  from to granularity totalScans uniqueVisitors series { start scans } } } }
"""
PLAN_MESSAGE = ("the dynamic QR code API requires the team plan or above; "
                "this tenant is on the {} plan")


@pytest.fixture
async def team(client: Any) -> Api:
    return await make_api(client, plan="team")


async def create(api: Api, **fields: Any) -> dict[str, Any]:
    data = await api.gql(CREATE, {"input": {"name": "Menu", "destinationUrl":
                                            "https://example.com/menu", **fields}})
    return data["createQrCode"]["qrCode"]


async def visit(api: Api, qr: dict[str, Any], user_agent: str = "TestPhone/1.0",
                **headers: str) -> aiohttp.ClientResponse:
    """Scan the code as a phone would: no API key, follow nothing."""
    resp = await api.client.get(f"/q/{qr['slug']}", allow_redirects=False,
                                headers={"User-Agent": user_agent, **headers})
    await resp.read()
    return resp


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def raw(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":", 1)[1]


async def scan_rows(api: Api, qr: dict[str, Any] | None = None) -> list[Any]:
    stmt = select(qr_scans).order_by(qr_scans.c.id)
    if qr is not None:
        stmt = stmt.where(qr_scans.c.qr_id == raw(qr["id"]))
    async with api.db.read() as conn:
        return list(await conn.execute(stmt))


# --- create, read, list, update, delete ------------------------------------------------------

async def test_create_defaults_and_read_back(team):
    qr = await create(team, name="  Menu  ")
    assert qr["name"] == "Menu" and qr["destinationUrl"] == "https://example.com/menu"
    assert (qr["type"], qr["status"], qr["style"]) == ("URL", "ACTIVE", None)
    assert (qr["scanCount"], qr["lastScannedAt"]) == (0, None)
    assert raw(qr["id"]).startswith("qr_")
    assert len(qr["slug"]) == 8 and set(qr["slug"]) <= set(qr_data.SLUG_ALPHABET)
    assert qr["shortUrl"] == f"http://passes.test/q/{qr['slug']}"
    assert qr["createdAt"] == qr["updatedAt"]
    assert (await team.gql(GET, {"id": qr["id"]}))["qrCode"] == qr
    assert (await team.gql(GET, {"id": raw(qr["id"])}))["qrCode"] == qr  # raw ids work too
    assert (await team.gql(NODE, {"id": qr["id"]}))["node"] == qr


async def test_create_with_every_field(team):
    style = {"foreground": "#112233", "logo": {"url": "https://cdn.example/l.png"}}
    qr = await create(team, name="Poster", destinationUrl="http://example.com/a?b=c#d",
                      type="URL", status="PAUSED", style=style)
    assert (qr["name"], qr["destinationUrl"]) == ("Poster", "http://example.com/a?b=c#d")
    assert (qr["status"], qr["style"]) == ("PAUSED", style)
    assert (await team.gql(GET, {"id": qr["id"]}))["qrCode"] == qr


async def test_slugs_are_unique_and_a_collision_is_retried(team, monkeypatch):
    first = await create(team)
    slugs = iter([first["slug"], first["slug"], "Zz23456x"])
    monkeypatch.setattr(qr_data, "new_slug", lambda: next(slugs))
    second = await create(team, name="Second")
    assert second["slug"] == "Zz23456x"
    assert (await team.gql(LIST))["qrCodes"]["totalCount"] == 2


async def test_update_changes_only_the_fields_sent(team):
    qr = await create(team, style={"color": "#000000"})
    after = (await team.gql(UPDATE, {"input": {
        "id": qr["id"], "destinationUrl": "https://example.com/new"}}))["updateQrCode"]["qrCode"]
    assert after["destinationUrl"] == "https://example.com/new"
    untouched = {k: v for k, v in qr.items() if k not in ("destinationUrl", "updatedAt")}
    assert {k: after[k] for k in untouched} == untouched  # the slug above all
    assert parse(after["updatedAt"]) >= parse(qr["updatedAt"])
    assert (await team.gql(GET, {"id": qr["id"]}))["qrCode"] == after

    paused = (await team.gql(UPDATE, {"input": {
        "id": raw(qr["id"]), "name": "Renamed", "status": "PAUSED", "style": None,
    }}))["updateQrCode"]["qrCode"]
    assert (paused["name"], paused["status"], paused["style"]) == ("Renamed", "PAUSED", None)
    assert paused["destinationUrl"] == "https://example.com/new"


BAD_INPUTS = [
    ({"name": ""}, "name", "name must not be empty"),
    ({"name": "   "}, "name", "name must not be empty"),
    ({"name": "x" * 201}, "name", "name is longer than 200 characters"),
    ({"destinationUrl": ""}, "destinationUrl", "destinationUrl must not be empty"),
    ({"destinationUrl": "ftp://example.com/f"}, "destinationUrl",
     "destinationUrl must be an absolute http(s) URL"),
    ({"destinationUrl": "javascript:alert(1)"}, "destinationUrl",
     "destinationUrl must be an absolute http(s) URL"),
    ({"destinationUrl": "example.com/menu"}, "destinationUrl",
     "destinationUrl must be an absolute http(s) URL"),
    ({"destinationUrl": "https://"}, "destinationUrl",
     "destinationUrl must be an absolute http(s) URL"),
    ({"destinationUrl": "http://[::1/"}, "destinationUrl",
     "destinationUrl must be an absolute http(s) URL"),
    ({"destinationUrl": "https://exa mple.com/"}, "destinationUrl",
     "destinationUrl must be an absolute http(s) URL"),
    ({"destinationUrl": "https://example.com/\r\nSet-Cookie: a=b"}, "destinationUrl",
     "destinationUrl must be an absolute http(s) URL"),
    ({"destinationUrl": "https://example.com/" + "x" * 1981}, "destinationUrl",
     "destinationUrl is longer than 2000 characters"),
    ({"style": [1, 2]}, "style", "style must be a JSON object"),
    ({"style": "red"}, "style", "style must be a JSON object"),
]


@pytest.mark.parametrize(("fields", "field", "message"), BAD_INPUTS)
async def test_create_rejects_bad_input(team, fields, field, message):
    error = await team.error(CREATE, {"input": {
        "name": "Menu", "destinationUrl": "https://example.com/", **fields}})
    assert error["message"] == message
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert (await team.gql(LIST))["qrCodes"]["totalCount"] == 0


async def test_url_of_2000_characters_and_name_of_200_are_accepted(team):
    url = "https://example.com/" + "x" * 1980
    qr = await create(team, name="n" * 200, destinationUrl=url)
    assert (qr["name"], qr["destinationUrl"]) == ("n" * 200, url)


@pytest.mark.parametrize(("fields", "field", "message"), [
    *BAD_INPUTS,
    ({"name": None}, "name", "name is required"),
    ({"destinationUrl": None}, "destinationUrl", "destinationUrl is required"),
    ({"status": None}, "status", "status must be one of active, paused"),
])
async def test_update_rejects_bad_input_and_changes_nothing(team, fields, field, message):
    qr = await create(team)
    error = await team.error(UPDATE, {"input": {"id": qr["id"], **fields}})
    assert error["message"] == message
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert (await team.gql(GET, {"id": qr["id"]}))["qrCode"] == qr


async def test_an_id_of_another_type_is_bad_input(team, api):
    template = (await api.gql('mutation { createTemplate(input: {name: "T"}) '
                              '{ template { id } } }'))["createTemplate"]["template"]
    error = await team.error(GET, {"id": template["id"]})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "reason": "NOT_AN_ID", "field": "id"}


async def test_list_newest_first_pages_and_filters_by_status(team):
    made = [await create(team, name=f"Q{i}", status="PAUSED" if i % 2 else "ACTIVE")
            for i in range(5)]
    seen, after, pages = [], None, 0
    while True:
        page = (await team.gql(LIST, {"first": 2, "after": after}))["qrCodes"]
        pages += 1
        assert page["totalCount"] == 5
        assert page["pageInfo"]["hasNextPage"] is (pages < 3)
        assert page["pageInfo"]["hasPreviousPage"] is (pages > 1)
        seen += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [n["id"] for n in seen] == [q["id"] for q in reversed(made)]  # newest first

    back = (await team.gql(LIST, {"last": 2}))["qrCodes"]
    assert [n["id"] for n in back["nodes"]] == [made[1]["id"], made[0]["id"]]
    assert back["pageInfo"]["hasPreviousPage"] is True

    paused = (await team.gql(LIST, {"status": "PAUSED"}))["qrCodes"]
    assert paused["totalCount"] == 2
    assert [n["id"] for n in paused["nodes"]] == [made[3]["id"], made[1]["id"]]
    active = (await team.gql(LIST, {"status": "ACTIVE"}))["qrCodes"]
    assert {n["status"] for n in active["nodes"]} == {"ACTIVE"} and active["totalCount"] == 3

    error = await team.error(LIST, {"first": 101})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}


async def test_delete_removes_the_code_its_scans_and_its_redirect(team):
    qr = await create(team)
    keep = await create(team, name="Keep")
    for _ in range(2):
        assert (await visit(team, qr)).status == 302
    assert (await visit(team, keep)).status == 302
    deleted = (await team.gql(DELETE, {"id": qr["id"]}))["deleteQrCode"]["qrCode"]
    assert deleted["id"] == qr["id"] and deleted["scanCount"] == 2  # its last state
    assert (await team.error(GET, {"id": qr["id"]}))["extensions"]["code"] == "NOT_FOUND"
    assert (await team.error(DELETE, {"id": qr["id"]}))["extensions"]["code"] == "NOT_FOUND"
    assert (await visit(team, qr)).status == 404
    assert await scan_rows(team, qr) == []
    assert len(await scan_rows(team, keep)) == 1
    assert (await team.gql(LIST))["qrCodes"]["totalCount"] == 1


# --- plan gate and scopes --------------------------------------------------------------------

GATED = {
    "create": (CREATE, lambda qr: {"input": {"name": "M", "destinationUrl": "https://e.x/"}}),
    "list": (LIST, lambda qr: {}),
    "get": (GET, lambda qr: {"id": qr["id"]}),
    "node": (NODE, lambda qr: {"id": qr["id"]}),
    "update": (UPDATE, lambda qr: {"input": {"id": qr["id"], "name": "Hacked"}}),
    "delete": (DELETE, lambda qr: {"id": qr["id"]}),
}


@pytest.mark.parametrize("plan", ["starter", "pro"])
@pytest.mark.parametrize("operation", list(GATED))
async def test_plans_below_team_get_plan_limit(client, team, plan, operation):
    qr = await create(team)  # the gate answers before any lookup
    below = await make_api(client, plan=plan)
    document, variables = GATED[operation]
    error = await below.error(document, variables(qr))
    assert error["extensions"] == {"code": "PLAN_LIMIT"}
    assert error["message"] == PLAN_MESSAGE.format(plan)
    assert (await team.gql(GET, {"id": qr["id"]}))["qrCode"] == qr


async def test_analytics_field_is_gated_too(client, team):
    """A pro tenant cannot reach analytics even through another path to a QrCode."""
    below = await make_api(client, plan="pro")
    error = await below.error("{ qrCodes { nodes { analytics { totalScans } } } }")
    assert error["extensions"] == {"code": "PLAN_LIMIT"}


async def test_free_plan_has_no_api_at_all(client):
    free = await make_api(client, plan="free")
    status, body = await free.post(LIST)
    assert status == 403 and body["errors"][0]["extensions"]["code"] == "PLAN_LIMIT"


@pytest.mark.parametrize("plan", ["team", "enterprise"])
async def test_team_and_enterprise_have_the_api(client, plan):
    api = await make_api(client, plan=plan)
    qr = await create(api)
    assert (await api.gql(LIST))["qrCodes"]["nodes"][0]["id"] == qr["id"]
    assert (await api.gql(ANALYTICS_DEFAULT, {"id": qr["id"]}))["qrCode"]["analytics"]


async def test_scopes(team):
    qr = await create(team)
    reader = await team.new_key("qr:read")
    assert (await team.gql(GET, {"id": qr["id"]}, key=reader))["qrCode"] == qr
    assert (await team.gql(NODE, {"id": qr["id"]}, key=reader))["node"] == qr
    assert (await team.gql(ANALYTICS_DEFAULT, {"id": qr["id"]}, key=reader))["qrCode"]
    for document, variables in (
        (CREATE, {"input": {"name": "M", "destinationUrl": "https://e.x/"}}),
        (UPDATE, {"input": {"id": qr["id"], "name": "Hacked"}}),
        (DELETE, {"id": qr["id"]}),
    ):
        error = await team.error(document, variables, key=reader)
        assert error["extensions"] == {"code": "FORBIDDEN"}
        assert error["message"] == "this API key lacks the 'qr:write' scope"

    writer = await team.new_key("qr:write", name="writer")
    made = (await team.gql(CREATE, {"input": {"name": "W", "destinationUrl": "https://e.x/"}},
                           key=writer))["createQrCode"]["qrCode"]
    assert made["name"] == "W"
    passes_only = await team.new_key("passes:read passes:write", name="passes")
    for document, variables in ((GET, {"id": qr["id"]}), (LIST, {}), (NODE, {"id": qr["id"]})):
        error = await team.error(document, variables, key=passes_only)
        assert error["extensions"] == {"code": "FORBIDDEN"}
        assert error["message"] == "this API key lacks the 'qr:read' scope"
    assert (await team.gql(GET, {"id": qr["id"]}))["qrCode"]["name"] == "Menu"


# --- tenant isolation -----------------------------------------------------------------------

@pytest.mark.parametrize("form", ["gid", "raw"])
async def test_another_tenants_code_is_not_found(client, team, form):
    qr = await create(team)
    await visit(team, qr)
    other = await make_api(client, plan="team")
    own = await create(other, name="Theirs")
    target = qr["id"] if form == "gid" else raw(qr["id"])
    for document, variables in (
        (GET, {"id": target}),
        (NODE, {"id": target}),
        (ANALYTICS_DEFAULT, {"id": target}),
        (UPDATE, {"input": {"id": target, "destinationUrl": "https://evil.example/"}}),
        (DELETE, {"id": target}),
    ):
        error = await other.error(document, variables)
        assert error["extensions"]["code"] == "NOT_FOUND", document
    listed = (await other.gql(LIST))["qrCodes"]
    assert [n["id"] for n in listed["nodes"]] == [own["id"]]
    after = (await team.gql(GET, {"id": qr["id"]}))["qrCode"]
    assert after["destinationUrl"] == qr["destinationUrl"] and after["scanCount"] == 1
    assert len(await scan_rows(team, qr)) == 1


# --- the public redirect --------------------------------------------------------------------

async def test_redirect_needs_no_key_and_counts_the_scan(team):
    qr = await create(team)
    before = datetime.now(UTC) - timedelta(seconds=1)
    resp = await visit(team, qr, "Mozilla/5.0 (iPhone)", Referer="https://poster.example/")
    assert resp.status == 302
    assert resp.headers["Location"] == "https://example.com/menu"
    assert resp.headers["Cache-Control"] == "no-store"
    after = (await team.gql(GET, {"id": qr["id"]}))["qrCode"]
    assert after["scanCount"] == 1 and parse(after["lastScannedAt"]) >= before
    [row] = await scan_rows(team, qr)
    assert row.id.startswith("qrs_") and row.tenant_id == team.tenant_id
    assert (row.user_agent, row.referrer) == ("Mozilla/5.0 (iPhone)", "https://poster.example/")

    await team.gql(UPDATE, {"input": {"id": qr["id"], "destinationUrl": "https://e.x/v2"}})
    assert (await visit(team, qr)).headers["Location"] == "https://e.x/v2"
    assert (await team.gql(GET, {"id": qr["id"]}))["qrCode"]["scanCount"] == 2


async def test_redirect_to_a_non_ascii_destination_is_percent_encoded(team):
    qr = await create(team, destinationUrl="https://de.example/wiki/Müller?q=ä&r=%2F#x")
    assert qr["destinationUrl"] == "https://de.example/wiki/Müller?q=ä&r=%2F#x"
    location = (await visit(team, qr)).headers["Location"]
    assert location == "https://de.example/wiki/M%C3%BCller?q=%C3%A4&r=%2F#x"


async def test_paused_and_unknown_codes_answer_404_and_count_nothing(team):
    qr = await create(team, status="PAUSED")
    resp = await visit(team, qr)
    assert resp.status == 404 and "Location" not in resp.headers
    assert resp.headers["Cache-Control"] == "no-store"
    assert "No such QR code" in await resp.text()
    assert (await team.gql(GET, {"id": qr["id"]}))["qrCode"]["scanCount"] == 0
    assert await scan_rows(team, qr) == []

    await team.gql(UPDATE, {"input": {"id": qr["id"], "status": "ACTIVE"}})
    assert (await visit(team, qr)).status == 302
    other_case = qr["slug"].swapcase()  # slugs are case-sensitive
    for slug in ("nope2345", "x" * 65, qr["slug"] + "x", qr["slug"][:-1], other_case):
        if slug == qr["slug"]:  # all digits: no other case to try
            continue
        assert (await visit(team, {"slug": slug})).status == 404, slug
    assert len(await scan_rows(team, qr)) == 1


async def test_scan_rows_keep_no_raw_ip_and_clip_long_headers(team):
    qr = await create(team)
    long_agent, long_referrer = "A" * 700, "https://r.example/" + "r" * 3000
    await visit(team, qr, long_agent, Referer=long_referrer)
    await visit(team, qr, "")
    rows = await scan_rows(team, qr)
    assert len(rows) == 2
    assert rows[0].user_agent == "A" * 500 and rows[0].referrer == long_referrer[:2000]
    assert rows[1].user_agent is None and rows[1].referrer is None
    for row in rows:
        assert "127.0.0.1" not in repr(tuple(row))
        assert len(row.visitor_hash) == 64 and int(row.visitor_hash, 16) >= 0
    assert rows[0].visitor_hash == rows[1].visitor_hash


# --- analytics ------------------------------------------------------------------------------

async def visit_at(team: Api, qr: dict[str, Any], when: datetime, user_agent: str,
                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qr_data, "utcnow", lambda: when)
    assert (await visit(team, qr, user_agent)).status == 302
    monkeypatch.undo()


async def test_analytics_daily_series_with_empty_days_and_top_agents(team, monkeypatch):
    qr = await create(team)
    other = await create(team, name="Other")
    day = datetime(2025, 3, 1, tzinfo=UTC)
    for when, agent in ((day + timedelta(hours=10), "Phone A"),
                        (day + timedelta(hours=10, minutes=5), "Phone A"),
                        (day + timedelta(days=2, hours=23, minutes=30), "Phone B"),
                        (day - timedelta(hours=11), "Phone C"),
                        (day + timedelta(days=3), "Phone C"),  # == to: outside
                        (day - timedelta(hours=18), "Phone C")):  # first day, before from
        await visit_at(team, qr, when, agent, monkeypatch)
    await visit_at(team, other, day + timedelta(hours=1), "Phone D", monkeypatch)

    result = (await team.gql(ANALYTICS, {
        "id": qr["id"], "from": "2025-02-28T12:00:00Z", "to": "2025-03-04T00:00:00Z",
    }))["qrCode"]["analytics"]
    assert parse(result["from"]) == datetime(2025, 2, 28, 12, tzinfo=UTC)
    assert parse(result["to"]) == datetime(2025, 3, 4, tzinfo=UTC)
    assert result["granularity"] == "DAY"
    assert (result["totalScans"], result["uniqueVisitors"]) == (4, 1)  # one client, one IP
    assert [(parse(b["start"]), b["scans"]) for b in result["series"]] == [
        (datetime(2025, 2, 28, tzinfo=UTC), 1),
        (datetime(2025, 3, 1, tzinfo=UTC), 2),
        (datetime(2025, 3, 2, tzinfo=UTC), 0),
        (datetime(2025, 3, 3, tzinfo=UTC), 1),
    ]
    assert result["topUserAgents"] == [{"userAgent": "Phone A", "scans": 2},
                                       {"userAgent": "Phone B", "scans": 1},
                                       {"userAgent": "Phone C", "scans": 1}]

    hourly = (await team.gql(ANALYTICS, {
        "id": qr["id"], "from": "2025-03-01T09:00:00Z", "to": "2025-03-01T12:00:00Z",
        "granularity": "HOUR",
    }))["qrCode"]["analytics"]
    assert hourly["granularity"] == "HOUR" and hourly["totalScans"] == 2
    assert [b["scans"] for b in hourly["series"]] == [0, 2, 0]
    assert parse(hourly["series"][1]["start"]) == datetime(2025, 3, 1, 10, tzinfo=UTC)


async def test_unique_visitors_are_told_apart_by_ip(team, monkeypatch):
    qr = await create(team)
    await visit(team, qr)
    await visit(team, qr)
    url = team.client.make_url(f"/q/{qr['slug']}")
    connector = aiohttp.TCPConnector(local_addr=("127.0.0.2", 0))
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.get(url, allow_redirects=False) as resp:
            assert resp.status == 302
    result = (await team.gql(ANALYTICS_DEFAULT, {"id": qr["id"]}))["qrCode"]["analytics"]
    assert (result["totalScans"], result["uniqueVisitors"]) == (3, 2)
    stored = repr([tuple(r) for r in await scan_rows(team, qr)])
    assert "127.0.0.1" not in stored and "127.0.0.2" not in stored


async def test_analytics_defaults_to_the_last_30_days(team):
    qr = await create(team)
    await visit(team, qr, "Phone A")
    before = datetime.now(UTC)
    result = (await team.gql(ANALYTICS_DEFAULT, {"id": qr["id"]}))["qrCode"]["analytics"]
    start, end = parse(result["from"]), parse(result["to"])
    assert end - start == timedelta(days=30) and abs(end - before) < timedelta(seconds=5)
    assert result["granularity"] == "DAY"
    assert (result["totalScans"], result["uniqueVisitors"]) == (1, 1)
    assert len(result["series"]) == 31 and sum(b["scans"] for b in result["series"]) == 1
    assert result["series"][-1]["scans"] == 1


@pytest.mark.parametrize(("variables", "field", "message"), [
    ({"from": "2025-03-02T00:00:00Z", "to": "2025-03-01T00:00:00Z"}, "to",
     "to must be later than from"),
    ({"from": "2025-03-01T00:00:00Z", "to": "2025-03-01T00:00:00Z"}, "to",
     "to must be later than from"),
    ({"from": "2024-01-01T00:00:00Z", "to": "2025-03-01T00:00:00Z"}, "from",
     "from and to span 425 days; at most 400 are allowed"),
    ({"from": "2025-01-01T00:00:00Z", "to": "2025-03-01T00:00:00Z", "granularity": "HOUR"},
     "from", "from and to span 1416 hours; at most 744 are allowed"),
])
async def test_analytics_rejects_bad_ranges(team, variables, field, message):
    qr = await create(team)
    error = await team.error(ANALYTICS, {"id": qr["id"], **variables})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert error["message"] == message


async def test_analytics_accepts_the_longest_ranges(team):
    qr = await create(team)
    for variables, buckets in (
        ({"from": "2024-01-01T00:00:00Z", "to": "2025-02-04T00:00:00Z"}, 400),
        ({"from": "2025-01-01T00:00:00Z", "to": "2025-02-01T00:00:00Z", "granularity": "HOUR"},
         744),
    ):
        result = (await team.gql(ANALYTICS, {"id": qr["id"], **variables}))["qrCode"]
        assert len(result["analytics"]["series"]) == buckets


async def test_record_visit_and_counter_agree_under_concurrency(team):
    """Counter and scan rows are written together: many scans at once lose none."""
    qr = await create(team)
    responses = await asyncio.gather(*(visit(team, qr) for _ in range(20)))
    assert {r.status for r in responses} == {302}
    assert (await team.gql(GET, {"id": qr["id"]}))["qrCode"]["scanCount"] == 20
    async with team.db.read() as conn:
        count = await conn.scalar(select(func.count()).select_from(qr_scans)
                                  .where(qr_scans.c.qr_id == raw(qr["id"])))
    assert count == 20

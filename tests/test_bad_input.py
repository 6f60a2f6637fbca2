"""Malformed input on every door is a 4xx that names the problem, never a 500 (issue 9,
findings 2 and 3): bodies that are not JSON objects, invalid UTF-8, nesting, lone
surrogates, NUL characters however they are spelled, non-ASCII credentials, and dates at
the edges of the calendar."""

import asyncio
import json
from typing import Any

import pytest

from tests.conftest import make_api
from tests.fragments import CREATE_PASS
from tests.test_rest_accessgrid import signed_for

CREATE = "mutation($i: CreatePassInput!) { createPass(input: $i) { pass { id holderName } } }"


async def raw_http(api, head: bytes, body: bytes = b"") -> tuple[int, bytes]:
    """One HTTP/1.1 request written byte for byte (clients refuse to send some of these)."""
    server = api.client.server
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(head + b"\r\nContent-Length: " + str(len(body)).encode()
                 + b"\r\nConnection: close\r\n\r\n" + body)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    status = int(answer.split(b" ", 2)[1])
    return status, answer.partition(b"\r\n\r\n")[2]


async def post_raw(api, body: bytes) -> tuple[int, Any]:
    resp = await api.client.post("/graphql", data=body, headers={
        "Authorization": f"Bearer {api.key}", "Content-Type": "application/json"})
    assert resp.content_type == "application/json", await resp.text()
    return resp.status, await resp.json()


def bad_user_input(status: int, body: Any, *words: str) -> str:
    assert status == 400, body
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", body
    for word in words:
        assert word in error["message"], error["message"]
    return error["message"]


@pytest.mark.parametrize("body", [b"null", b"42", b'"x"', b"true", b"[1, 2]"])
async def test_a_body_that_is_not_an_object_is_a_400(api, body):
    status, answer = await post_raw(api, body)
    bad_user_input(status, answer, "JSON object")


async def test_a_batch_is_refused_in_json(api):
    status, answer = await post_raw(api, json.dumps([{"query": "{ viewer { plan } }"}]).encode())
    bad_user_input(status, answer, "batch")


async def test_invalid_utf8_and_invalid_json_are_400s(api):
    status, answer = await post_raw(api, b'{"query": "{ viewer { plan } }", "x": "\xff"}')
    bad_user_input(status, answer, "UTF-8")
    status, answer = await post_raw(api, b'{"query": ')
    bad_user_input(status, answer, "JSON")


async def test_deeply_nested_variables_are_a_400(api):
    deep = "[" * 5000 + "]" * 5000
    body = ('{"query": "{ viewer { plan } }", "variables": {"x": ' + deep + "}}").encode()
    status, answer = await post_raw(api, body)
    bad_user_input(status, answer, "nested")


async def test_lone_surrogates_never_reach_the_database(api):
    body = json.dumps({"query": CREATE, "variables": {"i": {"holderName": "a\ud800b"}}})
    status, answer = await post_raw(api, body.encode())
    bad_user_input(status, answer, "surrogate")
    literal = 'mutation { createPass(input: {holderName: "a\\ud800b"}) { pass { id } } }'
    status, answer = await post_raw(api, json.dumps({"query": literal}).encode())
    assert answer["errors"][0]["extensions"]["code"] in ("GRAPHQL_PARSE_FAILED",
                                                         "BAD_USER_INPUT"), answer
    r = await api.rest("POST", "/api/v1/passes", data=json.dumps(
        {"holder_name": "a\ud800b"}).encode(), headers={"Content-Type": "application/json"})
    assert r.status == 400 and "surrogate" in r.body["message"], r.body
    passes = await api.gql("{ passes { totalCount } }")
    assert passes["passes"]["totalCount"] == 0


NUL_DOCUMENTS = [
    'mutation { createPass(input: {holderName: "A\\u{0}B"}) { pass { id } } }',
    'mutation { createPass(input: {holderName: "A\\u0000B"}) { pass { id } } }',
    'mutation { createPass(input: {holderName: """A\u0000B"""}) { pass { id } } }',
    '{ pass(code: "A\\u{0}B") { id } }',
    '{ passes(filter: {search: "\\u{00}"}) { totalCount } }',
]


@pytest.mark.parametrize("document", NUL_DOCUMENTS)
async def test_nul_in_document_literals_is_refused_on_post_and_get(api, document):
    status, answer = await post_raw(api, json.dumps({"query": document}).encode())
    assert status in (200, 400) and answer.get("data") is None, answer
    error = answer["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "NUL" in error["message"]
    if document.startswith("{"):  # GET carries queries only
        resp = await api.client.get("/graphql", params={"query": document},
                                    headers={"Authorization": f"Bearer {api.key}"})
        got = await resp.json()
        assert "NUL" in got["errors"][0]["message"], got
        assert got["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", got
    assert (await api.gql("{ passes { totalCount } }"))["passes"]["totalCount"] == 0


async def test_nul_in_variables_is_refused_on_post_and_get(api):
    variables = {"i": {"holderName": "A\u0000B"}}
    status, answer = await post_raw(api, json.dumps({"query": CREATE,
                                                     "variables": variables}).encode())
    bad_user_input(status, answer, "NUL")
    resp = await api.client.get("/graphql", params={
        "query": "query($c: String!) { pass(code: $c) { id } }",
        "variables": json.dumps({"c": "A\u0000B"})},
        headers={"Authorization": f"Bearer {api.key}"})
    bad_user_input(resp.status, await resp.json(), "NUL")
    resp = await api.client.get("/graphql", params={"query": '{ pass(code: "A\u0000B") { id } }'},
                                headers={"Authorization": f"Bearer {api.key}"})
    bad_user_input(resp.status, await resp.json(), "NUL")
    escaped = json.dumps({"query": CREATE, "variables": {"i": {"holderName": "\\u0000"}}})
    assert "\\\\u0000" in escaped  # a backslash, then the text u0000: not a NUL
    status, answer = await post_raw(api, escaped.encode())
    assert status == 200 and answer["data"]["createPass"]["pass"]["holderName"] == "\\u0000"


@pytest.mark.parametrize("header", [b"Authorization: Bearer pgk_\xff\xfe",
                                    b"X-API-KEY: pgk_\xc3\xa9t\xc3\xa9",
                                    b"Authorization: Bearer \xe2\x82\xac"])
async def test_non_ascii_keys_are_a_401(api, header):
    body = b'{"query": "{ viewer { plan } }"}'
    status, answer = await raw_http(
        api, b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + header, body)
    assert status == 401, answer
    assert b"ASCII" in answer, answer


async def test_non_ascii_accessgrid_signature_is_a_401(api):
    signed = await signed_for(api)
    status, answer = await raw_http(
        api, b"GET /v1/key-cards HTTP/1.1\r\nHost: x\r\nX-ACCT-ID: "
        + signed.account_id.encode() + b"\r\nX-PAYLOAD-SIG: \xff\xfe\xfd", b"")
    assert status == 401, answer
    assert b"ASCII" in answer or b"X-PAYLOAD-SIG" in answer, answer


async def test_non_ascii_public_token_is_a_4xx(api):
    p = (await api.gql(CREATE_PASS, {"input": {"name": "Gala"}}))["createPass"]["pass"]
    for token in ("%FF%FE", "%C3%A9t%C3%A9", "\u20ac"):
        resp = await api.client.get(f"/p/{p['code']}?token={token}")
        assert resp.status in (400, 404), await resp.text()
        assert "Gala" not in await resp.text()


EDGE_DATES = ["9999-12-31T23:59:59.999999-23:59", "0001-01-01T00:00:00+14:00"]


@pytest.mark.parametrize("when", EDGE_DATES)
async def test_calendar_edge_dates_on_graphql(api, when):
    status, answer = await api.post(CREATE, {"i": {"validUntil": when}})
    assert status == 200
    error = answer["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", answer
    assert "range" in error["message"], error


@pytest.mark.parametrize("when", EDGE_DATES)
async def test_calendar_edge_dates_on_rest(api, when):
    r = await api.rest("POST", "/api/v1/passes", {"expires_at": when})
    assert r.status == 400 and "range" in r.body["message"], r.body


@pytest.mark.parametrize("query", [{"to": "9999-12-31"}, {"from": "0001-01-01"},
                                   {"to": "9999-12-31T23:59:59.999999-23:59"},
                                   {"from": "0001-01-01T00:00:00+14:00"}])
async def test_calendar_edge_dates_on_qr_analytics(client, query):
    api = await make_api(client, "team")
    r = await api.rest("POST", "/api/v1/qr", {"name": "Menu",
                                              "destination_url": "https://example.com/m"})
    qr = r.body["data"]["id"]
    r = await api.rest("GET", f"/api/v1/qr/{qr}/analytics", params=query)
    assert r.status == 400, r.body
    assert r.body["field"] in ("from", "to"), r.body

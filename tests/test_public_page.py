"""The holder's public page: right token only, public fields only."""

from tests.fragments import CREATE_PASS


async def test_public_page_shows_public_fields_and_a_qr_code(api):
    created = await api.gql(CREATE_PASS, {"input": {
        "name": "Summer <Festival>", "holderName": "Ada", "note": "owes us money",
        "customFields": [{"key": "Seat", "value": "A12", "isPublic": True},
                         {"key": "Risk", "value": "high", "isPublic": False}],
    }})
    p = created["createPass"]["pass"]
    path = p["publicUrl"].removeprefix("http://passes.test")
    resp = await api.client.get(path)
    assert resp.status == 200
    html = await resp.text()
    assert "Summer &lt;Festival&gt;" in html and "Ada" in html and "A12" in html
    assert p["code"] in html and "<svg" in html
    assert "owes us money" not in html and "high" not in html and "Risk" not in html


async def test_public_page_needs_the_right_token(api):
    """A wrong or empty token is refused; no token at all is enough only for a code passgate
    minted (tests/test_passqr_clients.py), never for a code the client gave."""
    minted = (await api.gql(CREATE_PASS, {"input": {"name": "Gala"}}))["createPass"]["pass"]
    given = (await api.gql(CREATE_PASS, {"input": {"name": "Gala", "code": "GALA-1"}})
             )["createPass"]["pass"]
    for p, queries in ((minted, ("?token=", "?token=AAAAAAAAAAAAAAAAAAAAAA")),
                       (given, ("", "?token=", "?token=AAAAAAAAAAAAAAAAAAAAAA"))):
        for query in queries:
            resp = await api.client.get(f"/p/{p['code']}" + query)
            assert resp.status == 404
            assert "Gala" not in await resp.text()


async def test_deleted_pass_has_no_public_page(api):
    p = (await api.gql(CREATE_PASS, {"input": {"name": "Gone"}}))["createPass"]["pass"]
    await api.gql(f'mutation {{ deletePass(input: {{id: "{p["id"]}"}}) {{ pass {{ id }} }} }}')
    resp = await api.client.get(p["publicUrl"].removeprefix("http://passes.test"))
    assert resp.status == 404

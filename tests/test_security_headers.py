"""HTML pages carry a Content-Security-Policy, nosniff, frame protection and a referrer
policy (issue 9, finding 8); GraphiQL's policy allows exactly what its page loads."""

import base64
import hashlib
import re
from urllib.parse import urlsplit

from aiohttp import web

from gateway.app import create_app
from tests.fragments import CREATE_PASS

HTML_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                "Referrer-Policy": "no-referrer"}


def policy(resp) -> dict[str, list[str]]:
    out = {}
    for directive in resp.headers["Content-Security-Policy"].split(";"):
        name, *sources = directive.split()
        out[name] = sources
    return out


def sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def inline(html: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag}>(.*?)</{tag}>", html, re.S)


def assert_page_headers(resp) -> dict[str, list[str]]:
    for name, value in HTML_HEADERS.items():
        assert resp.headers.get(name) == value, (name, resp.headers)
    csp = policy(resp)
    assert csp["default-src"] == ["'none'"] and csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"] and csp["form-action"] == ["'none'"]
    assert "'unsafe-eval'" not in resp.headers["Content-Security-Policy"]
    return csp


async def test_holder_page(api):
    created = await api.gql(CREATE_PASS, {"input": {"name": "Gala", "holderName": "Ada"}})
    url = created["createPass"]["pass"]["publicUrl"].removeprefix("http://passes.test")
    resp = await api.client.get(url)
    html = await resp.text()
    assert resp.status == 200
    csp = assert_page_headers(resp)
    assert csp["style-src"] == [sha(s) for s in inline(html, "style")]
    assert "script-src" not in csp and "<script" not in html and " style=" not in html
    missing = await api.client.get(url.split("?")[0])
    assert missing.status == 404
    assert missing.headers["X-Content-Type-Options"] == "nosniff"


async def test_rest_docs_page(client):
    resp = await client.get("/api/v1/docs")
    html = await resp.text()
    csp = assert_page_headers(resp)
    assert csp["script-src"] == [sha(s) for s in inline(html, "script")]
    assert csp["style-src"] == [sha(s) for s in inline(html, "style")]
    assert csp["connect-src"] == ["'self'"]
    assert " style=" not in html  # attributes would need 'unsafe-hashes'


async def test_graphiql_policy_allows_exactly_what_it_loads(client):
    resp = await client.get("/graphql", headers={"Accept": "text/html"})
    html = await resp.text()
    assert "graphiql" in html.lower()
    csp = assert_page_headers(resp)
    scripts = csp["script-src"]
    assert "'unsafe-inline'" not in scripts
    assert {sha(s) for s in inline(html, "script")} <= set(scripts)
    origin = lambda url: "{0.scheme}://{0.netloc}".format(urlsplit(url))  # noqa: E731
    for tag in re.findall(r"<script[^>]*\bsrc=[^>]*>", html):
        src = re.search(r'src="([^"]+)"', tag)[1]
        assert origin(src) in scripts and "integrity=" in tag, tag
    for tag in re.findall(r"<link[^>]*stylesheet[^>]*>", html, re.S):
        href = re.search(r'href="([^"]+)"', tag)[1]
        assert origin(href) in csp["style-src"] and "integrity=" in tag, tag
    host = urlsplit(str(client.make_url("/"))).netloc
    assert {"'self'", f"ws://{host}", f"wss://{host}"} <= set(csp["connect-src"])


async def test_any_new_html_page_gets_the_headers(aiohttp_client, settings):
    app = create_app(settings)

    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<!doctype html><p>hi</p>", content_type="text/html")

    app.router.add_get("/p/new/install", page)
    client = await aiohttp_client(app)
    resp = await client.get("/p/new/install")
    csp = assert_page_headers(resp)
    assert "script-src" not in csp and "style-src" not in csp
    health = await client.get("/healthz")
    assert health.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in health.headers

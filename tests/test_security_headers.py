"""HTML pages carry a Content-Security-Policy, nosniff, frame protection and a referrer
policy (issue 9, finding 8); GraphiQL's policy allows exactly what its page loads."""

import asyncio
import base64
import hashlib
import re
import shutil
import subprocess
from urllib.parse import urlsplit

import pytest
from aiohttp import ClientSession, web

from gateway.app import create_app
from tests.fragments import CREATE_PASS
from tests.servers import cli_key, serve

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
    # A minted code's page opens without its token (issue 12); an unknown code is a 404.
    missing = await api.client.get("/p/NO-SUCH-CODE")
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


def _browse(url: str) -> tuple[str, list[str]]:
    """The DOM headless Chromium builds for ``url`` and its console's CSP complaints."""
    done = subprocess.run(
        ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
         "--v=0", "--virtual-time-budget=5000", "--dump-dom", url],
        capture_output=True, text=True, timeout=120)
    return done.stdout, [line for line in done.stderr.splitlines()
                         if "Content Security Policy" in line or "Refused to" in line]


@pytest.mark.slow
async def test_pages_run_in_a_browser_under_their_policy(db_url, backend):
    """Chromium reports no CSP violation on any page: the docs page's script runs and draws
    every route from the fetched document, GraphiQL's inline script runs (its CDN files
    are out of reach offline, so it stops at the missing js-cookie), the holder page's
    style applies."""
    if backend != "sqlite" or shutil.which("chromium") is None:
        pytest.skip("one browser run is enough (SQLite), and it needs chromium")
    key = cli_key(db_url, "browser", "pro")["key"]
    with serve(db_url) as (base,):
        async with ClientSession(headers={"Authorization": f"Bearer {key}"}) as http:
            async with http.post(f"{base}/graphql", json={"query": CREATE_PASS, "variables": {
                    "input": {"name": "Gala"}}}) as resp:
                public = (await resp.json())["data"]["createPass"]["pass"]["publicUrl"]
        holder = base + public[public.index("/p/"):]
        pages = await asyncio.gather(*(asyncio.to_thread(_browse, url) for url in (
            f"{base}/api/v1/docs", f"{base}/graphql", holder)))
    (docs_dom, docs_csp), (graphiql_dom, graphiql_csp), (holder_dom, holder_csp) = pages
    assert docs_csp == graphiql_csp == holder_csp == [], pages
    assert docs_dom.count("<details>") > 10
    assert 'id="graphiql"' in graphiql_dom and "Gala" in holder_dom

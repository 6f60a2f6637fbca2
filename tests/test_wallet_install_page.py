"""The holder's install page over HTTP: wallet buttons where configured, the barcode inline,
a strict Content-Security-Policy, and no way to tell a wrong token from an unknown code."""

import base64
import hashlib
import re

from tests.barcode_decode import decode, svg_pixels
from tests.fragments import CREATE_PASS, CREATE_TEMPLATE
from tests.wallet_certs import configure_apple, service_account

SET_GOOGLE = """mutation($input: SetGoogleWalletInput!) { setGoogleWallet(input: $input) {
  settings { google { issuerId } } } }"""
WALLET = """query($id: ID!) { node(id: $id) { ... on Pass { wallet {
  applePassUrl googleSaveUrl installUrl } } } }"""


async def test_install_page_offers_both_wallets_under_a_strict_csp(api):
    await configure_apple(api)
    await api.gql(SET_GOOGLE, {"input": {"issuerId": "1234",
                                         "serviceAccount": service_account().json()}})
    tpl = await api.gql(CREATE_TEMPLATE, {"input": {"name": "Gala <b>", "kind": "EVENT_TICKET",
                                                    "barcodeFormat": "PDF417"}})
    tpl_id = tpl["createTemplate"]["template"]["id"]
    await api.gql('mutation($i: UpdateTemplateInput!) { updateTemplate(input: $i) '
                  '{ template { id } } }', {"i": {"id": tpl_id, "backgroundColor": "#7b2cbf"}})
    p = (await api.gql(CREATE_PASS, {"input": {
        "templateId": tpl_id, "holderName": "Ada <script>alert(1)</script>",
        "customFields": [{"key": "Seat", "value": "A12", "isPublic": True},
                         {"key": "Risk", "value": "high", "isPublic": False}]}}))
    p = p["createPass"]["pass"]
    wallet = (await api.gql(WALLET, {"id": p["id"]}))["node"]["wallet"]
    assert wallet["installUrl"] == p["publicUrl"]

    resp = await api.client.get(p["publicUrl"].removeprefix("http://passes.test"))
    assert resp.status == 200
    html = await resp.text()
    policy = resp.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy
    assert "script-src" not in policy and "frame-ancestors 'none'" in policy
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy and "#7b2cbf" in style  # that block, nothing else
    assert "style-src 'self'" not in policy  # the one hashed block is all the style
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Cache-Control"] == "no-store"
    assert "<script>" not in html and "&lt;script&gt;" in html  # escaped, never run
    assert "A12" in html and "high" not in html and "Risk" not in html

    apple = re.search(r'id="add-to-apple-wallet" href="([^"]+)"', html).group(1)
    google = re.search(r'id="save-to-google-wallet" href="([^"]+)"', html).group(1)
    assert "http://passes.test" + apple.replace("&amp;", "&") == wallet["applePassUrl"]
    assert google.startswith("https://pay.google.com/gp/v/save/")
    assert (await api.client.get(apple.replace("&amp;", "&"))).status == 200

    svg = html[html.index("<svg"):html.index("</svg>") + 6]
    assert decode(*svg_pixels(svg)) == [("PDF417", p["code"])]


async def test_install_page_without_wallet_settings_has_no_buttons(api):
    p = (await api.gql(CREATE_PASS, {"input": {"name": "Plain"}}))["createPass"]["pass"]
    html = await (await api.client.get(p["publicUrl"].removeprefix("http://passes.test"))).text()
    assert "Plain" in html and "Add to Apple Wallet" not in html
    assert "Save to Google Wallet" not in html


async def test_wrong_token_and_unknown_code_look_the_same(api):
    p = (await api.gql(CREATE_PASS, {"input": {"name": "Secret"}}))["createPass"]["pass"]
    wrong = await api.client.get(f"/p/{p['code']}?token={'A' * 22}")
    unknown = await api.client.get(f"/p/ZZZZZZZZZZZZZZZZ?token={'A' * 22}")
    assert wrong.status == unknown.status == 404
    assert await wrong.text() == await unknown.text()

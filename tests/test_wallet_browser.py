"""The install page in a real headless Chromium (Debian's ``chromium``, driven by Playwright):
it renders under its strict CSP, the barcode in the screenshot decodes back to the pass code,
and the buttons link where GraphQL says.

Skipped with a message where Chromium or Playwright is missing, unless
PASSGATE_REQUIRE_SERVICES=1 (CI installs both: ``apt-get install -y chromium``).
"""

import os
import shutil

import pytest

from tests.barcode_decode import decode, screenshot_pixels
from tests.conftest import REQUIRE_SERVICES
from tests.fragments import CREATE_PASS, CREATE_TEMPLATE
from tests.test_wallet_install_page import SET_GOOGLE, WALLET
from tests.wallet_certs import configure_apple, service_account


def chromium() -> str:
    path = os.environ.get("PASSGATE_CHROMIUM") or shutil.which("chromium") or shutil.which(
        "chromium-browser")
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        path = None
    if path is None:
        message = "Chromium and the playwright package are needed for the browser test"
        if REQUIRE_SERVICES:
            pytest.fail(message + " (apt-get install -y chromium)", pytrace=False)
        pytest.skip(message + ": skipped")
    return path


async def test_chromium_renders_the_install_page_and_its_barcode_decodes(api):
    executable = chromium()
    from playwright.async_api import async_playwright

    await configure_apple(api)
    await api.gql(SET_GOOGLE, {"input": {"issuerId": "77",
                                         "serviceAccount": service_account().json()}})
    tpl = await api.gql(CREATE_TEMPLATE, {"input": {"name": "Gala", "barcodeFormat": "QR"}})
    tpl_id = tpl["createTemplate"]["template"]["id"]
    await api.gql('mutation($i: UpdateTemplateInput!) { updateTemplate(input: $i) '
                  '{ template { id } } }', {"i": {"id": tpl_id, "backgroundColor": "#0b6e4f"}})
    p = (await api.gql(CREATE_PASS, {"input": {"templateId": tpl_id, "holderName": "Ada",
                                               "name": "Opening night"}}))["createPass"]["pass"]
    wallet = (await api.gql(WALLET, {"id": p["id"]}))["node"]["wallet"]
    url = str(api.client.make_url(p["publicUrl"].removeprefix("http://passes.test")))

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=executable,
                                           args=["--no-sandbox", "--disable-gpu"])
        try:
            page = await browser.new_page(viewport={"width": 480, "height": 900})
            refused: list[str] = []
            page.on("console", lambda m: refused.append(m.text)
                    if "Content Security Policy" in m.text else None)
            answer = await page.goto(url)
            assert answer is not None and answer.status == 200
            assert await page.title() == "Opening night"
            assert await page.text_content("h1") == "Opening night"
            background = await page.eval_on_selector(
                "header", "e => getComputedStyle(e).backgroundColor")
            assert background == "rgb(11, 110, 79)"  # the nonce'd style applied under CSP
            display = await page.eval_on_selector(
                "#add-to-apple-wallet", "e => getComputedStyle(e).display")
            assert display == "block"  # the stylesheet loaded
            assert refused == []
            apple = await page.get_attribute("#add-to-apple-wallet", "href")
            google = await page.get_attribute("#save-to-google-wallet", "href")
            shot = await page.locator("#barcode").screenshot()
        finally:
            await browser.close()
    assert "http://passes.test" + apple == wallet["applePassUrl"]
    assert google.startswith("https://pay.google.com/gp/v/save/")
    assert decode(*screenshot_pixels(shot)) == [("QR Code", p["code"])]

"""Every dialect speaks wallet: AccessGrid's install_url, direct_install_url, file_data and
devices (through the unchanged SDK), and PassQR's /api/wallet/apple|google?code=."""

import io
import zipfile

from tests.fragments import CREATE_PASS
from tests.test_rest_accessgrid import sdk_for, thread
from tests.test_wallet_apple import raw_id
from tests.test_wallet_google import SET_GOOGLE
from tests.test_wallet_passkit import Device, pass_json
from tests.wallet_certs import configure_apple, service_account


async def test_accessgrid_cards_carry_wallet_links_file_data_and_devices(api):
    await configure_apple(api)
    sdk = await sdk_for(api)
    template = await thread(sdk.console.create_template, name="Badge", platform="apple",
                            use_case="corporate_id", protocol="desfire")
    card = await thread(sdk.access_cards.issue, card_template_id=template.id,
                        full_name="Ada Lovelace", employee_id="E-1")
    assert card.install_url.startswith("http://passes.test/p/")
    assert card.direct_install_url.startswith("http://passes.test/p/")  # Apple only: .pkpass
    assert ".pkpass?token=" in card.direct_install_url
    fetched = await thread(sdk.access_cards.get, card.id)
    assert fetched.devices == []
    pkpass = await api.client.get(card.direct_install_url.removeprefix("http://passes.test"))
    blob = await pkpass.read()
    assert fetched.file_data == {"file_name": pkpass.headers["Content-Disposition"].split(
        'filename="')[1].rstrip('"'), "file_size": len(blob),
        "content_type": "application/vnd.apple.pkpass"}

    # An iPhone installs it and registers: the card now lists the device.
    data = pass_json(blob)
    assert (await Device(api.client, data).register()).status == 201
    fetched = await thread(sdk.access_cards.get, card.id)
    assert [(d["platform"], d["device_type"], d["status"]) for d in fetched.devices] == [
        ("ios", "iphone", "active")]
    assert fetched.devices[0]["id"].startswith("wrg_")

    # With Google set up too, the direct link is Google's save link.
    await api.gql(SET_GOOGLE, {"input": {"issuerId": "42",
                                         "serviceAccount": service_account().json()}})
    fetched = await thread(sdk.access_cards.get, card.id)
    assert fetched.direct_install_url.startswith("https://pay.google.com/gp/v/save/")
    assert fetched.install_url == card.install_url


async def test_passqr_wallet_routes_redirect_to_the_links(api):
    p = (await api.gql(CREATE_PASS, {"input": {"name": "QR"}}))["createPass"]["pass"]
    auth = {"Authorization": f"Bearer {api.key}"}
    refused = await api.client.get("/api/wallet/apple", params={"code": p["code"]},
                                   headers=auth, allow_redirects=False)
    assert refused.status == 409
    assert "Apple Wallet is not configured" in (await refused.json())["message"]

    await configure_apple(api)
    await api.gql(SET_GOOGLE, {"input": {"issuerId": "42",
                                         "serviceAccount": service_account().json()}})
    apple = await api.client.get("/api/wallet/apple", params={"code": p["code"]},
                                 headers=auth, allow_redirects=False)
    assert apple.status == 302
    assert apple.headers["Location"].startswith(f"http://passes.test/p/{p['code']}/pass.pkpass")
    again = await api.client.get("/api/wallet/apple", params={"code": p["code"].lower()},
                                 headers=auth, allow_redirects=False)
    assert again.headers["Location"] == apple.headers["Location"]  # codes ignore case
    followed = await api.client.get(
        apple.headers["Location"].removeprefix("http://passes.test"))
    assert followed.status == 200
    assert followed.headers["Content-Type"] == "application/vnd.apple.pkpass"
    with zipfile.ZipFile(io.BytesIO(await followed.read())) as zf:
        assert "signature" in zf.namelist()
    google = await api.client.get("/api/wallet/google", params={"code": p["code"]},
                                  headers=auth, allow_redirects=False)
    assert google.status == 302
    assert google.headers["Location"].startswith("https://pay.google.com/gp/v/save/")

    missing = await api.client.get("/api/wallet/google", params={"code": "NOPE"},
                                   headers=auth, allow_redirects=False)
    assert missing.status == 404
    other = await api.other_tenant()
    theirs = await api.client.get("/api/wallet/apple", params={"code": p["code"]},
                                  headers={"Authorization": f"Bearer {other.key}"},
                                  allow_redirects=False)
    assert theirs.status == 404


IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/126.0 Mobile Safari/537.36")


async def test_walletcrew_install_link_works_without_an_api_key(api):
    """The Wallet Crew's install operation answers the pass's public install link; the
    holder follows it with no key and lands in the wallet their device has."""
    p = (await api.gql(CREATE_PASS, {"input": {"name": "WC"}}))["createPass"]["pass"]
    pass_id = raw_id(p)
    answer = await api.client.get(f"/api/{api.tenant_id}/passes/{pass_id}/install",
                                  params={"platform": "auto", "userAgent": IPHONE},
                                  headers={"X-API-KEY": api.key}, allow_redirects=False)
    assert answer.status == 302, await answer.text()
    link = answer.headers["Location"].removeprefix("http://passes.test")
    assert "/install?" in link and "token=" in link and "userAgent=" in link

    async def follow(path: str, **headers: str):
        return await api.client.get(path, headers=headers, allow_redirects=False)

    # Nothing set up: auto is the install page; apple and google name what is missing.
    preview = await follow(link.split("&userAgent=")[0].replace("platform=auto",
                                                                 "platform=preview"))
    assert preview.status == 302 and preview.headers["Location"].startswith("/p/")
    assert (await follow(preview.headers["Location"])).status == 200
    assert (await follow(link)).headers["Location"] == preview.headers["Location"]
    apple_link = link.replace("platform=auto", "platform=apple")
    refused = await follow(apple_link)
    assert refused.status == 409 and "Apple Wallet" in (await refused.json())["message"]

    await configure_apple(api)
    await api.gql(SET_GOOGLE, {"input": {"issuerId": "42",
                                         "serviceAccount": service_account().json()}})
    to_pkpass = await follow(link)  # auto, for the iPhone named in the link
    assert ".pkpass?token=" in to_pkpass.headers["Location"]
    pkpass = await follow(to_pkpass.headers["Location"])
    assert pkpass.headers["Content-Type"] == "application/vnd.apple.pkpass"
    bare = link.split("&userAgent=")[0]
    android = await follow(bare, **{"User-Agent": ANDROID})
    assert android.headers["Location"].startswith("https://pay.google.com/gp/v/save/")
    desktop = await follow(bare, **{"User-Agent": "curl/8"})
    assert desktop.headers["Location"].startswith("/p/") and "install" not in desktop.headers[
        "Location"]

    assert (await follow(bare.replace("platform=auto", "platform=fax"))).status == 400
    forged = bare.split("token=")[0] + "token=" + "A" * 22
    assert (await follow(forged)).status == 404


async def test_walletcrew_passes_show_and_filter_installations(api):
    await configure_apple(api)
    wc = {"X-API-KEY": api.key}
    first = (await api.gql(CREATE_PASS, {"input": {"name": "A"}}))["createPass"]["pass"]
    second = (await api.gql(CREATE_PASS, {"input": {"name": "B"}}))["createPass"]["pass"]
    token = first["publicUrl"].split("token=")[1]
    blob = await (await api.client.get(f"/p/{first['code']}/pass.pkpass?token={token}")).read()
    device = Device(api.client, pass_json(blob))
    assert (await device.register()).status == 201
    assert (await Device(api.client, pass_json(blob)).register()).status == 201  # 2nd phone

    base = f"/api/{api.tenant_id}/passes"
    one = await (await api.client.get(f"{base}/{raw_id(first)}", headers=wc)).json()
    wallet = (await api.gql(
        'query($id: ID!) { node(id: $id) { ... on Pass { wallet { devices { registeredAt } } '
        '} } }', {"id": first["id"]}))["node"]["wallet"]
    assert one["providers"] == {"apple": wallet["devices"][0]["registeredAt"].replace(
        "+00:00", "Z")}
    other = await (await api.client.get(f"{base}/{raw_id(second)}", headers=wc)).json()
    assert other["providers"] == {}

    def listing(value: str):
        return api.client.get(base, headers=wc, params={
            "filter[0].field": "installationStatus", "filter[0].operator": "equals",
            "filter[0].value": value})

    installed = await listing("installed")
    assert [p["id"] for p in await installed.json()] == [raw_id(first)]
    assert installed.headers["x-pagination-total"] == "1"
    assert [p["id"] for p in await (await listing("notInstalled")).json()] == [raw_id(second)]
    assert (await device.updated()).status == 200
    await api.client.delete(device.registration(), headers=device.auth)
    assert [p["id"] for p in await (await listing("installed")).json()] == [raw_id(first)]

"""Apple's PassKit web service, spoken over HTTP as a device does: register, ask what
changed since a tag, fetch the latest pass (304 when unchanged), unregister, send logs."""

import asyncio
import io
import secrets
import zipfile
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

import orjson
from sqlalchemy import text

from tests.fragments import CREATE_PASS, CREATE_TEMPLATE
from tests.wallet_certs import configure_apple

BASE = "http://passes.test"
UPDATE = "mutation($i: UpdatePassInput!) { updatePass(input: $i) { pass { id } } }"
WALLET = """query($id: ID!) { node(id: $id) { ... on Pass {
  wallet { applePassUrl devices { platform registeredAt } } } } }"""


def pass_json(blob: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        return orjson.loads(zf.read("pass.json"))


class Device:
    """What an iPhone does with a pass's webServiceURL and authenticationToken."""

    def __init__(self, client, data: dict, device_id: str | None = None) -> None:
        self.client = client
        self.root = data["webServiceURL"].removeprefix(BASE) + "/v1"
        self.type_id, self.serial = data["passTypeIdentifier"], data["serialNumber"]
        self.auth = {"Authorization": f"ApplePass {data['authenticationToken']}"}
        self.device_id = device_id or secrets.token_hex(16)

    def registration(self, serial: str | None = None, type_id: str | None = None) -> str:
        return (f"{self.root}/devices/{self.device_id}/registrations/"
                f"{type_id or self.type_id}/{serial or self.serial}")

    async def register(self, push_token: str = "ab" * 32, **kw):
        headers = kw.pop("headers", self.auth)
        return await self.client.post(self.registration(**kw), headers=headers,
                                      json={"pushToken": push_token})

    async def updated(self, since: str | None = None):
        params = {"passesUpdatedSince": since} if since else None
        return await self.client.get(
            f"{self.root}/devices/{self.device_id}/registrations/{self.type_id}", params=params)

    async def latest(self, if_modified_since: str | None = None, headers=None):
        sent = dict(headers if headers is not None else self.auth)
        if if_modified_since:
            sent["If-Modified-Since"] = if_modified_since
        return await self.client.get(f"{self.root}/passes/{self.type_id}/{self.serial}",
                                     headers=sent)


async def installed_pass(api, **extra):
    """Create a pass and 'install' it: download the .pkpass from its public link."""
    await configure_apple(api)
    p = (await api.gql(CREATE_PASS, {"input": {"name": "Gala", "holderName": "Ada",
                                               **extra}}))["createPass"]["pass"]
    token = p["publicUrl"].split("token=")[1]
    resp = await api.client.get(f"/p/{p['code']}/pass.pkpass?token={token}")
    assert resp.status == 200
    return p, Device(api.client, pass_json(await resp.read()))


async def test_passkit_round_trip(api):
    p, device = await installed_pass(api)
    assert device.root == "/wallet/apple/v1"

    assert (await device.register()).status == 201
    assert (await device.register(push_token="cd" * 32)).status == 200  # known: refreshed
    wallet = (await api.gql(WALLET, {"id": p["id"]}))["node"]["wallet"]
    assert [d["platform"] for d in wallet["devices"]] == ["apple"]
    assert wallet["devices"][0]["registeredAt"]
    token = p["publicUrl"].split("token=")[1]
    assert wallet["applePassUrl"] == f"{BASE}/p/{p['code']}/pass.pkpass?token={token}"

    listed = await device.updated()
    assert listed.status == 200
    body = await listed.json()
    assert body["serialNumbers"] == [device.serial]
    assert isinstance(body["lastUpdated"], str) and body["lastUpdated"].isdigit()
    far = str(int((datetime.now(UTC) + timedelta(days=1)).timestamp() * 1_000_000))
    assert (await device.updated(far)).status == 204
    other = Device(api.client, {"webServiceURL": BASE + "/wallet/apple",
                                "passTypeIdentifier": device.type_id,
                                "serialNumber": device.serial, "authenticationToken": "x"},
                   device_id="device-never-registered")
    assert (await other.updated()).status == 204

    fetched = await device.latest()
    assert fetched.status == 200
    assert fetched.headers["Content-Type"] == "application/vnd.apple.pkpass"
    assert pass_json(await fetched.read())["serialNumber"] == device.serial
    # A version is announced with its own second only once that second is over.
    await asyncio.sleep(1.05)
    fetched = await device.latest()
    stamp = fetched.headers["Last-Modified"]
    assert (await device.latest(if_modified_since=stamp)).status == 304
    earlier = format_datetime(parsedate_to_datetime(stamp) - timedelta(seconds=5), usegmt=True)
    assert (await device.latest(if_modified_since=earlier)).status == 200

    # A change the holder sees makes a new version: listed since the tag, no longer 304.
    await api.gql(UPDATE, {"i": {"id": p["id"], "holderName": "Grace"}})
    listed = await device.updated(body["lastUpdated"])
    assert listed.status == 200 and (await listed.json())["serialNumbers"] == [device.serial]
    fresh = await device.latest(if_modified_since=stamp)
    assert fresh.status == 200
    assert "Grace" in orjson.dumps(pass_json(await fresh.read())).decode()

    # A change it does not see (the private note) makes none.
    await asyncio.sleep(2.1)  # past the look-back that keeps lastUpdated behind "now"
    tag = (await (await device.updated()).json())["lastUpdated"]
    assert (await device.updated(tag)).status == 204
    await api.gql(UPDATE, {"i": {"id": p["id"], "note": "internal only"}})
    assert (await device.updated(tag)).status == 204

    assert (await api.client.delete(device.registration(), headers=device.auth)).status == 200
    assert (await device.updated()).status == 204


async def test_template_change_is_a_new_version_of_its_passes(api):
    tpl = (await api.gql(CREATE_TEMPLATE, {"input": {"name": "Club", "kind": "MEMBERSHIP"}}))
    tpl_id = tpl["createTemplate"]["template"]["id"]
    _, device = await installed_pass(api, templateId=tpl_id)
    assert (await device.register()).status == 201
    await asyncio.sleep(2.1)
    tag = (await (await device.updated()).json())["lastUpdated"]
    assert (await device.updated(tag)).status == 204
    await api.gql('mutation($i: UpdateTemplateInput!) { updateTemplate(input: $i) '
                  '{ template { id } } }', {"i": {"id": tpl_id, "backgroundColor": "#aa0000"}})
    listed = await device.updated(tag)
    assert listed.status == 200 and (await listed.json())["serialNumbers"] == [device.serial]
    data = pass_json(await (await device.latest()).read())
    assert data["backgroundColor"] == "rgb(170, 0, 0)" and "storeCard" in data


async def test_passkit_refuses_wrong_tokens_types_and_bodies(api):
    _, device = await installed_pass(api)
    wrong = {"Authorization": "ApplePass " + "0" * 32}
    for kw in ({"headers": wrong}, {"headers": {}}, {"type_id": "pass.other.type"},
               {"serial": "pass_unknown"},
               {"headers": {"Authorization": device.auth["Authorization"].replace(
                   "ApplePass", "Bearer")}}):
        assert (await device.register(**kw)).status == 401, kw
    assert (await device.latest(headers=wrong)).status == 401
    assert (await api.client.delete(device.registration(), headers=wrong)).status == 401
    bad = await api.client.post(device.registration(), headers=device.auth, data=b"{")
    assert bad.status == 400 and "JSON" in (await bad.json())["message"]
    bad = await api.client.post(device.registration(), headers=device.auth, json={})
    assert bad.status == 400 and "pushToken" in (await bad.json())["message"]
    assert (await device.updated()).status == 204  # nothing was registered

    logged = await api.client.post("/wallet/apple/v1/log", json={"logs": ["it broke"]})
    assert logged.status == 200
    assert (await api.client.post("/wallet/apple/v1/log", json={"logs": 3})).status == 400

    # Another tenant's token for the same serial does not exist: tokens are per pass.
    other = await api.other_tenant()
    _, stranger = await installed_pass(other)
    assert (await device.register(headers=stranger.auth)).status == 401


async def test_concurrent_registrations_create_one(api):
    _, device = await installed_pass(api)
    answers = await asyncio.gather(*(device.register() for _ in range(20)))
    statuses = sorted(r.status for r in answers)
    assert statuses == [200] * 19 + [201]
    async with api.db.read() as conn:
        count = await conn.scalar(text(
            "SELECT count(*) FROM wallet_registrations WHERE pass_id = :p"), {"p": device.serial})
    assert count == 1


async def test_the_web_service_also_answers_where_the_wallet_crew_has_it(api):
    """/api/{tenantId}/passes/apple/v1/…: devices send no API key, only ApplePass; another
    tenant's path knows nothing of the pass."""
    p, device = await installed_pass(api)
    device.root = f"/api/{api.tenant_id}/passes/apple/v1"
    assert (await device.register()).status == 201
    listed = await device.updated()
    assert listed.status == 200 and (await listed.json())["serialNumbers"] == [device.serial]
    fetched = await device.latest()
    assert fetched.status == 200
    assert pass_json(await fetched.read())["serialNumber"] == device.serial
    wallet = (await api.gql(WALLET, {"id": p["id"]}))["node"]["wallet"]
    assert [d["platform"] for d in wallet["devices"]] == ["apple"]
    logged = await api.client.post(f"{device.root}/log", json={"logs": ["hello"]})
    assert logged.status == 200
    assert (await api.client.post(f"{device.root}/log", json={"logs": [1]})).status == 400
    assert (await device.updated(since="9" * 20)).status == 200  # past the calendar: no tag

    other = await api.other_tenant()
    device.root = f"/api/{other.tenant_id}/passes/apple/v1"
    assert (await device.register()).status == 401
    assert (await device.latest()).status == 401
    assert (await device.updated()).status == 204
    device.root = f"/api/{api.tenant_id}/passes/apple/v1"
    assert (await api.client.delete(device.registration(), headers=device.auth)).status == 200
    assert (await device.updated()).status == 204

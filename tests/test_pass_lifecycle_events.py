"""Events no request makes directly: pass.expired (the worker's sweep sees a validity end)
and pass.installed / pass.uninstalled (a wallet registers or unregisters through Apple's
PassKit web service). Each reaches a real local receiver in every dialect's shape and
signature."""

import asyncio
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks import Webhook

from gateway.app import create_app
from gateway.keys import STATE
from gateway.settings import Settings
from resolvers import auth
from tests.conftest import Api, make_api
from tests.fragments import CREATE_PASS
from tests.receiver import Receiver, receiving
from tests.test_deliveries import fast, subscribe  # noqa: F401 - fast is a fixture
from tests.test_events import raw
from tests.test_wallet_passkit import installed_pass

EVENTS = ("query($t: [String!]) { events(first: 50, filter: {types: $t}) "
          "{ totalCount nodes { id type orderingKey } } }")
UPDATE = "mutation($i: UpdatePassInput!) { updatePass(input: $i) { pass { id } } }"


@pytest.fixture
async def sweeping(aiohttp_client: Any, fast: Settings) -> Api:  # noqa: F811
    """An app whose worker delivers at once and sweeps every 50 ms."""
    app = create_app(fast.model_copy(update={"sweep_seconds": 0.05}))
    return await make_api(await aiohttp_client(app), plan="enterprise")


class Dialects:
    """One webhook per dialect on one tenant, each with its own receiver."""

    def __init__(self, api: Api, native: Receiver, walletcrew: Receiver,
                 accessgrid: Receiver) -> None:
        self.api = api
        self.native, self.walletcrew, self.accessgrid = native, walletcrew, accessgrid
        self.secrets: dict[str, str] = {}

    async def subscribe(self, native: list[str], walletcrew: list[str],
                        accessgrid: list[str]) -> None:
        api = self.api
        wc = (await auth.create_key(api.db, api.tenant_id, name="wc", scopes="all",
                                    dialect="walletcrew")).key
        ag = (await auth.create_key(api.db, api.tenant_id, name="ag", scopes="all",
                                    dialect="accessgrid",
                                    server_secret=api.client.app[STATE].secret_key)).key
        _, self.secrets["native"] = await subscribe(api, self.native.url, native)
        _, self.secrets["walletcrew"] = await subscribe(api, self.walletcrew.url, walletcrew,
                                                        key=wc)
        _, self.secrets["accessgrid"] = await subscribe(api, self.accessgrid.url,
                                                        accessgrid, key=ag)

    async def until(self, count: int) -> None:
        for r in (self.native, self.walletcrew, self.accessgrid):
            await r.until(lambda r: len(r.accepted()) >= count)

    def native_bodies(self) -> list[dict[str, Any]]:
        verifier = Webhook(self.secrets["native"])
        return [verifier.verify(r.body, r.headers) for r in self.native.accepted()]

    def walletcrew_bodies(self) -> list[dict[str, Any]]:
        secret = self.secrets["walletcrew"].encode()
        for r in self.walletcrew.accepted():
            expected = hmac.new(secret, r.body, hashlib.sha256).hexdigest()
            assert r.headers["X-NEOSTORE-SIGNATURE"] == expected
        return [r.json for r in self.walletcrew.accepted()]

    def accessgrid_bodies(self) -> list[dict[str, Any]]:
        for r in self.accessgrid.accepted():
            assert r.headers["Authorization"] == f"Bearer {self.secrets['accessgrid']}"
            assert r.headers["Content-Type"] == "application/cloudevents+json"
        return [r.json for r in self.accessgrid.accepted()]


@pytest.fixture
def dialects(sweeping: Api) -> Any:
    with receiving() as n, receiving() as w, receiving() as a:
        yield Dialects(sweeping, n, w, a)


def soon(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


async def test_expiry_is_announced_once_per_end_of_validity(dialects: Dialects):
    api = dialects.api
    await dialects.subscribe(["pass.expired"], ["Pass:Expired"], ["ag.access_pass.expired"])
    made = (await api.gql(CREATE_PASS, {"input": {"name": "Day ticket",
                                                  "validUntil": soon(1.0)}}))
    p = made["createPass"]["pass"]
    p["id"] = raw(p["id"])
    await api.gql(CREATE_PASS, {"input": {"validUntil": soon(3600)}})  # not announced
    await dialects.until(1)
    (native,) = dialects.native_bodies()
    assert native["type"] == "pass.expired"
    assert native["data"]["id"] == p["id"] and native["data"]["status"] == "expired"
    (wc,) = dialects.walletcrew_bodies()
    assert wc["event"] == "Pass:Expired" and wc["data"]["id"] == p["id"]
    assert wc["data"]["status"] == "expired"
    (ag,) = dialects.accessgrid_bodies()
    assert ag["type"] == "ag.access_pass.expired" and ag["data"]["access_pass_id"] == p["id"]
    # Sweeps go on every 50 ms: the same end of validity is never announced twice, and a
    # pass still valid is not announced.
    await asyncio.sleep(0.5)
    got = (await api.gql(EVENTS, {"t": ["pass.expired"]}))["events"]
    assert got["totalCount"] == 1 and got["nodes"][0]["orderingKey"] == p["id"]
    # Validity extended, then ended again: a new announcement, in order after the update.
    await api.gql(UPDATE, {"i": {"id": made["createPass"]["pass"]["id"],
                                 "validUntil": soon(1.0)}})
    await dialects.until(2)
    assert [b["type"] for b in dialects.native_bodies()] == ["pass.expired", "pass.expired"]
    assert (await api.gql(EVENTS, {"t": ["pass.expired"]}))["events"]["totalCount"] == 2


async def test_a_deleted_pass_is_not_announced(sweeping: Api):
    p = (await sweeping.gql(CREATE_PASS, {"input": {"validUntil": soon(0.5)}}))
    pid = p["createPass"]["pass"]["id"]
    await sweeping.gql("mutation($id: ID!) { deletePass(input: {id: $id}) { pass { id } } }",
                       {"id": pid})
    await asyncio.sleep(1.2)
    got = await sweeping.gql(EVENTS, {"t": ["pass.expired"]})
    assert got["events"]["totalCount"] == 0


async def test_wallet_install_and_uninstall_in_each_dialect(dialects: Dialects):
    api = dialects.api
    await dialects.subscribe(["pass.installed", "pass.uninstalled"], ["Pass:Installed",
                             "Pass:Uninstalled"], ["ag.access_pass.devices.*"])
    p, device = await installed_pass(api)
    p["id"] = raw(p["id"])
    assert (await device.register()).status == 201
    assert (await device.register(push_token="cd" * 32)).status == 200  # refresh: no event
    await dialects.until(1)
    unregister = device.registration()
    assert (await api.client.delete(unregister, headers=device.auth)).status == 200
    assert (await api.client.delete(unregister, headers=device.auth)).status == 200  # no event
    await dialects.until(2)
    await asyncio.sleep(0.3)  # a third delivery would arrive now
    native = dialects.native_bodies()
    assert [b["type"] for b in native] == ["pass.installed", "pass.uninstalled"]
    installed, uninstalled = (b["data"] for b in native)
    assert installed["id"] == p["id"] and installed["code"] == p["code"]
    assert installed["installation"]["platform"] == "apple"
    assert installed["installation"]["device_library_id"] == device.device_id
    assert installed["installation"]["active_registrations"] == 1
    assert uninstalled["installation"]["active_registrations"] == 0
    assert "push_token" not in installed["installation"]
    wc = dialects.walletcrew_bodies()
    assert [b["event"] for b in wc] == ["Pass:Installed", "Pass:Uninstalled"]
    assert wc[0]["data"] == {"passId": p["id"], "passType": None,
                             "identifiers": {}, "device": "apple",
                             "additionalInformation": {"activeRegistrationCount": 1}}
    ag = dialects.accessgrid_bodies()
    assert [b["type"] for b in ag] == ["ag.access_pass.devices.added",
                                       "ag.access_pass.devices.removed"]
    assert ag[0]["data"]["access_pass_id"] == p["id"]
    assert ag[0]["data"]["device"] == {"type": "iphone", "id": device.device_id}
    got = await api.gql(EVENTS, {"t": ["Pass:Installed", "Pass:Uninstalled"]})
    assert got["events"]["totalCount"] == 2

"""The accessgrid REST dialect (seed 002) over real HTTP: the public ``accessgrid`` SDK, unchanged,
runs every key card, card template and webhook method against the live test server; raw signed
requests check the refusals (signatures, unknown fields, other tenants, out-of-scope features).
"""

import asyncio
import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import accessgrid
import pytest
from aiohttp import web
from strawberry import relay

from gateway.keys import STATE
from resolvers import auth
from tests.conftest import Api, make_api
from tests.fragments import VALIDATE
from tests.test_wallet_passkit import installed_pass

T = TypeVar("T")
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
PHOTO = base64.b64encode(b"\x89PNG tiny photo").decode()
CODE_OF = "query($id: ID!) { pass(id: $id) { code type maxUsages attributes } }"
NOT_OFFERED = [
    ("POST", "/v1/console/hid/orgs/activate", {"email": "a@b.c", "password": "x"}),
    ("GET", "/v1/console/hid/orgs", None),
    ("POST", "/v1/console/hid/orgs", {"name": "Org"}),
    ("GET", "/v1/console/credential-profiles", None),
    ("POST", "/v1/console/credential-profiles", {"name": "P", "app_name": "KEY-ID-main"}),
    ("DELETE", "/v1/console/credential-profiles/cp-1", None),
    ("POST", "/v1/console/card-templates/tpl_x/smart-tap/reveal", {"client_public_key": "k"}),
    ("POST", "/v1/console/card-templates/tpl_x/ios_preflight", {"access_pass_ex_id": "p"}),
    ("GET", "/v1/console/ledger-items", None),
    ("GET", "/v1/console/landing-pages", None),
    ("POST", "/v1/console/landing-pages", {"name": "L", "kind": "universal"}),
    ("PUT", "/v1/console/landing-pages/lp_1", {"name": "L"}),
    ("GET", "/v1/console/card-template-pairs", None),
    ("POST", "/v1/console/card-template-pairs", {"name": "Pair"}),
]


async def thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """The SDK is blocking (requests): run it off the loop that serves it."""
    return await asyncio.to_thread(fn, *args, **kwargs)


def soon(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat().replace("+00:00", "Z")


async def credential(api: Api) -> tuple[str, str]:
    minted = await auth.create_key(api.db, api.tenant_id, name="accessgrid",
                                   dialect="accessgrid",
                                   server_secret=api.client.app[STATE].secret_key)
    assert minted.account_id is not None
    return minted.account_id, minted.key


async def sdk_for(api: Api) -> accessgrid.AccessGrid:
    account_id, secret = await credential(api)
    return accessgrid.AccessGrid(account_id, secret,
                                 base_url=str(api.client.make_url("")).rstrip("/"))


class Signed:
    """Raw AccessGrid requests, signed as the spec says (independently of the server)."""

    def __init__(self, api: Api, account_id: str, secret: str) -> None:
        self.api, self.account_id, self.secret = api, account_id, secret

    async def __call__(self, method: str, path: str, body: Any = None, *,
                       params: dict[str, str] | None = None, secret: str | None = None,
                       account_id: str | None = None) -> tuple[int, Any]:
        params = dict(params or {})
        if body is not None:
            raw = json.dumps(body).encode()
            payload = raw
        else:
            raw = b""
            parts = path.strip("/").split("/")
            rid = parts[-2] if parts[-1] in ("suspend", "resume", "unlink", "delete",
                                             "publish", "verify") else parts[-1]
            params["sig_payload"] = json.dumps({"id": rid})
            payload = params["sig_payload"].encode()
        sig = hmac.new((secret or self.secret).encode(), base64.b64encode(payload),
                       hashlib.sha256).hexdigest()
        resp = await self.api.client.request(
            method, path, data=raw or None, params=params,
            headers={"X-ACCT-ID": account_id or self.account_id, "X-PAYLOAD-SIG": sig,
                     "Content-Type": "application/json"})
        text = await resp.text()
        return resp.status, (json.loads(text) if text else None)


async def signed_for(api: Api) -> Signed:
    return Signed(api, *await credential(api))


async def receiver(aiohttp_server: Any) -> tuple[str, list[bytes]]:
    """A local webhook endpoint answering 200."""
    seen: list[bytes] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(await request.read())
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", handle)
    server = await aiohttp_server(app, host="127.0.0.1")
    return f"http://127.0.0.1:{server.port}/hook", seen


async def validate(api: Api, card_id: str, device: str) -> bool:
    code = (await api.gql(CODE_OF, {"id": card_id}))["pass"]["code"]
    answer = await api.gql(VALIDATE, {"input": {"code": code, "deviceId": device}})
    return answer["validatePass"]["valid"]


# ---------------------------------------------------------------- the SDK, unchanged


async def test_the_sdk_runs_every_method_against_passgate(api, aiohttp_server):
    sdk = await sdk_for(api)
    tenant_name = (await api.gql("{ viewer { tenant { name } } }"))["viewer"]["tenant"]["name"]

    # --- card templates: create, update, read
    template = await thread(
        sdk.console.create_template,
        name="Employee Access Pass", platform="apple", use_case="corporate_id",
        protocol="desfire", allow_on_multiple_devices=True, watch_count=2, iphone_count=3,
        background_color="#FFFFFF", label_color="#000000", label_secondary_color="#333333",
        support_url="https://help.example.com", support_phone_number="+1-555-123-4567",
        support_email="support@example.com", privacy_policy_url="https://example.com/privacy",
        terms_and_conditions_url="https://example.com/terms",
        metadata={"version": "2.1", "approval_status": "approved"},
    )
    assert isinstance(template, accessgrid.client.Template)
    assert template.id.startswith("tpl_")
    assert (template.name, template.platform, template.use_case, template.protocol) == (
        "Employee Access Pass", "apple", "corporate_id", "desfire")
    assert ISO_Z.match(template.created_at)
    assert template.last_published_at is None
    assert (template.issued_keys_count, template.active_keys_count) == (0, 0)
    assert template.allowed_device_counts == {
        "allow_on_multiple_devices": True, "watch_count": 2, "iphone_count": 3}
    assert template.support_settings == {
        "support_url": "https://help.example.com", "support_phone_number": "+1-555-123-4567",
        "support_email": "support@example.com"}
    assert template.terms_settings == {"privacy_policy_url": "https://example.com/privacy",
                                       "terms_and_conditions_url": "https://example.com/terms"}
    assert template.style_settings == {"background_color": "#FFFFFF", "label_color": "#000000",
                                       "label_secondary_color": "#333333"}
    assert template.metadata == {"version": "2.1", "approval_status": "approved"}
    kind = await api.gql("query($id: ID!) { template(id: $id) { kind defaultType } }",
                         {"id": template.id})
    assert kind["template"] == {"kind": "ACCESS_BADGE", "defaultType": "MULTI"}

    updated = await thread(sdk.console.update_template, template.id,
                           name="Updated Employee NFC key", watch_count=1,
                           support_email="help@example.com", label_color="#111111")
    assert updated.name == "Updated Employee NFC key"
    assert updated.allowed_device_counts == {
        "allow_on_multiple_devices": True, "watch_count": 1, "iphone_count": 3}
    assert updated.support_settings["support_email"] == "help@example.com"
    assert updated.support_settings["support_url"] == "https://help.example.com"
    assert updated.style_settings["label_color"] == "#111111"
    assert (updated.platform, updated.protocol, updated.metadata["version"]) == (
        "apple", "desfire", "2.1")

    read = await thread(sdk.console.read_template, template.id)
    assert isinstance(read, accessgrid.client.Template)
    assert vars(read) | {"_client": None} == vars(updated) | {"_client": None}

    # --- key cards: issue (every README field), get, update
    card = await thread(
        sdk.access_cards.issue,
        card_template_id=template.id, employee_id="123456789", card_number="123456",
        site_code="100", full_name="Employee name", email="employee@example.com",
        phone_number="+19547212241", classification="full_time", department="Engineering",
        location="San Francisco", site_name="HQ Building A", workstation="4F-207",
        mail_stop="MS-401", company_address="123 Main St, San Francisco, CA 94105",
        start_date="2025-01-31T22:46:25.601Z", expiration_date="2040-04-30T22:46:25.601Z",
        employee_photo=PHOTO, title="Engineering Manager",
        metadata={"department": "engineering", "badge_type": "contractor"},
    )
    assert isinstance(card, accessgrid.client.AccessCard)
    assert card.id.startswith("pass_")
    assert card.details is None
    assert card.url == card.install_url == card.direct_install_url
    assert "/p/" in card.install_url and "token=" in card.install_url
    assert (card.state, card.full_name, card.employee_id, card.card_template_id) == (
        "active", "Employee name", "123456789", template.id)
    assert (card.card_number, card.site_code, card.temporary) == ("123456", "100", False)
    assert card.expiration_date == "2040-04-30T22:46:25.601000Z"
    assert card.organization_name == tenant_name
    assert ISO_Z.match(card.created_at)
    assert card.metadata == {"department": "engineering", "badge_type": "contractor"}
    stored = (await api.gql(CODE_OF, {"id": card.id}))["pass"]
    assert (stored["type"], stored["maxUsages"]) == ("MULTI", None)
    assert stored["attributes"]["employee_photo"] == PHOTO
    assert stored["attributes"]["department"] == "Engineering"

    got = await thread(sdk.access_cards.get, card.id)
    assert got.devices == []
    assert (got.id, got.full_name, got.employee_id, got.state) == (
        card.id, "Employee name", "123456789", "active")

    changed = await thread(sdk.access_cards.update, card.id, employee_id="987654321",
                           full_name="Updated Employee Name", department="Marketing",
                           title="Senior Developer", expiration_date="2041-02-22T21:04:03Z")
    assert (changed.full_name, changed.employee_id) == ("Updated Employee Name", "987654321")
    assert changed.expiration_date == "2041-02-22T21:04:03Z"
    assert (changed.card_number, changed.site_code) == ("123456", "100")  # kept
    attrs = (await api.gql(CODE_OF, {"id": card.id}))["pass"]["attributes"]
    assert (attrs["department"], attrs["title"], attrs["workstation"]) == (
        "Marketing", "Senior Developer", "4F-207")
    assert changed.metadata == card.metadata

    # --- lists: template, state, metadata filters and pages
    second = await thread(sdk.access_cards.issue, card_template_id=template.id,
                          full_name="Jane Smith", employee_id="EMP-2",
                          metadata={"department": "Operations"})
    third = await thread(sdk.access_cards.issue, card_template_id=template.id,
                         full_name="Joe Bloggs", metadata={"department": "Operations"})
    other_template = await thread(sdk.console.create_template, name="Hotel",
                                  platform="google", use_case="hotel", protocol="smart_tap")
    hotel = await thread(sdk.access_cards.issue, card_template_id=other_template.id,
                         full_name="Guest", numberOfRoomsReserved=2,
                         roomNumbers=["101", "102"], isCheckedIn=False,
                         checkInURL="https://hotel.example.com/checkin")
    assert (hotel.card_template_id, hotel.full_name) == (other_template.id, "Guest")
    hotel_raw = await thread(sdk.access_cards.get, hotel.id)
    assert hotel_raw.state == "active"

    listed = await thread(sdk.access_cards.list, template_id=template.id)
    assert [c.id for c in listed] == [third.id, second.id, card.id]
    assert all(isinstance(c, accessgrid.client.AccessCard) for c in listed)
    everything = await thread(sdk.access_cards.list)
    assert {c.id for c in everything} == {card.id, second.id, third.id, hotel.id}
    page = await thread(sdk._get, "/v1/key-cards",
                        {"template_id": template.id, "page": 2, "per_page": 2})
    assert {k: page[k] for k in ("status", "count", "total_count", "page", "per_page",
                                 "total_pages")} == {
        "status": "success", "count": 1, "total_count": 3, "page": 2, "per_page": 2,
        "total_pages": 2}
    assert [k["id"] for k in page["keys"]] == [card.id]
    ops = await thread(sdk._get, "/v1/key-cards", {"metadata[department]": "Operations"})
    assert [k["id"] for k in ops["keys"]] == [third.id, second.id]
    ops_json = await thread(sdk._get, "/v1/key-cards",
                            {"metadata": json.dumps({"department": "engineering"})})
    assert [k["id"] for k in ops_json["keys"]] == [card.id]

    # --- scans of the template's cards: the event log
    start = soon(minutes=-1)
    assert await validate(api, second.id, "gate-1")
    assert await validate(api, second.id, "gate-1")  # a key card is multi-use
    assert await validate(api, card.id, "gate-2")
    assert await validate(api, hotel.id, "gate-1")  # another template's card

    # --- lifecycle: suspend, resume, unlink, delete; state filters
    suspended = await thread(sdk.access_cards.suspend, third.id)
    assert (suspended.id, suspended.state) == (third.id, "suspended")
    assert not await validate(api, third.id, "gate-1")
    assert [c.id for c in await thread(sdk.access_cards.list, state="suspended")] == [third.id]
    active = await thread(sdk.access_cards.list, template_id=template.id, state="active")
    assert {c.id for c in active} == {card.id, second.id}
    resumed = await thread(sdk.access_cards.resume, third.id)
    assert resumed.state == "active"
    unlinked = await thread(sdk.access_cards.unlink, third.id)
    assert unlinked.state == "unlink"
    assert [c.id for c in await thread(sdk.access_cards.list, state="unlink")] == [third.id]
    deleted = await thread(sdk.access_cards.delete, third.id)
    assert deleted.state == "deleted"
    assert third.id not in {c.id for c in await thread(sdk.access_cards.list)}
    assert [c.id for c in await thread(sdk.access_cards.list, state="deleted")] == [third.id]
    assert (await thread(sdk.access_cards.get, third.id)).state == "deleted"

    # --- the event log: the cards' scans and their lifecycle, newest first
    logs = await thread(sdk.console.get_logs, template.id, page=1, per_page=20)
    assert logs["pagination"] == {"current_page": 1, "per_page": 20, "total_pages": 1,
                                  "total_count": 12}
    events = logs["logs"]
    assert [(e["event"], e["metadata"]["card_id"]) for e in events] == [
        ("delete", third.id), ("unlink", third.id), ("resume", third.id),
        ("access_denied", third.id), ("suspend", third.id),
        ("access_granted", card.id), ("access_granted", second.id),
        ("access_granted", second.id), ("issue", third.id), ("issue", second.id),
        ("update", card.id), ("issue", card.id)]
    assert events[3]["metadata"]["reason"] == "suspended"
    assert events[7]["metadata"] == {
        "device": "gate-1", "platform": None, "card_id": second.id,
        "template_id": template.id, "location": None, "reason": None}
    assert events[0]["id"].startswith("evt_") and events[3]["id"].startswith("scn_")
    assert events[0]["metadata"] == {
        "device": None, "platform": None, "card_id": third.id, "template_id": template.id,
        "location": None, "reason": None}
    assert all(ISO_Z.match(e["created_at"]) for e in events)
    gate1 = await thread(sdk.console.event_log, template.id,
                         filters={"device": "gate-1", "event_type": "access_granted",
                                  "start_date": start, "end_date": soon(minutes=1)})
    assert [e["metadata"]["card_id"] for e in gate1["logs"]] == [second.id, second.id]
    issued = await thread(sdk.console.get_logs, template.id, filters={"event_type": "issue"})
    assert [e["metadata"]["card_id"] for e in issued["logs"]] == [third.id, second.id, card.id]
    paged = await thread(sdk.console.get_logs, template.id, page=2, per_page=5)
    assert [e["event"] for e in paged["logs"]] == [e["event"] for e in events[5:10]]
    assert paged["pagination"]["total_pages"] == 3
    installs = await thread(sdk.console.get_logs, template.id, filters={"event_type": "install"})
    assert installs["logs"] == [] and installs["pagination"]["total_count"] == 0
    later = await thread(sdk.console.get_logs, template.id,
                         filters={"start_date": soon(minutes=5)})
    assert later["logs"] == []
    # Go, C# and Java send the filters flat; a name the log does not know is a 400.
    flat = await thread(sdk._get, f"/v1/console/card-templates/{template.id}/logs",
                        {"event_type": "suspend"})
    assert [e["metadata"]["card_id"] for e in flat["logs"]] == [third.id]
    with pytest.raises(accessgrid.AccessGridError, match="event_type"):
        await thread(sdk.console.get_logs, template.id, filters={"event_type": "teleport"})

    # --- publish, counts
    published = await thread(sdk.console.publish_template, template.id)
    assert isinstance(published, accessgrid.client.PublishTemplateResponse)
    assert (published.id, published.status) == (template.id, "ready")
    read = await thread(sdk.console.read_template, template.id)
    assert ISO_Z.match(read.last_published_at)
    assert (read.issued_keys_count, read.active_keys_count) == (2, 2)

    # --- delete: refused while cards use the template; an unused one goes
    with pytest.raises(accessgrid.AccessGridError, match="used by passes"):
        await thread(sdk.console.delete_template, template.id)
    spare = await thread(sdk.console.create_template, name="Spare", platform="google")
    assert await thread(sdk.console.delete_template, spare.id) is None
    with pytest.raises(accessgrid.AccessGridError, match="API request failed"):
        await thread(sdk.console.read_template, spare.id)

    # --- webhooks: create, list, verify, delete
    url, seen = await receiver(aiohttp_server)
    hook = await thread(sdk.console.webhooks.create, name="Production", url=url,
                        subscribed_events=["ag.access_pass.issued", "ag.access_pass.deleted"])
    assert isinstance(hook, accessgrid.client.Webhook)
    assert hook.id.startswith("whk_")
    assert (hook.name, hook.url, hook.auth_method) == ("Production", url, "bearer_token")
    assert hook.subscribed_events == ["ag.access_pass.issued", "ag.access_pass.deleted"]
    assert hook.private_key and ISO_Z.match(hook.created_at)
    assert hook.client_cert is None
    hooks = await thread(sdk.console.webhooks.list)
    assert [(h.id, h.private_key) for h in hooks] == [(hook.id, None)]
    verified = await thread(sdk.console.webhooks.verify, hook.id)
    assert (verified.id, verified.verified) == (hook.id, True)
    assert len(seen) == 1
    assert await thread(sdk.console.webhooks.delete, hook.id) is None
    assert await thread(sdk.console.webhooks.list) == []


async def test_the_sdk_hears_why_out_of_scope_features_are_refused(api):
    sdk = await sdk_for(api)
    calls: list[Callable[[], Any]] = [
        sdk.console.hid.orgs.list,
        lambda: sdk.console.hid.orgs.create("Org", "1 Main St", "+1-555-0000", "A", "B"),
        lambda: sdk.console.hid.orgs.activate("a@example.com", "pw"),
        sdk.console.credential_profiles.list,
        lambda: sdk.console.credential_profiles.create("Profile"),
        lambda: sdk.console.credential_profiles.delete("cp-1"),
        lambda: sdk.console.ios_preflight("tpl_x", "pass_x"),
        sdk.console.ledger_items,
        sdk.console.list_landing_pages,
        lambda: sdk.console.create_landing_page(name="L", kind="universal"),
        lambda: sdk.console.update_landing_page("lp_1", name="L"),
        sdk.console.list_pass_template_pairs,
        lambda: sdk.console.create_pass_template_pair(name="P"),
    ]
    for call in calls:
        with pytest.raises(accessgrid.AccessGridError, match="not offered by passgate"):
            await thread(call)


async def test_a_wrong_secret_is_an_authentication_error_in_the_sdk(api):
    account_id, _ = await credential(api)
    sdk = accessgrid.AccessGrid(account_id, "not-the-secret",
                                base_url=str(api.client.make_url("")).rstrip("/"))
    with pytest.raises(accessgrid.client.AuthenticationError):
        await thread(sdk.access_cards.list)


# ---------------------------------------------------------------- raw signed requests


async def template_for(send: Signed, **fields: Any) -> str:
    status, body = await send("POST", "/v1/console/card-templates",
                              {"name": "Badge", "platform": "apple", **fields})
    assert status == 200, body
    return body["id"]


async def test_bad_signature_and_unknown_account_are_401_with_a_message(api):
    send = await signed_for(api)
    status, body = await send("GET", "/v1/key-cards", secret="wrong")
    assert status == 401 and set(body) == {"message"} and "X-PAYLOAD-SIG" in body["message"]
    status, body = await send("POST", "/v1/key-cards",
                              {"card_template_id": "tpl_x", "full_name": "A"}, secret="wrong")
    assert status == 401 and set(body) == {"message"}
    status, body = await send("GET", "/v1/key-cards", account_id="acct_nobody")
    assert status == 401 and set(body) == {"message"}
    resp = await api.client.get("/v1/key-cards")
    assert resp.status == 401 and set(await resp.json()) == {"message"}


async def test_the_body_is_signed_byte_for_byte(api):
    """A body re-serialised differently from the one signed is refused."""
    send = await signed_for(api)
    body = {"name": "Badge", "platform": "apple"}
    sig = hmac.new(send.secret.encode(), base64.b64encode(json.dumps(body).encode()),
                   hashlib.sha256).hexdigest()
    resp = await api.client.post("/v1/console/card-templates",
                                 data=json.dumps(body, separators=(",", ":")),
                                 headers={"X-ACCT-ID": send.account_id, "X-PAYLOAD-SIG": sig,
                                          "Content-Type": "application/json"})
    assert resp.status == 401


async def test_missing_and_mistyped_fields_are_400_naming_them(api):
    """Unknown fields are ignored, as AccessGrid ignores them (test_accessgrid_sdk_readme)."""
    send = await signed_for(api)
    tpl = await template_for(send)
    status, body = await send("POST", "/v1/key-cards", {"card_template_id": tpl})
    assert status == 400 and "full_name" in body["message"]
    status, body = await send("POST", "/v1/key-cards", {"full_name": "A"})
    assert status == 400 and "card_template_id" in body["message"]
    status, body = await send("POST", "/v1/key-cards", {"card_template_id": tpl,
                                                        "full_name": "A", "temporary": "yes"})
    assert status == 400 and "temporary" in body["message"]
    status, body = await send("POST", "/v1/key-cards", {
        "card_template_id": tpl, "full_name": "A", "expiration_date": "tomorrow"})
    assert status == 400 and "expiration_date" in body["message"]
    status, body = await send("POST", "/v1/key-cards", {
        "card_template_id": tpl, "full_name": "A", "start_date": "2031-01-01T00:00:00Z",
        "expiration_date": "2030-01-01T00:00:00Z"})
    assert status == 400
    assert body["message"] == "expiration_date must be later than start_date"
    status, card = await send("POST", "/v1/key-cards", {"card_template_id": tpl,
                                                        "full_name": "A"})
    assert status == 200
    # Seed 002's update fields only: the credential itself is not an update field (ignored).
    status, body = await send("PATCH", f"/v1/key-cards/{card['id']}", {"card_number": "1"})
    assert status == 400 and "nothing to change" in body["message"]
    status, body = await send("PATCH", f"/v1/key-cards/{card['id']}", {})
    assert status == 400 and "nothing to change" in body["message"]
    status, body = await send("POST", "/v1/console/card-templates", {"platform": "apple"})
    assert status == 400 and "name" in body["message"]
    status, body = await send("POST", "/v1/console/card-templates",
                              {"name": "T", "platform": "windows"})
    assert status == 400 and "platform" in body["message"]
    status, body = await send("POST", "/v1/console/webhooks",
                              {"url": "https://example.com/h", "subscribed_events": ["x.y"],
                               "secret": "mine"})
    assert status == 400 and "secret" in body["message"]


async def test_a_null_update_field_removes_the_attribute(api):
    send = await signed_for(api)
    tpl = await template_for(send)
    _, card = await send("POST", "/v1/key-cards", {"card_template_id": tpl, "full_name": "A",
                                                   "title": "Boss", "department": "Ops"})
    status, body = await send("PATCH", f"/v1/key-cards/{card['id']}", {"title": None})
    assert status == 200 and "title" not in body and body["department"] == "Ops"
    assert "employee_photo" not in body


async def test_another_tenants_cards_and_templates_are_404(api, aiohttp_server):
    mine, theirs = await signed_for(api), await signed_for(await make_api(api.client))
    tpl = await template_for(mine)
    _, card = await mine("POST", "/v1/key-cards", {"card_template_id": tpl, "full_name": "A"})
    for method, path, body in (
        ("GET", f"/v1/key-cards/{card['id']}", None),
        ("PATCH", f"/v1/key-cards/{card['id']}", {"full_name": "B"}),
        ("PATCH", f"/v1/key-cards/{card['id']}", {"title": "B"}),
        ("POST", f"/v1/key-cards/{card['id']}/suspend", None),
        ("POST", f"/v1/key-cards/{card['id']}/delete", None),
        ("GET", f"/v1/console/card-templates/{tpl}", None),
        ("PUT", f"/v1/console/card-templates/{tpl}", {"name": "Mine now"}),
        ("PUT", f"/v1/console/card-templates/{tpl}", {"support_url": "https://x.example"}),
        ("POST", f"/v1/console/card-templates/{tpl}/publish", None),
        ("GET", f"/v1/console/card-templates/{tpl}/logs", None),
        ("DELETE", f"/v1/console/card-templates/{tpl}", None),
        ("GET", "/v1/key-cards/not-a-card", None),
        ("GET", "/v1/console/card-templates/0xd3adb00b5", None),
        ("POST", "/v1/console/webhooks/whk_nothing/verify", None),
        ("DELETE", "/v1/console/webhooks/0xhook", None),
    ):
        status, answer = await theirs(method, path, body)
        assert status == 404, (method, path, answer)
        assert set(answer) == {"message"}
    status, answer = await theirs("GET", "/v1/key-cards")
    assert status == 200 and answer["keys"] == [] and answer["total_count"] == 0
    status, answer = await theirs("POST", "/v1/key-cards",
                                  {"card_template_id": tpl, "full_name": "A"})
    assert status == 400 and answer["message"].startswith("card_template_id: no template")
    status, answer = await mine("GET", f"/v1/key-cards/{card['id']}")
    assert status == 200 and answer["full_name"] == "A"


@pytest.mark.parametrize(("method", "path", "body"), NOT_OFFERED)
async def test_out_of_scope_paths_are_404_saying_so(api, method, path, body):
    send = await signed_for(api)
    status, answer = await send(method, path, body)
    assert status == 404
    assert set(answer) == {"message"} and "not offered by passgate" in answer["message"]


async def test_a_card_never_carries_details_or_foreign_attributes(api):
    """Attributes written through another door stay out of a card: a ``details`` key would
    make the SDK read it as a unified pass."""
    send = await signed_for(api)
    sdk = await sdk_for(api)
    tpl = await template_for(send)
    made = await api.gql(
        "mutation($input: CreatePassInput!) { createPass(input: $input) { pass { id } } }",
        {"input": {"templateId": tpl, "holderName": "N",
                   "attributes": {"details": [{"id": "x"}], "seat": "12A",
                                  "employee_id": "E1"}}})
    raw = relay.GlobalID.from_id(made["createPass"]["pass"]["id"]).node_id
    card = await thread(sdk.access_cards.get, raw)
    assert isinstance(card, accessgrid.client.AccessCard)
    status, body = await send("GET", f"/v1/key-cards/{raw}")
    assert status == 200
    assert "details" not in body and "seat" not in body and body["employee_id"] == "E1"
    assert body["status"] == "success" and body["devices"] == []


async def test_state_and_page_inputs_are_checked(api):
    send = await signed_for(api)
    status, body = await send("GET", "/v1/key-cards", params={"state": "lost"})
    assert status == 400 and "state" in body["message"]
    status, body = await send("GET", "/v1/key-cards", params={"per_page": "500"})
    assert status == 400 and "per_page" in body["message"]
    status, body = await send("GET", "/v1/key-cards", params={"page": "0"})
    assert status == 400 and "page" in body["message"]
    status, body = await send("GET", "/v1/key-cards")
    assert status == 200 and body == {"status": "success", "count": 0, "total_count": 0,
                                      "page": 1, "per_page": 20, "total_pages": 0, "keys": []}


async def test_a_hotel_use_case_makes_hotel_keys(api):
    send = await signed_for(api)
    tpl = await template_for(send, use_case="hotel_room_key", protocol="smart_tap")
    kind = await api.gql("query($id: ID!) { template(id: $id) { kind } }", {"id": tpl})
    assert kind["template"]["kind"] == "HOTEL_KEY"
    status, body = await send("PUT", f"/v1/console/card-templates/{tpl}",
                              {"use_case": "corporate_id"})
    assert status == 200 and body["use_case"] == "corporate_id"
    assert body["protocol"] == "smart_tap"
    kind = await api.gql("query($id: ID!) { template(id: $id) { kind } }", {"id": tpl})
    assert kind["template"]["kind"] == "ACCESS_BADGE"


async def test_the_openapi_document_describes_the_dialect(api):
    resp = await api.client.get("/api/v1/openapi.json")
    doc = await resp.json()
    op = doc["paths"]["/v1/key-cards"]["post"]
    assert op["security"] == [{"accessgridAccount": [], "accessgridSignature": []}]
    assert op["x-graphql-operation"] == "AgIssueCard"
    props = op["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert {"card_template_id", "full_name", "employee_id", "checkInURL"} <= set(props)
    assert doc["components"]["schemas"]["accessgridError"]["properties"] == {
        "message": {"type": "string"}}
    assert "404" in doc["paths"]["/v1/console/ledger-items"]["get"]["responses"]
    logs = doc["paths"]["/v1/console/card-templates/{id}/logs"]["get"]
    assert "filters[device]" in {p["name"] for p in logs["parameters"]}


# ---------------------------------------------------------------- the graph underneath

SETTINGS = """mutation($input: UpdateTemplateInput!) {
  updateTemplate(input: $input) { template { settings publishedAt } } }"""
PUBLISH = """mutation($id: ID!) { publishTemplate(input: {id: $id}) {
  template { publishedAt updatedAt passes(status: ACTIVE) { totalCount } } } }"""
SCANS = """query($filter: ScanFilter) { scans(filter: $filter) { totalCount } }"""


async def test_template_settings_publish_and_scan_filters_in_the_graph(api):
    made = await api.gql("""mutation { createTemplate(input: {name: "T", settings: {a: 1}}) {
        template { id settings publishedAt } } }""")
    tpl = made["createTemplate"]["template"]
    assert (tpl["settings"], tpl["publishedAt"]) == ({"a": 1}, None)
    changed = await api.gql(SETTINGS, {"input": {"id": tpl["id"], "settings": {"b": [2]}}})
    assert changed["updateTemplate"]["template"]["settings"] == {"b": [2]}
    cleared = await api.gql(SETTINGS, {"input": {"id": tpl["id"], "settings": None}})
    assert cleared["updateTemplate"]["template"]["settings"] is None
    error = await api.error(SETTINGS, {"input": {"id": tpl["id"], "settings": [1]}})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    published = (await api.gql(PUBLISH, {"id": tpl["id"]}))["publishTemplate"]["template"]
    assert published["publishedAt"] == published["updatedAt"]
    assert published["passes"]["totalCount"] == 0
    other = await make_api(api.client)
    assert (await other.error(PUBLISH, {"id": tpl["id"]}))["extensions"]["code"] == "NOT_FOUND"

    raw_tpl = relay.GlobalID.from_id(tpl["id"]).node_id
    made = await api.gql(
        "mutation($input: CreatePassInput!) { createPass(input: $input) { pass { id } } }",
        {"input": {"templateId": raw_tpl, "type": "MULTI"}})
    pass_id = made["createPass"]["pass"]["id"]
    assert await validate(api, pass_id, "door-1")
    assert await validate(api, pass_id, "door-2")
    loose = await api.gql("mutation { createPass(input: {type: MULTI}) { pass { id } } }")
    assert await validate(api, loose["createPass"]["pass"]["id"], "door-1")
    for flt, count in (({"templateId": tpl["id"]}, 2), ({"templateId": raw_tpl}, 2),
                       ({"templateId": raw_tpl, "deviceId": "door-1"}, 1),
                       ({"deviceId": "door-1"}, 2), (None, 3)):
        assert (await api.gql(SCANS, {"filter": flt}))["scans"]["totalCount"] == count, flt
    assert (await other.gql(SCANS, {"filter": {"templateId": raw_tpl}}))["scans"][
        "totalCount"] == 0


# Seed 002's "List Access Passes" answer: the envelope and the fields of its first card.
SEED_LIST_KEYS = {"status", "count", "total_count", "page", "per_page", "total_pages", "keys"}
SEED_CARD_KEYS = {"id", "full_name", "employee_id", "state", "install_url",
                  "card_template_id", "expiration_date", "created_at", "metadata",
                  "card_number", "site_code", "direct_install_url"}


async def test_seed_002_list_example(api):
    signed = await signed_for(api)
    status, template = await signed("POST", "/v1/console/card-templates",
                                    {"name": "HQ", "platform": "apple",
                                     "use_case": "employee_badge"})
    assert status == 200, template
    issued = {"card_template_id": template["id"], "full_name": "John Doe",
              "employee_id": "EMP-10234", "expiration_date": "2030-03-31T23:59:59Z",
              "metadata": {"department": "Engineering", "location": "HQ"},
              "card_number": "4920-8833-1122", "site_code": "NYC-HQ"}
    status, card = await signed("POST", "/v1/key-cards", issued)
    assert status == 200, card
    await signed("POST", "/v1/key-cards", {**issued, "full_name": "Jane Smith",
                                           "metadata": {"department": "Operations"}})
    status, listing = await signed(
        "GET", "/v1/key-cards",
        params={"template_id": template["id"], "metadata": json.dumps({"location": "HQ"})})
    assert status == 200, listing
    assert set(listing) >= SEED_LIST_KEYS
    assert (listing["status"], listing["count"], listing["total_count"], listing["page"],
            listing["total_pages"]) == ("success", 1, 1, 1, 1)
    first = listing["keys"][0]
    assert set(first) >= SEED_CARD_KEYS and "details" not in first
    assert {k: first[k] for k in ("full_name", "employee_id", "state", "card_template_id",
                                  "expiration_date", "card_number", "site_code",
                                  "metadata")} == {
        "full_name": "John Doe", "employee_id": "EMP-10234", "state": "active",
        "card_template_id": template["id"], "expiration_date": "2030-03-31T23:59:59Z",
        "card_number": "4920-8833-1122", "site_code": "NYC-HQ",
        "metadata": {"department": "Engineering", "location": "HQ"}}
    assert first["id"] == card["id"] and ISO_Z.match(first["created_at"])


async def test_the_event_log_shows_wallet_installs_and_needs_passes_read_for_card_events(api):
    sdk = await sdk_for(api)
    template = await thread(sdk.console.create_template, name="Lobby", platform="apple",
                            use_case="employee_badge", protocol="desfire")
    _, device = await installed_pass(api, templateId=template.id)
    assert (await device.register()).status == 201
    card_id = device.serial
    assert await validate(api, card_id, "door-1")
    logs = (await thread(sdk.console.get_logs, template.id))["logs"]
    assert [e["event"] for e in logs] == ["access_granted", "install", "issue"]
    install = logs[1]
    assert install["metadata"]["platform"] == "ios"
    assert install["metadata"]["device"] == device.device_id
    assert install["metadata"]["card_id"] == card_id
    only = await thread(sdk.console.get_logs, template.id, filters={"event_type": "install"})
    assert [e["id"] for e in only["logs"]] == [install["id"]]

    # A credential that reads scans and templates but not passes sees the scans alone.
    minted = await auth.create_key(api.db, api.tenant_id, name="gate", dialect="accessgrid",
                                   scopes="scans:read templates:read",
                                   server_secret=api.client.app[STATE].secret_key)
    limited = accessgrid.AccessGrid(minted.account_id, minted.key,
                                    base_url=str(api.client.make_url("")).rstrip("/"))
    seen = await thread(limited.console.get_logs, template.id)
    assert [e["event"] for e in seen["logs"]] == ["access_granted"]
    assert seen["pagination"]["total_count"] == 1

"""The README examples of AccessGrid's SDKs, sent exactly as the SDKs send them: the PyPI
``accessgrid`` client itself, and raw signed bodies for what the other SDKs put on the wire
(Go's zero-value dates, ``card_id`` in a PATCH body, ``organization_name``, a template
``logo``). Fields passgate does not support are ignored, as AccessGrid ignores fields, and
named in ``X-Passgate-Ignored-Fields``."""

from datetime import UTC, datetime, timedelta

from tests.conftest import Api
from tests.test_rest_accessgrid import sdk_for, signed_for, template_for, thread

IGNORED = "X-Passgate-Ignored-Fields"


async def test_python_readme_provision_update_list_and_states(api: Api) -> None:
    client = await sdk_for(api)
    send = await signed_for(api)
    tpl = await template_for(send)
    card = await thread(
        client.access_cards.provision,
        card_template_id=tpl,
        employee_id="123456789",
        allow_on_multiple_devices=True,
        full_name="Employee name",
        email="employee@yourwebsite.com",
        phone_number="+19547212241",
        classification="full_time",
        start_date="2025-01-31T22:46:25.601Z",
        expiration_date="2099-04-30T22:46:25.601Z",
        employee_photo="aGVsbG8=",
    )
    assert card.id and card.state == "active" and card.full_name == "Employee name"
    updated = await thread(
        client.access_cards.update,
        card_id=card.id,
        employee_id="987654321",
        full_name="Updated Employee Name",
        classification="contractor",
        expiration_date="2099-02-22T21:04:03.664Z",
        employee_photo="aGVsbG8=",
    )
    assert updated.full_name == "Updated Employee Name"
    cards = await thread(client.access_cards.list, template_id=tpl)
    assert [c.id for c in cards] == [card.id]
    active = await thread(client.access_cards.list, template_id=tpl, state="active")
    assert [c.id for c in active] == [card.id]
    for action, state in (("suspend", "suspended"), ("resume", "active"),
                          ("unlink", "unlink"), ("delete", "deleted")):
        changed = await thread(getattr(client.access_cards, action), card_id=card.id)
        assert changed.state == state


async def test_other_sdks_bodies_and_ignored_fields(api: Api) -> None:
    send = await signed_for(api)
    status, tpl = await send("POST", "/v1/console/card-templates", {
        "name": "Employee Access Card", "platform": "apple", "use_case": "employee_badge",
        "protocol": "desfire", "allow_on_multiple_devices": True, "watch_count": 2,
        "iphone_count": 3, "logo": "iVBORw0KGgo=", "organization_name": "Acme"})
    assert status == 200, tpl
    assert tpl["allowed_device_counts"]["allow_on_multiple_devices"] is True
    # Go's ProvisionParams leave unset times as zero values; Node sends camel-free snake case.
    resp = await api.client.post("/v1/key-cards")  # unsigned: refused, nothing created
    assert resp.status == 401
    status, card = await send("POST", "/v1/key-cards", {
        "card_template_id": tpl["id"], "employee_id": "123456789", "tag_id": "DDEADB33FB00B5",
        "allow_on_multiple_devices": True, "full_name": "Employee name",
        "email": "employee@yourwebsite.com", "phone_number": "+19547212241",
        "classification": "full_time", "start_date": "0001-01-01T00:00:00Z",
        "expiration_date": "", "employee_photo": "", "organization_name": "Acme"})
    assert status == 200, card
    assert (card["email"], card["phone_number"]) == ("employee@yourwebsite.com",
                                                     "+19547212241")
    assert card["start_date"] is None and card["expiration_date"] is None
    assert card["organization_name"]  # the tenant's name, as AccessGrid answers
    status, patched = await send("PATCH", f"/v1/key-cards/{card['id']}", {
        "card_id": card["id"], "full_name": "Updated Employee Name",
        "expiration_date": (datetime.now(UTC) + timedelta(days=30)).isoformat()})
    assert status == 200 and patched["full_name"] == "Updated Employee Name"


async def test_ignored_fields_are_named_in_a_header(api: Api) -> None:
    send = await signed_for(api)
    tpl = await template_for(send)
    resp = await _raw(api, send, "POST", "/v1/key-cards", {
        "card_template_id": tpl, "full_name": "A", "favourite_colour": "blue",
        "organization_name": "Acme"})
    assert resp[0] == 200 and resp[2][IGNORED] == "favourite_colour, organization_name"
    plain = await _raw(api, send, "POST", "/v1/key-cards", {"card_template_id": tpl,
                                                             "full_name": "B"})
    assert plain[0] == 200 and IGNORED not in plain[2]


async def test_an_expired_card_says_so(api: Api) -> None:
    send = await signed_for(api)
    tpl = await template_for(send)
    status, card = await send("POST", "/v1/key-cards", {
        "card_template_id": tpl, "full_name": "Past", "start_date": "2020-01-01T00:00:00Z",
        "expiration_date": "2021-01-01T00:00:00Z"})
    assert status == 200 and card["state"] == "expired"
    status, listed = await send("GET", "/v1/key-cards", params={"template_id": tpl})
    assert [k["state"] for k in listed["keys"]] == ["expired"]
    status, suspended = await send("POST", f"/v1/key-cards/{card['id']}/suspend")
    assert suspended["state"] == "suspended"


async def _raw(api: Api, send, method: str, path: str, body: dict) -> tuple[int, dict, dict]:
    """A signed request whose answer headers we read too."""
    import base64
    import hashlib
    import hmac
    import json

    raw = json.dumps(body).encode()
    sig = hmac.new(send.secret.encode(), base64.b64encode(raw), hashlib.sha256).hexdigest()
    resp = await api.client.request(method, path, data=raw, headers={
        "X-ACCT-ID": send.account_id, "X-PAYLOAD-SIG": sig, "Content-Type": "application/json"})
    return resp.status, await resp.json(), dict(resp.headers)


async def test_listing_key_cards_lists_key_cards_only_and_filters(api: Api) -> None:
    send = await signed_for(api)
    tpl = await template_for(send)
    other = await template_for(send, name="Hotel", use_case="hotel")
    for name, template, number, site in (("A", tpl, "1001", "7"), ("B", tpl, "1002", "7"),
                                         ("C", other, "1001", "9")):
        status, _ = await send("POST", "/v1/key-cards", {
            "card_template_id": template, "full_name": name, "card_number": number,
            "site_code": site})
        assert status == 200
    # A ticket of the same tenant, made through GraphQL, is not a key card.
    await api.gql('mutation { createPass(input: {name: "Gala ticket"}) { pass { id } } }')
    status, listed = await send("GET", "/v1/key-cards")
    assert status == 200 and sorted(k["full_name"] for k in listed["keys"]) == ["A", "B", "C"]
    assert listed["total_count"] == 3
    status, listed = await send("GET", "/v1/key-cards", params={"card_number": "1001"})
    assert sorted(k["full_name"] for k in listed["keys"]) == ["A", "C"]
    status, listed = await send("GET", "/v1/key-cards", params={"site_code": "7",
                                                                "card_number": "1002"})
    assert [k["full_name"] for k in listed["keys"]] == ["B"]
    status, listed = await send("GET", "/v1/key-cards", params={"template_id": other,
                                                                "site_code": "9"})
    assert [k["full_name"] for k in listed["keys"]] == ["C"]

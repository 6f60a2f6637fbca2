"""AccessGrid signatures are bound to the request: a signature over ``{"id": A}`` (what the
SDKs sign for a request without a body) authorises card A's read and actions, never another
card's, never a listing; ``{}`` authorises listings only. What each real SDK sends still
passes (the Python SDK itself runs in tests/test_rest_accessgrid.py)."""

import base64
import hashlib
import hmac
import json
from typing import Any
from urllib.parse import quote

import accessgrid

from tests.conftest import Api
from tests.test_rest_accessgrid import credential, thread


class Raw:
    """Requests signed over exactly the bytes given, sent as the given SDK would."""

    def __init__(self, api: Api, account_id: str, secret: str) -> None:
        self.api, self.account_id, self.secret = api, account_id, secret

    async def __call__(self, method: str, path: str, signed: str, *,
                       sig_payload: str | None = None, body: str | None = None,
                       query: str = "") -> tuple[int, Any]:
        sig = hmac.new(self.secret.encode(), base64.b64encode(signed.encode()),
                       hashlib.sha256).hexdigest()
        parts = [query] if query else []
        if sig_payload is not None:
            parts.append("sig_payload=" + quote(sig_payload))
        url = path + ("?" + "&".join(parts) if parts else "")
        resp = await self.api.client.request(
            method, url, data=body.encode() if body is not None else None,
            headers={"X-ACCT-ID": self.account_id, "X-PAYLOAD-SIG": sig,
                     "Content-Type": "application/json"})
        text = await resp.text()
        return resp.status, (json.loads(text) if text else None)


def py(card: str) -> str:  # Python, PHP, C#, Java: json with a space
    return json.dumps({"id": card})


def js(card: str) -> str:  # JavaScript, Ruby, Go: compact
    return json.dumps({"id": card}, separators=(",", ":"))


async def setup(api: Api) -> tuple[Raw, str, str, str]:
    account_id, secret = await credential(api)
    sdk = accessgrid.AccessGrid(account_id, secret,
                                base_url=str(api.client.make_url("")).rstrip("/"))
    tpl = await thread(sdk.console.create_template, name="Door", platform="apple")
    a = await thread(sdk.access_cards.issue, card_template_id=tpl.id, full_name="A")
    b = await thread(sdk.access_cards.issue, card_template_id=tpl.id, full_name="B")
    return Raw(api, account_id, secret), tpl.id, a.id, b.id


def refused(answer: tuple[int, Any]) -> str:
    status, body = answer
    assert status == 401, answer
    assert list(body) == ["message"], body  # AccessGrid's error shape
    return body["message"]


async def test_a_signature_for_one_card_is_refused_on_another(api: Api) -> None:
    send, tpl, a, b = await setup(api)
    # The signature a client sent to read card A, replayed on B's read and B's actions.
    assert (await send("GET", f"/v1/key-cards/{a}", py(a), sig_payload=py(a)))[0] == 200
    message = refused(await send("GET", f"/v1/key-cards/{b}", py(a), sig_payload=py(a)))
    assert f'not this path\'s: sign sig_payload {{"id": "{b}"}}' in message, message
    for action in ("suspend", "resume", "unlink", "delete"):
        refused(await send("POST", f"/v1/key-cards/{b}/{action}", py(a), sig_payload=py(a)))
        # The JavaScript SDK also sends the payload as the body.
        refused(await send("POST", f"/v1/key-cards/{b}/{action}", js(a), sig_payload=js(a),
                           body=js(a)))
    # Nor does it list every card, or read a template.
    refused(await send("GET", "/v1/key-cards", py(a), sig_payload=py(a)))
    refused(await send("GET", f"/v1/console/card-templates/{tpl}", py(a), sig_payload=py(a)))

    # B is untouched: still active.
    status, card = await send("GET", f"/v1/key-cards/{b}", js(b), sig_payload=js(b))
    assert status == 200 and card["state"] == "active", card


async def test_an_unbound_payload_authorises_listings_only(api: Api) -> None:
    send, tpl, a, _ = await setup(api)
    for method, path in (("GET", f"/v1/key-cards/{a}"), ("POST", f"/v1/key-cards/{a}/suspend"),
                         ("DELETE", f"/v1/console/card-templates/{tpl}")):
        message = refused(await send(method, path, "{}"))
        assert f'names no resource: sign sig_payload {{"id": "{a if "key" in path else tpl}"}}' \
            in message, message
        refused(await send(method, path, "{}", sig_payload="{}"))
    # A body of {} on an action (it names no card) is refused the same way.
    refused(await send("POST", f"/v1/key-cards/{a}/suspend", "{}", body="{}"))
    # Listings: {} (Java, C#) or the collection's name (Python, Ruby, PHP, Go).
    assert (await send("GET", "/v1/key-cards", "{}", sig_payload="{}"))[0] == 200
    assert (await send("GET", "/v1/key-cards", "{}"))[0] == 200
    assert (await send("GET", "/v1/key-cards", py("key-cards"),
                       sig_payload=py("key-cards")))[0] == 200
    refused(await send("GET", "/v1/key-cards", py("webhooks"), sig_payload=py("webhooks")))


async def test_what_each_sdk_sends_is_accepted(api: Api) -> None:
    send, tpl, a, _ = await setup(api)
    # JavaScript: compact JSON; an action carries it as the body too; a listing's id holds
    # the query string it sent.
    assert (await send("GET", f"/v1/key-cards/{a}", js(a), sig_payload=js(a)))[0] == 200
    status, card = await send("POST", f"/v1/key-cards/{a}/suspend", js(a), sig_payload=js(a),
                              body=js(a))
    assert status == 200 and card["state"] == "suspended", card
    query = f"template_id={tpl}&state=suspended"
    status, listed = await send("GET", "/v1/key-cards", js(f"key-cards?{query}"),
                                sig_payload=js(f"key-cards?{query}"), query=query)
    assert status == 200 and [k["id"] for k in listed["keys"]] == [a], listed
    # …and that query string is bound too.
    refused(await send("GET", "/v1/key-cards", js(f"key-cards?{query}"),
                       sig_payload=js(f"key-cards?{query}"), query=f"template_id={tpl}"))
    logs = f"/v1/console/card-templates/{tpl}/logs"
    assert (await send("GET", logs, js("logs?"), sig_payload=js("logs?"), query=""))[0] == 200
    # Python, Ruby, PHP, C#, Java: sig_payload only, no body.
    status, card = await send("POST", f"/v1/key-cards/{a}/resume", py(a), sig_payload=py(a))
    assert status == 200 and card["state"] == "active", card
    assert (await send("GET", logs, py("logs"), sig_payload=py("logs")))[0] == 200
    # A client binding the log to its template is accepted too; another template's is not.
    assert (await send("GET", logs, py(tpl), sig_payload=py(tpl)))[0] == 200
    refused(await send("GET", logs, py(a), sig_payload=py(a)))
    assert (await send("POST", f"/v1/console/card-templates/{tpl}/publish", js(tpl),
                       sig_payload=js(tpl)))[0] == 200
    # A create or an update signs its body, which is its content.
    body = json.dumps({"title": "Engineer"})
    assert (await send("PATCH", f"/v1/key-cards/{a}", body, body=body))[0] == 200

"""The Wallet Crew's Insights tables through POST /api/{tenantId}/insights/query, as its
clients send it ({query, parameters}): Events carries the passes' history (Pass:*) beside the
scans, newest first."""

from typing import Any

from tests.conftest import Api, RestAnswer
from tests.test_rest_walletcrew import Wc, problem, template
from tests.test_wallet_passkit import installed_pass

SUSPEND = "mutation($id: ID!) { suspendPass(input: {id: $id}) { pass { id } } }"


async def _query(wc: Wc, query: str, key: str | None = None, **extra: Any) -> RestAnswer:
    return await wc("POST", "/insights/query", {"query": query, **extra}, key=key)


async def test_events_carry_the_pass_history(api: Api) -> None:
    wc = Wc(api)
    await template(api, "Loyalty")
    made = await wc("POST", "/passes", {"identifiers": {"memberId": "M1"}},
                    params={"passType": "Loyalty"})
    pass_id = made.body["passId"]
    assert (await wc("PATCH", f"/passes/{pass_id}", {"metadata": {"tier": "gold"}})).status == 204
    await api.gql(SUSPEND, {"id": pass_id})
    secret = (await wc("GET", f"/passes/{pass_id}")).body["secret"]
    assert (await wc("POST", "/scans", {"data": secret, "type": "qrcode"})).status == 200
    assert (await wc("DELETE", f"/passes/{pass_id}")).status == 204

    rows = (await _query(wc, "Events | where properties.passId == p",
                         parameters={"p": pass_id})).body["rows"]
    assert [r[3] for r in rows] == ["Pass:Deleted", "Scan:Rejected", "Pass:Suspended",
                                    "Pass:Updated", "Pass:Created"]
    created = rows[-1]
    assert created[0].startswith("evt_") and created[2] == api.tenant_id
    assert created[1].endswith("Z") and created[4] is None
    assert created[5] == {"passId": pass_id, "passType": "Loyalty", "state": "active",
                          "status": "active"}
    assert rows[2][5]["state"] == "suspended"
    assert rows[1][5]["reason"] == "suspended"

    only = await _query(wc, 'Events | where eventType == "Pass:Updated" | take 5')
    assert [r[5]["passId"] for r in only.body["rows"]] == [pass_id]
    counted = await _query(wc, "Events | where properties.passType == 'Loyalty' "
                               "| summarize count() by eventType")
    assert sorted(counted.body["rows"]) == [
        ["Pass:Created", 1], ["Pass:Deleted", 1], ["Pass:Suspended", 1], ["Pass:Updated", 1],
        ["Scan:Rejected", 1]]

    # A key that reads scans but not passes sees the scans alone, and is told why when it
    # asks for a pass event.
    scans_only = await api.new_key("scans:read")
    assert [r[3] for r in (await _query(wc, "Events", key=scans_only)).body["rows"]] == [
        "Scan:Rejected"]
    refused = problem(await _query(wc, 'Events | where eventType == "Pass:Created"',
                                   key=scans_only), 403)
    assert "passes:read" in refused["detail"]
    # Another tenant's history stays its own.
    other = await api.other_tenant()
    assert (await _query(Wc(other), "Events")).body["rows"] == []


async def test_installs_are_events(api: Api) -> None:
    _, device = await installed_pass(api)
    assert (await device.register()).status == 201
    wc = Wc(api)
    rows = (await _query(wc, 'Events | where eventType == "Pass:Installed"')).body["rows"]
    assert len(rows) == 1
    assert rows[0][5]["device"] == "apple" and rows[0][5]["activeRegistrationCount"] == 1
    assert rows[0][5]["passId"] == (await wc("GET", "/passes")).body[0]["id"]

"""APNs pushes after a change commits, seen by a real HTTP/2 server over TLS (hypercorn, a
throwaway CA, and the pass certificate as the required client certificate)."""

import asyncio
import contextlib
import socket
import ssl
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypercorn.asyncio import serve
from hypercorn.config import Config
from sqlalchemy import func, select

from gateway.app import create_app
from gateway.keys import DB
from gateway.wallet_push import WALLET_PUSH
from resolvers import deliveries
from resolvers.models import events, wallet_pushes
from resolvers.wallet.apns import ApnsClient
from resolvers.wallet.settings import AppleSigner, apple_signer, get_settings
from tests.conftest import SECRET, make_api, quiet_outbox
from tests.test_wallet_passkit import UPDATE, installed_pass
from tests.wallet_certs import pem, shared_chain, tls_server_files


@dataclass
class FakeApns:
    """A local APNs: records each request; answers 410 for tokens in ``gone``."""

    url: str = ""
    seen: list[dict[str, Any]] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)
    delay: float = 0.0

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body, more = b"", True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        await asyncio.sleep(self.delay)
        token = scope["path"].rsplit("/", 1)[-1]
        self.seen.append({"method": scope["method"], "path": scope["path"], "body": body,
                          "http_version": scope["http_version"],
                          "headers": {k.decode(): v.decode() for k, v in scope["headers"]}})
        status = 410 if token in self.gone else 200
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"apns-id", b"00000000-0000-0000-0000-000000000000")]})
        await send({"type": "http.response.body",
                    "body": b'{"reason":"Unregistered"}' if status == 410 else b""})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def fake_apns_server(tmp_path, *, client_certificate: bool
                           ) -> AsyncIterator[tuple[FakeApns, dict[str, Any]]]:
    """An HTTP/2 server on https://localhost:PORT; with ``client_certificate`` it requires
    one from the throwaway Apple chain (certificate authentication)."""
    files = tls_server_files(tmp_path)
    chain = shared_chain()
    trusted = tmp_path / "client-ca.pem"
    trusted.write_text(pem(chain.root) + pem(chain.wwdr))
    port = _free_port()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.certfile, config.keyfile = str(files["cert"]), str(files["key"])
    if client_certificate:
        config.ca_certs = str(trusted)
        config.verify_mode = ssl.CERT_REQUIRED
    config.alpn_protocols = ["h2"]
    config.accesslog = config.errorlog = None
    fake = FakeApns(url=f"https://localhost:{port}")
    stop = asyncio.Event()
    task = asyncio.create_task(serve(fake, config, shutdown_trigger=stop.wait))
    deadline = time.monotonic() + 10
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            break
        except OSError:
            assert time.monotonic() < deadline, "the HTTP/2 test server did not start"
            await asyncio.sleep(0.05)
    try:
        yield fake, {"ca_file": files["ca"]}
    finally:
        stop.set()
        task.cancel()  # hypercorn's graceful shutdown trips over still-open HTTP/2 connections
        with contextlib.suppress(BaseException):
            await task


@pytest.fixture
async def apns(tmp_path) -> AsyncIterator[tuple[FakeApns, dict[str, Any]]]:
    async with fake_apns_server(tmp_path, client_certificate=True) as served:
        yield served


@pytest.fixture
async def pushing_api(aiohttp_client, settings, apns):
    fake, extra = apns
    await quiet_outbox(settings.database_url)
    client = await aiohttp_client(create_app(apns_settings(settings, fake, extra)))
    yield await make_api(client), fake
    await client.close()  # before the APNs server goes away


def apns_settings(settings, fake: FakeApns, extra: dict[str, Any], **more: Any):
    """The test settings, pushing to the local APNs, with the outbox dispatched."""
    return settings.model_copy(update={"apns_url": fake.url, "apns_ca_file": extra["ca_file"],
                                       "webhook_allow_private": True, "webhook_worker": True,
                                       **more})


async def test_a_change_pushes_every_registered_device_after_commit(pushing_api):
    api, fake = pushing_api
    p, device = await installed_pass(api)
    second = type(device)(api.client, {
        "webServiceURL": "http://passes.test/wallet/apple", "passTypeIdentifier":
        device.type_id, "serialNumber": device.serial,
        "authenticationToken": device.auth["Authorization"].split()[1]})
    assert (await device.register(push_token="aa" * 32)).status == 201
    assert (await second.register(push_token="bb" * 32)).status == 201
    fake.gone.add("bb" * 32)
    fake.delay = 1.0  # APNs answers slowly: the request must not wait for it
    worker = api.client.app[WALLET_PUSH]

    await api.gql(UPDATE, {"i": {"id": p["id"], "holderName": "Grace"}})
    assert fake.seen == []  # answered before APNs was (the server records after its delay)
    await asyncio.wait_for(worker.idle(), 10)

    assert sorted(s["path"] for s in fake.seen) == [f"/3/device/{'aa' * 32}",
                                                    f"/3/device/{'bb' * 32}"]
    for request in fake.seen:
        assert request["method"] == "POST" and request["http_version"] == "2"
        assert request["body"] == b"{}"
        assert request["headers"]["apns-topic"] == device.type_id
    assert worker.reports[-1].sent == 1 and worker.reports[-1].gone == 1
    # 410: that device no longer has the pass; the other still does.
    assert (await second.updated()).status == 204
    assert (await device.updated()).status == 200

    async with api.db.read() as conn:  # every job done and gone
        assert await conn.scalar(select(func.count()).select_from(wallet_pushes)) == 0
    # A change the holder does not see pushes nothing; a state change does.
    fake.seen.clear()
    fake.delay = 0
    await api.gql(UPDATE, {"i": {"id": p["id"], "note": "private"}})
    await asyncio.wait_for(worker.idle(), 10)
    assert fake.seen == []
    await api.gql(f'mutation {{ suspendPass(input: {{id: "{p["id"]}"}}) {{ pass {{ id }} }} }}')
    await asyncio.wait_for(worker.idle(), 10)
    assert [s["path"] for s in fake.seen] == [f"/3/device/{'aa' * 32}"]


async def test_template_change_pushes_its_passes(pushing_api):
    api, fake = pushing_api
    tpl = await api.gql('mutation { createTemplate(input: {name: "Club"}) { template { id } } }')
    tpl_id = tpl["createTemplate"]["template"]["id"]
    _, device = await installed_pass(api, templateId=tpl_id)
    _, unrelated = await installed_pass(api)
    assert (await device.register(push_token="cc" * 32)).status == 201
    assert (await unrelated.register(push_token="dd" * 32)).status == 201
    await api.gql('mutation($i: UpdateTemplateInput!) { updateTemplate(input: $i) '
                  '{ template { id } } }', {"i": {"id": tpl_id, "foregroundColor": "#000000"}})
    await asyncio.wait_for(api.client.app[WALLET_PUSH].idle(), 10)
    assert [s["path"] for s in fake.seen] == [f"/3/device/{'cc' * 32}"]


async def test_the_apns_client_connects_only_where_the_guard_allows(api, apns):
    fake, extra = apns
    chain = shared_chain()
    from tests.wallet_certs import configure_apple

    await configure_apple(api, chain)
    signer = apple_signer(await get_settings(api.db, api.tenant_id), SECRET.encode())
    guarded = ApnsClient(fake.url, allow_private=False, ca_file=str(extra["ca_file"]))
    try:
        [result] = await guarded.push("t", signer, ["ee" * 32])
    finally:
        await guarded.close()
    assert result.status is None and "loopback" in (result.reason or "")
    assert fake.seen == []

    allowed = ApnsClient(fake.url, allow_private=True, ca_file=str(extra["ca_file"]))
    try:
        [result] = await allowed.push("t", signer, ["ee" * 32])
    finally:
        await allowed.close()
    assert result.status == 200 and fake.seen[0]["headers"][":authority"
                                                            if ":authority" in
                                                            fake.seen[0]["headers"]
                                                            else "host"].startswith("localhost")


async def test_outbox_events_name_the_same_wallet_changes(api):
    """The seam for the events dispatcher: the outbox rows of holder-visible changes map to
    the changes the push worker delivers; invisible ones map to none."""
    from sqlalchemy import select

    from resolvers.models import events
    from resolvers.wallet.push import WalletChange, change_of_event

    p, _ = await installed_pass(api)
    await api.gql(UPDATE, {"i": {"id": p["id"], "note": "invisible"}})
    await api.gql(UPDATE, {"i": {"id": p["id"], "holderName": "Visible"}})
    await api.gql(f'mutation {{ unlinkPass(input: {{id: "{p["id"]}"}}) {{ pass {{ id }} }} }}')
    async with api.db.read() as conn:
        rows = (await conn.execute(select(events).where(events.c.tenant_id == api.tenant_id)
                                   .order_by(events.c.seq))).all()
    changes = [change_of_event(r.tenant_id, r.type, r.data) for r in rows]
    raw = rows[-1].data["pass"]["id"]
    assert [r.type for r in rows] == ["pass.created", "pass.updated", "pass.updated",
                                      "pass.unlinked"]
    assert changes == [None, None, WalletChange(api.tenant_id, (raw,)),
                       WalletChange(api.tenant_id, (raw,))]


async def test_a_change_is_pushed_even_when_the_process_stops_before_pushing(
        aiohttp_client, settings, apns):
    """Two crash windows: the change committed but its event not yet dispatched, and the
    event dispatched into a push job that no worker sent. The next process pushes both."""
    fake, extra = apns
    await quiet_outbox(settings.database_url)
    first = await aiohttp_client(create_app(apns_settings(settings, fake, extra,
                                                          webhook_worker=False)))
    api = await make_api(first)
    p, device = await installed_pass(api)
    assert (await device.register(push_token="aa" * 32)).status == 201
    q, other = await installed_pass(api)
    assert (await other.register(push_token="bb" * 32)).status == 201
    # Other tests' changes share this database: only this tenant's jobs and pushes count.
    ours = {f"/3/device/{'aa' * 32}", f"/3/device/{'bb' * 32}"}
    mine = wallet_pushes.c.tenant_id == api.tenant_id
    await api.gql(UPDATE, {"i": {"id": p["id"], "holderName": "Grace"}})
    db = first.app[DB]
    await deliveries.dispatch(db)  # p's event is now a push job …
    await api.gql(UPDATE, {"i": {"id": q["id"], "holderName": "Alan"}})  # … q's still an event
    async with db.read() as conn:
        assert await conn.scalar(select(func.count()).select_from(wallet_pushes)
                                 .where(mine)) == 1
        assert await conn.scalar(select(func.count()).select_from(events).where(
            events.c.dispatched_at.is_(None), events.c.tenant_id == api.tenant_id)) == 1
    await asyncio.sleep(0.3)
    assert fake.seen == []  # nobody dispatches in this process: nothing was pushed
    await first.close()  # the process stops

    second = await aiohttp_client(create_app(apns_settings(settings, fake, extra)))
    try:
        await asyncio.wait_for(second.app[WALLET_PUSH].idle(api.tenant_id), 20)
        assert sorted(s["path"] for s in fake.seen) == sorted(ours)
        async with second.app[DB].read() as conn:
            assert await conn.scalar(select(func.count()).select_from(wallet_pushes)
                                     .where(mine)) == 0
    finally:
        await second.close()


async def test_an_unreachable_apns_is_tried_again(aiohttp_client, settings, apns):
    _, extra = apns
    await quiet_outbox(settings.database_url)
    broken = settings.model_copy(update={"apns_url": "https://localhost:9",
                                         "apns_ca_file": extra["ca_file"],
                                         "webhook_allow_private": True, "webhook_worker": True})
    client = await aiohttp_client(create_app(broken))
    api = await make_api(client)
    p, device = await installed_pass(api)
    assert (await device.register(push_token="aa" * 32)).status == 201
    await api.gql(UPDATE, {"i": {"id": p["id"], "holderName": "Grace"}})
    deadline = time.monotonic() + 10
    while True:
        async with api.db.read() as conn:
            job = (await conn.execute(select(wallet_pushes).where(
                wallet_pushes.c.tenant_id == api.tenant_id))).first()
        if job is not None and job.attempts >= 1 and job.lease_until is None:
            break
        assert time.monotonic() < deadline, "the failed push was not rescheduled"
        await asyncio.sleep(0.05)
    assert job.next_attempt_at > job.created_at  # kept, for a later attempt
    await client.close()
    await quiet_outbox(settings.database_url)


SET_APNS_KEY = """mutation($i: SetApnsKeyInput!) { setApnsKey(input: $i) {
  settings { apple { teamId apnsKeyId } } } }"""


async def test_token_authentication_signs_pushes_with_the_p8_key(aiohttp_client, settings,
                                                                  tmp_path):
    """With an APNs auth key the push carries an ES256 JWT (kid, iss = team, iat), made once
    and reused, and no client certificate is needed."""
    p8 = ec.generate_private_key(ec.SECP256R1())
    p8_pem = p8.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode()
    await quiet_outbox(settings.database_url)
    async with fake_apns_server(tmp_path, client_certificate=False) as (fake, extra):
        client = await aiohttp_client(create_app(apns_settings(settings, fake, extra)))
        api = await make_api(client)
        p, device = await installed_pass(api)
        error = await api.error(SET_APNS_KEY, {"i": {"keyId": "ABC123DEFG",
                                                     "privateKey": pem(shared_chain().root)}})
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        rsa_key = pem(shared_chain().key)
        error = await api.error(SET_APNS_KEY, {"i": {"keyId": "ABC123DEFG",
                                                     "privateKey": rsa_key}})
        assert "EC P-256" in error["message"]
        error = await api.error(SET_APNS_KEY, {"i": {"keyId": "short", "privateKey": p8_pem}})
        assert error["extensions"]["field"] == "keyId"
        done = await api.gql(SET_APNS_KEY, {"i": {"keyId": "ABC123DEFG", "privateKey": p8_pem}})
        team = done["setApnsKey"]["settings"]["apple"]["teamId"]
        assert done["setApnsKey"]["settings"]["apple"]["apnsKeyId"] == "ABC123DEFG"
        assert "PRIVATE" not in str(done)

        assert (await device.register(push_token="aa" * 32)).status == 201
        for name in ("Grace", "Alan"):
            await api.gql(UPDATE, {"i": {"id": p["id"], "holderName": name}})
            await asyncio.wait_for(client.app[WALLET_PUSH].idle(api.tenant_id), 20)
        assert len(fake.seen) == 2
        tokens = {s["headers"]["authorization"] for s in fake.seen}
        assert len(tokens) == 1  # one token, reused
        scheme, token = tokens.pop().split(" ")
        assert scheme == "bearer"
        assert jwt.get_unverified_header(token) == {"alg": "ES256", "kid": "ABC123DEFG",
                                                    "typ": "JWT"}
        claims = jwt.decode(token, p8.public_key(), algorithms=["ES256"])
        assert claims["iss"] == team and abs(claims["iat"] - time.time()) < 60
        assert fake.seen[0]["headers"]["apns-topic"] == device.type_id
        await client.close()


def test_provider_tokens_are_renewed_after_fifty_minutes():
    chain = shared_chain()
    p8 = ec.generate_private_key(ec.SECP256R1())
    signer = AppleSigner(pass_type_id=chain.pass_type_id, team_id=chain.team_id,
                         organization="x", certificate=chain.cert, key=chain.key,
                         wwdr=chain.wwdr, apns_key_id="ABC123DEFG", apns_key=p8)
    client = ApnsClient("https://localhost:1")
    now = [1_000_000.0]
    client.clock = lambda: now[0]
    first = client.provider_token(signer)
    now[0] += 49 * 60
    assert client.provider_token(signer) == first
    now[0] += 2 * 60
    renewed = client.provider_token(signer)
    assert renewed != first
    assert jwt.decode(renewed, p8.public_key(), algorithms=["ES256"])["iat"] == int(now[0])

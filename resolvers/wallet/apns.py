"""APNs over HTTP/2: the empty push that tells a device "this pass changed, ask for it".

Wallet updates use certificate authentication (the TLS client certificate is the tenant's
pass type certificate) or, where the tenant set an APNs auth key, token authentication: an
ES256 JWT (``kid`` the key id, ``iss`` the team id) in ``authorization``, made once per
``TOKEN_TTL`` (Apple refuses a token refreshed more than every 20 minutes, and one older
than an hour). ``apns-topic`` is the pass type identifier. The transport is
httpcore's HTTP/2 client; its sockets are opened only to addresses that the SSRF guard
(``resolvers.outbound.resolve_guarded``) allows, while TLS SNI and ``:authority`` keep the
original host name.
"""

import asyncio
import contextlib
import logging
import os
import ssl
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore
import jwt
from cryptography.hazmat.primitives import serialization

from ..outbound import OutboundBlocked, resolve_guarded
from .settings import AppleSigner

log = logging.getLogger("passgate.apns")

APPLE_APNS_URL = "https://api.push.apple.com"
MAX_POOLS = 64
TOKEN_TTL = 50 * 60  # seconds


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses the SSRF guard allows for the host name asked for."""

    def __init__(self, allow_private: bool) -> None:
        self._allow_private = allow_private
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None
                          ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await resolve_guarded(host, port, allow_private=self._allow_private)
        except OutboundBlocked as e:
            raise httpcore.ConnectError(e.message) from None
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(address, port, timeout=timeout,
                                                     local_address=local_address,
                                                     socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                error = e
        raise error or httpcore.ConnectError(f"cannot connect to {host}")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def client_context(signer: AppleSigner, ca_file: str | None) -> ssl.SSLContext:
    """TLS for APNs: with token authentication nothing more; otherwise the pass certificate
    as client certificate (``ssl`` loads keys from files only, so the key passes through a
    private temporary file that is removed at once)."""
    context = ssl.create_default_context(cafile=ca_file)
    context.set_alpn_protocols(["h2"])
    if signer.apns_key is not None:
        return context
    pem = (signer.certificate.public_bytes(serialization.Encoding.PEM)
           + signer.key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    fd, path = tempfile.mkstemp(prefix="passgate-apns-", suffix=".pem")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        context.load_cert_chain(path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
    return context


@dataclass(frozen=True, slots=True)
class PushResult:
    push_token: str
    status: int | None  # None: no answer (network, refused address)
    reason: str | None = None

    @property
    def gone(self) -> bool:
        """APNs says the device token is no longer valid: forget the registration."""
        return self.status == 410


class ApnsClient:
    """One HTTP/2 connection pool per signing identity (tenant), reused across pushes."""

    def __init__(self, base_url: str = APPLE_APNS_URL, *, allow_private: bool = False,
                 ca_file: str | None = None, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.scheme != "https" or not parts.hostname:
            raise ValueError("the APNs URL must be https://host[:port]")
        self._allow_private = allow_private
        self._ca_file = ca_file
        self._timeout = timeout
        self._pools: dict[Any, httpcore.AsyncConnectionPool] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._tokens: dict[tuple[str, str], tuple[float, str]] = {}
        self.clock = time.time

    def provider_token(self, signer: AppleSigner) -> str | None:
        """The ES256 JWT for token authentication (None with certificate authentication),
        kept for ``TOKEN_TTL`` per team and key."""
        if signer.apns_key is None or signer.apns_key_id is None:
            return None
        slot = (signer.team_id, signer.apns_key_id)
        now = self.clock()
        cached = self._tokens.get(slot)
        if cached is not None and now - cached[0] < TOKEN_TTL:
            return cached[1]
        token = jwt.encode({"iss": signer.team_id, "iat": int(now)}, signer.apns_key,
                           algorithm="ES256", headers={"kid": signer.apns_key_id})
        self._tokens[slot] = (now, token)
        return token

    def _forget_token(self, signer: AppleSigner) -> None:
        if signer.apns_key_id is not None:
            self._tokens.pop((signer.team_id, signer.apns_key_id), None)

    def _pool(self, identity: Any, signer: AppleSigner) -> httpcore.AsyncConnectionPool:
        pool = self._pools.get(identity)
        if pool is None:
            if len(self._pools) >= MAX_POOLS:  # the oldest identity's connection goes
                oldest = next(iter(self._pools))
                task = asyncio.get_running_loop().create_task(_close(self._pools.pop(oldest)))
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)
            pool = self._pools[identity] = httpcore.AsyncConnectionPool(
                ssl_context=client_context(signer, self._ca_file), http1=False, http2=True,
                network_backend=GuardedBackend(self._allow_private), max_connections=2)
        return pool

    async def push(self, identity: Any, signer: AppleSigner, push_tokens: Iterable[str]
                   ) -> list[PushResult]:
        """Send the empty update push to each token; the answers in order."""
        pool = self._pool((identity, signer.apns_key_id), signer)
        results = []
        for token in push_tokens:
            result = await self._push_one(pool, signer, token)
            if result.status == 403 and "ExpiredProviderToken" in (result.reason or ""):
                self._forget_token(signer)  # Apple's clock says so: make a new one
                result = await self._push_one(pool, signer, token)
            results.append(result)
        return results

    async def _push_one(self, pool: httpcore.AsyncConnectionPool, signer: AppleSigner,
                        token: str) -> PushResult:
        timeouts = {"connect": self._timeout, "read": self._timeout,
                    "write": self._timeout, "pool": self._timeout}
        headers = {"apns-topic": signer.pass_type_id, "content-type": "application/json"}
        provider_token = self.provider_token(signer)
        if provider_token is not None:
            headers["authorization"] = f"bearer {provider_token}"
        try:
            response = await pool.request(
                "POST", f"{self.base_url}/3/device/{token}", headers=headers,
                content=b"{}", extensions={"timeout": timeouts})
        except httpcore.TimeoutException:
            return PushResult(token, None, "timeout")
        except (httpcore.NetworkError, httpcore.ProtocolError) as e:
            return PushResult(token, None, str(e) or type(e).__name__)
        reason = None
        if response.status != 200:
            reason = response.content[:200].decode(errors="replace")
        return PushResult(token, response.status, reason)

    async def close(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await _close(pool)


async def _close(pool: httpcore.AsyncConnectionPool) -> None:
    """Close without waiting long on a peer that no longer answers."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(pool.aclose(), 2)

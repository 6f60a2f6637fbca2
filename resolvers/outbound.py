"""The one HTTP client for the outside world: webhooks, wallet pushes, Google's API.

A tenant chooses where passgate sends requests, so every destination is an SSRF risk: a
webhook URL could name the metadata service, the database port or an admin page on the
private network. The guard runs three times: when a URL is registered (``check_url`` for the
syntax and literal addresses, ``check_destination`` after DNS), before each send (the host is
resolved again: DNS may have changed) and at the socket itself, on the address actually being
connected to, so DNS rebinding between the check and the connect gains nothing.

Refused: loopback, private (RFC 1918, ULA), link-local (the 169.254.169.254 metadata address
included), shared CGNAT space, multicast, reserved, unspecified and documentation addresses,
IPv4-mapped, NAT64 or 6to4 IPv6 forms of any of those, and the metadata host names, unless the
operator sets ``PASSGATE_WEBHOOK_ALLOW_PRIVATE=true`` (development and tests).
"""

import asyncio
import ipaddress
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from .errors import BadInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

USER_AGENT = "passgate/1"
TIMEOUT_SECONDS = 10.0
BODY_LIMIT = 64 * 1024
DNS_TIMEOUT_SECONDS = 3.0
# Names that reach a cloud's metadata service without any DNS lookup of ours mattering.
METADATA_HOSTS = frozenset({
    "metadata", "metadata.google.internal", "metadata.goog", "instance-data",
    "instance-data.ec2.internal", "metadata.azure.internal",
})
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class OutboundBlocked(BadInput):
    """A destination the guard refuses; the message says which address and why."""


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form carries (mapped, NAT64, 6to4, Teredo), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def blocked_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` must not be a destination, or ``None`` when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_v4(ip)
        if inner is not None:
            reason = blocked_reason(inner)
            return f"which carries {inner}, {reason}" if reason else None
    for attribute, name in (
        ("is_loopback", "a loopback address"),
        ("is_unspecified", "an unspecified address"),
        ("is_link_local", "a link-local address (cloud metadata lives there)"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    ):
        if getattr(ip, attribute):
            return name
    if not ip.is_global:
        return "not a public address"
    return None


def _literal_ip(host: str) -> IPAddress | None:
    """A host that is an IP address in any spelling: ``127.1``, ``2130706433``,
    ``0x7f000001``, ``0177.0.0.1`` (what inet_aton and so every resolver accept), or IPv6."""
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefxABCDEFX." for c in host) and host[0].isdigit():
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _check_host_name(host: str, allow_private: bool, what: str) -> None:
    name = host.rstrip(".").lower()
    if allow_private:
        return
    if name in METADATA_HOSTS:
        raise OutboundBlocked(f"{what} names {host}, a cloud metadata service", field=what)
    if name == "localhost" or name.endswith(".localhost"):
        raise OutboundBlocked(f"{what} names {host}, a loopback host", field=what)
    ip = _literal_ip(name)
    if ip is not None:
        reason = blocked_reason(ip)
        if reason:
            raise OutboundBlocked(f"{what} points at {ip}, {reason}", field=what)


def check_url(url: str, *, allow_private: bool, field: str = "url") -> str:
    """An absolute http(s) URL without credentials whose host is not a refused name or
    literal address. DNS is not consulted here (see ``check_destination``)."""
    if not isinstance(url, str) or not url or any(c.isspace() for c in url):
        raise BadInput(f"{field} must be an absolute https URL without spaces", field=field)
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise BadInput(f"{field} is not a valid URL", field=field) from None
    if parts.scheme not in ("https", "http") or not host:
        raise BadInput(f"{field} must be an absolute https URL", field=field)
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise BadInput(f"{field} must not carry a user name or password", field=field)
    if "\\" in parts.netloc or "%" in parts.netloc:
        raise BadInput(f"{field} has characters a host cannot contain", field=field)
    _check_host_name(host, allow_private, field)
    return url


async def _resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await asyncio.wait_for(
        loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), DNS_TIMEOUT_SECONDS
    )
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def resolve_guarded(host: str, port: int, *, allow_private: bool) -> list[str]:
    """The addresses of ``host`` that may be connected to; raises ``OutboundBlocked`` when
    there are none. For transports other than ``Outbound`` (an HTTP/2 client): connect to one
    of these, with TLS server name and Host set to ``host``."""
    _check_host_name(host, allow_private, "host")
    try:
        addresses = await _resolve(host, port)
    except (OSError, TimeoutError) as exc:
        raise OutboundBlocked(f"cannot resolve {host}: {exc}", field="host") from None
    if allow_private:
        return addresses
    allowed = [a for a in addresses if blocked_reason(ipaddress.ip_address(a)) is None]
    if not allowed:
        first = addresses[0] if addresses else "nothing"
        reason = blocked_reason(ipaddress.ip_address(first)) if addresses else "no address"
        raise OutboundBlocked(f"{host} resolves to {first}, {reason}", field="host")
    return allowed


async def check_destination(url: str, *, allow_private: bool, field: str = "url") -> str:
    """``check_url`` plus DNS: refused when any address of the host is refused (a name that
    resolves to 127.0.0.1 is refused at registration). A name that does not resolve yet is
    accepted; it is checked again at every send."""
    check_url(url, allow_private=allow_private, field=field)
    if allow_private:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        addresses = await _resolve(host, parts.port or (443 if parts.scheme == "https" else 80))
    except (OSError, TimeoutError):
        return url
    for address in addresses:
        reason = blocked_reason(ipaddress.ip_address(address))
        if reason:
            raise OutboundBlocked(f"{field}'s host {host} resolves to {address}, {reason}",
                                  field=field)
    return url


@dataclass(frozen=True, slots=True)
class Reply:
    """How one request went: the HTTP answer, or the error that prevented one."""

    status: int | None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    error: str | None = None
    elapsed_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _Refused(OSError):
    pass


class Outbound:
    """One pooled, guarded client per process. ``request`` never raises for network trouble
    or a refused destination: an unreachable or misbehaving receiver is an outcome."""

    def __init__(self, *, allow_private: bool = False, timeout: float = TIMEOUT_SECONDS,
                 limit_per_host: int = 8) -> None:
        self.allow_private = allow_private
        self.timeout = timeout
        self._limit_per_host = limit_per_host
        self._session: aiohttp.ClientSession | None = None

    def _socket(self, addr_info: tuple[Any, ...]) -> socket.socket:
        """aiohttp's socket factory: the last check, on the address about to be connected."""
        family, type_, proto, _, sockaddr = addr_info
        if not self.allow_private:
            reason = blocked_reason(ipaddress.ip_address(sockaddr[0]))
            if reason:
                raise _Refused(f"refused to connect to {sockaddr[0]}, {reason}")
        return socket.socket(family, type_, proto)

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=100, limit_per_host=self._limit_per_host, socket_factory=self._socket,
                ttl_dns_cache=30,
            )
            self._session = aiohttp.ClientSession(
                connector=connector, trust_env=False, headers={"User-Agent": USER_AGENT},
            )
        return self._session

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - aiohttp's per-request budget
    ) -> Reply:
        started = time.perf_counter()

        def failed(error: str) -> Reply:
            return Reply(None, error=error[:500],
                         elapsed_ms=(time.perf_counter() - started) * 1000)

        try:
            check_url(url, allow_private=self.allow_private)
            parts = urlsplit(url)
            await resolve_guarded(parts.hostname or "",
                                  parts.port or (443 if parts.scheme == "https" else 80),
                                  allow_private=self.allow_private)
        except BadInput as exc:
            return failed(f"blocked: {exc.message}")
        try:
            async with self._client().request(
                method, url, data=body, headers=dict(headers or {}), allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=timeout or self.timeout),
            ) as resp:
                content = await resp.content.read(BODY_LIMIT)
                return Reply(resp.status, dict(resp.headers), content,
                             elapsed_ms=(time.perf_counter() - started) * 1000)
        except aiohttp.ClientConnectorError as exc:
            cause = exc.os_error
            if isinstance(cause, _Refused):
                return failed(f"blocked: {cause}")
            return failed(f"{type(exc).__name__}: {exc}")
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            return failed(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

"""The client's address of a request, for everything that counts clients: the per-IP rate
limit (gateway/middleware.py) and dynamic QR visitor stats (gateway/qr_redirect.py)."""

import ipaddress
from collections.abc import Sequence

from aiohttp import web

from .keys import SETTINGS

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _is_trusted(value: str | None, trusted: Sequence[Network]) -> bool:
    try:
        address = ipaddress.ip_address((value or "").strip())
    except ValueError:
        return False
    return any(address in net for net in trusted)


def client_ip(request: web.Request) -> str | None:
    """The peer's address, or behind trusted proxies (``PASSGATE_TRUSTED_PROXIES``) the last
    address of X-Forwarded-For that is not one of them (any earlier one may be forged by the
    client). From any other peer X-Forwarded-For is ignored. Runs on every API request: with
    no proxies configured it is the peer at once, and the networks are parsed once
    (``Settings.trusted_networks``)."""
    peer = request.remote
    trusted = request.app[SETTINGS].trusted_networks
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    hops = [h.strip() for h in request.headers.get("X-Forwarded-For", "").split(",")]
    for hop in reversed([h for h in hops if h]):
        if not _is_trusted(hop, trusted):
            return hop
    return peer

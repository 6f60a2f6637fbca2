"""Each dialect's webhook wire format: ``wire(event, webhook, secret, now) -> (headers,
body)``. A webhook's deliveries take the dialect of the key that created it."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from .accessgrid import events as accessgrid
from .native import events as native
from .walletcrew import events as walletcrew

Wire = Callable[[Any, Any, str, datetime], tuple[dict[str, str], bytes]]

WIRES: dict[str, Wire] = {
    "native": native.wire,
    "passengine": native.wire,
    "accessgrid": accessgrid.wire,
    "walletcrew": walletcrew.wire,
}

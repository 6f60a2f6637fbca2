"""Every dialect passgate speaks. On a shared method and path the key's dialect chooses;
otherwise the first dialect listed that declares the route answers."""

import re

from .accessgrid import DIALECT as ACCESSGRID
from .engine import Dialect
from .native import DIALECT as NATIVE
from .passengine import DIALECT as PASSENGINE
from .walletcrew import DIALECT as WALLETCREW

ALL: list[Dialect] = [NATIVE, PASSENGINE, ACCESSGRID, WALLETCREW]
BY_NAME = {d.name: d for d in ALL}
# Paths only one dialect lives under, so a path no route has (or a wrong method) is refused
# in that dialect's error shape: The Wallet Crew's tenant-routed /api/ten_…/.
PREFIXES: tuple[tuple[re.Pattern[str], Dialect], ...] = (
    (re.compile(r"^/api/ten_[^/]*(/|$)"), WALLETCREW),
)


def owning(path: str) -> Dialect | None:
    """The dialect whose own prefix ``path`` is under, if any."""
    return next((d for pattern, d in PREFIXES if pattern.match(path)), None)

"""Every dialect passgate speaks. On a shared method and path the key's dialect chooses;
otherwise the first dialect listed that declares the route answers."""

from .accessgrid import DIALECT as ACCESSGRID
from .engine import Dialect
from .native import DIALECT as NATIVE
from .passengine import DIALECT as PASSENGINE
from .walletcrew import DIALECT as WALLETCREW

ALL: list[Dialect] = [NATIVE, PASSENGINE, ACCESSGRID, WALLETCREW]
BY_NAME = {d.name: d for d in ALL}

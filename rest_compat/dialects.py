"""Every dialect passgate speaks. On a shared method and path the key's dialect chooses;
otherwise the first dialect listed that declares the route answers."""

from .engine import Dialect
from .native import DIALECT as NATIVE
from .passengine import DIALECT as PASSENGINE

ALL: list[Dialect] = [NATIVE, PASSENGINE]
BY_NAME = {d.name: d for d in ALL}

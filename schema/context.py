"""The per-request context shared by ``/graphql`` and the REST routes."""

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from strawberry.dataloader import DataLoader

from resolvers.auth import KeyAuthenticator, Principal
from resolvers.db import Database
from resolvers.errors import Unauthenticated
from resolvers.loaders import load_by_ids


@dataclass(slots=True)
class AppState:
    """What a context needs from the running process."""

    db: Database
    authenticator: KeyAuthenticator
    secret_key: bytes
    public_base_url: str


class Loaders:
    """One DataLoader per kind, per request, so a list resolves relations in one batch."""

    def __init__(self, db: Database, tenant_id: str) -> None:
        self._db = db
        self._tenant_id = tenant_id
        self._loaders: dict[str, DataLoader[str, Any]] = {}

    def __getitem__(self, kind: str) -> DataLoader[str, Any]:
        loader = self._loaders.get(kind)
        if loader is None:
            db, tenant = self._db, self._tenant_id

            async def load(keys: list[str]) -> list[Any]:
                return await load_by_ids(db, kind, tenant, keys)

            loader = self._loaders[kind] = DataLoader(load_fn=load)
        return loader


@dataclass
class Context:
    app: AppState
    principal_or_none: Principal | None
    request_id: str = ""
    request: Any = None
    response: Any = None

    @property
    def db(self) -> Database:
        return self.app.db

    @property
    def principal(self) -> Principal:
        if self.principal_or_none is None:
            raise Unauthenticated("an API key is required")
        return self.principal_or_none

    def require(self, scope: str) -> Principal:
        principal = self.principal
        principal.require(scope)
        return principal

    @cached_property
    def loaders(self) -> Loaders:
        return Loaders(self.app.db, self.principal.tenant_id)

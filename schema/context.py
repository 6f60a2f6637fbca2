"""The per-request context shared by ``/graphql`` and the REST routes."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from strawberry.dataloader import DataLoader

from resolvers.auth import KeyAuthenticator, Principal
from resolvers.db import Database
from resolvers.errors import DomainError, Unauthenticated
from resolvers.loaders import load_by_ids
from resolvers.outbound import Outbound
from resolvers.pagination import Page, PageArgs

# Loads one page of children for each parent, all with the same page arguments.
PageFetch = Callable[[Database, str, list[Any], PageArgs], Awaitable[list[Page]]]


@dataclass(slots=True)
class AppState:
    """What a context needs from the running process."""

    db: Database
    authenticator: KeyAuthenticator
    secret_key: bytes
    public_base_url: str
    outbound: Outbound
    live: Any = None  # resolvers.live.LiveHub: events for subscriptions
    # Told about wallet-visible changes after they commit (the push worker's queue).
    wallet_changed: Callable[[Any], None] | None = None
    google_api: Any = None  # resolvers.wallet.google.WalletApi, when the app runs one
    # resolvers.wallet.settings.InstanceDefaults: wallets for tenants without their own
    wallet_defaults: Any = None


class Loaders:
    """One DataLoader per kind, per request, so a list resolves relations in one batch."""

    def __init__(self, db: Database, tenant_id: str) -> None:
        self._db = db
        self._tenant_id = tenant_id
        self._loaders: dict[str, DataLoader[str, Any]] = {}
        self._pages: dict[str, DataLoader[tuple[Any, PageArgs], Page]] = {}

    def __getitem__(self, kind: str) -> DataLoader[str, Any]:
        loader = self._loaders.get(kind)
        if loader is None:
            db, tenant = self._db, self._tenant_id

            async def load(keys: list[str]) -> list[Any]:
                return await load_by_ids(db, kind, tenant, keys)

            loader = self._loaders[kind] = DataLoader(load_fn=load)
        return loader

    def pages(self, relation: str, fetch: PageFetch) -> DataLoader[tuple[Any, PageArgs], Page]:
        """A loader of nested connections keyed by ``(parent id, page args)``: the parents
        a list resolves together are fetched by one ``fetch`` per distinct page args.
        ``relation`` names the connection and any filter it carries (one loader each)."""
        loader = self._pages.get(relation)
        if loader is None:
            db, tenant = self._db, self._tenant_id

            async def load(keys: list[tuple[Any, PageArgs]]) -> list[Page | DomainError]:
                by_args: dict[PageArgs, list[int]] = {}
                for i, (_parent, args) in enumerate(keys):
                    by_args.setdefault(args, []).append(i)
                out: list[Page | DomainError] = [None] * len(keys)  # type: ignore[list-item]
                for args, where in by_args.items():
                    try:
                        pages = await fetch(db, tenant, [keys[i][0] for i in where], args)
                    except DomainError as e:  # bad page args fail only their own keys
                        pages = [e] * len(where)  # type: ignore[list-item]
                    for i, page in zip(where, pages, strict=True):
                        out[i] = page
                return out

            loader = self._pages[relation] = DataLoader(load_fn=load)
        return loader

    def of(self, name: str, load_fn: Any) -> DataLoader[str, Any]:
        """A per-request loader with its own batch function (``load_fn(keys) -> values``)."""
        loader = self._loaders.get(name)
        if loader is None:
            loader = self._loaders[name] = DataLoader(load_fn=load_fn)
        return loader


@dataclass
class Context:
    app: AppState
    principal_or_none: Principal | None
    request_id: str = ""
    request: Any = None
    response: Any = None
    connection_params: Any = None  # a WebSocket's connection_init payload

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

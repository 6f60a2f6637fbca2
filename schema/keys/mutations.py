"""API key rotation."""

from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from resolvers import auth
from schema.idempotency import key_field, once, seal, unseal

from ..viewer.types import ApiKeyInfo


@strawberry.input
class RotateApiKeyInput:
    id: str | None = strawberry.field(
        default=None, description="The key to rotate (key_…); the calling key when left out. "
                                  "Another key than the caller needs the admin scope.")
    grace_seconds: int = strawberry.field(
        default=0, description="How long the old secret keeps working (at most 30 days).")


@strawberry.type
class RotateApiKeyPayload:
    key: ApiKeyInfo
    secret: str = strawberry.field(description="The new key. Shown once; store it now.")
    previous_key_expires_at: datetime


@strawberry.input
class CreateApiKeyInput:
    name: str
    scopes: list[str] = strawberry.field(
        default_factory=lambda: ["all"],
        description="Scopes such as passes:read, templates:*, or all.")
    dialect: str = strawberry.field(
        default="native",
        description="native, passengine (a 2pk_ key), accessgrid (an account id and a "
                    "signing secret) or walletcrew.")
    idempotency_key: str | None = key_field()


@strawberry.type
class CreateApiKeyPayload:
    key: ApiKeyInfo
    secret: str = strawberry.field(description="The key (for accessgrid: the secret_key). "
                                               "Shown once; store it now.")
    account_id: str | None = strawberry.field(
        description="The AccessGrid account id (X-ACCT-ID); null for other dialects.")


@strawberry.type
class KeyMutations:
    @strawberry.mutation(description="Needs the admin scope. A key for one integration.")
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> CreateApiKeyPayload:
        principal = info.context.require("admin")

        def payload(saved: dict[str, Any], secret: str) -> CreateApiKeyPayload:
            return CreateApiKeyPayload(
                key=ApiKeyInfo(id=saved["id"], name=saved["name"], prefix=saved["prefix"],
                               dialect=saved["dialect"]),
                secret=secret, account_id=saved["account_id"],
            )

        async def run() -> tuple[CreateApiKeyPayload, dict[str, Any]]:
            minted = await auth.create_key(
                info.context.db, principal.tenant_id, name=input.name, scopes=input.scopes,
                dialect=input.dialect, server_secret=info.context.app.secret_key,
                caller_key_id=principal.key_id,
            )
            saved = {"id": minted.id, "name": minted.name, "prefix": minted.prefix,
                     "dialect": minted.dialect, "account_id": minted.account_id}
            return payload(saved, minted.key), {**saved, "secret": seal(info, minted.key)}

        async def replay(saved: dict[str, Any]) -> CreateApiKeyPayload:
            return payload(saved, unseal(info, saved["secret"]))

        return await once(info, "createApiKey", input, run, replay)

    @strawberry.mutation(description="A new secret for an integration, the old one kept for a "
                                     "grace period.")
    async def rotate_api_key(self, info: Info, input: RotateApiKeyInput) -> RotateApiKeyPayload:
        principal = info.context.principal
        key_id = input.id or principal.key_id
        if key_id != principal.key_id:
            principal.require("admin")
        minted, stops = await auth.rotate_key(
            info.context.db, principal.tenant_id, key_id, input.grace_seconds,
            caller_key_id=principal.key_id,
        )
        return RotateApiKeyPayload(
            key=ApiKeyInfo(id=minted.id, name=minted.name, prefix=minted.prefix,
                           dialect=minted.dialect),
            secret=minted.key,
            previous_key_expires_at=stops,
        )

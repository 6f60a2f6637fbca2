"""API key rotation."""

from datetime import datetime

import strawberry
from strawberry.types import Info

from resolvers import auth

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


@strawberry.type
class KeyMutations:
    @strawberry.mutation(description="A new secret for an integration, the old one kept for a "
                                     "grace period.")
    async def rotate_api_key(self, info: Info, input: RotateApiKeyInput) -> RotateApiKeyPayload:
        principal = info.context.principal
        key_id = input.id or principal.key_id
        if key_id != principal.key_id:
            principal.require("admin")
        minted, stops = await auth.rotate_key(
            info.context.db, principal.tenant_id, key_id, input.grace_seconds
        )
        return RotateApiKeyPayload(
            key=ApiKeyInfo(id=minted.id, name=minted.name, prefix=minted.prefix,
                           dialect=minted.dialect),
            secret=minted.key,
            previous_key_expires_at=stops,
        )

"""Webhook: an endpoint registered for events. The signing secret is never a field."""

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay

from resolvers.timeutil import from_db


@strawberry.enum(description="How the receiver authenticates us (AccessGrid's auth_method).")
class WebhookAuthMethod(Enum):
    BEARER_TOKEN = "bearer_token"
    MTLS = "mtls"
    NONE = "none"


@strawberry.type
class Webhook(relay.Node):
    id: relay.NodeID[str]
    name: str | None
    url: str
    events: list[str] = strawberry.field(
        description="Event names: Category:Action (Pass:Created, Pass:*, *) or dotted "
                    "lower-case (pass.created).")
    auth_method: WebhookAuthMethod
    enabled: bool
    description: str | None
    verified_at: datetime | None = strawberry.field(
        description="When a signed test delivery last got a 2xx answer; null: never.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> "Webhook":
        return cls(
            id=row.id,
            name=row.name,
            url=row.url,
            events=list(row.events),
            auth_method=WebhookAuthMethod(row.auth_method),
            enabled=row.enabled,
            description=row.description,
            verified_at=from_db(row.verified_at),
            created_at=from_db(row.created_at),
            updated_at=from_db(row.updated_at),
        )


@strawberry.type
class WebhookPayload:
    webhook: Webhook


@strawberry.type
class CreateWebhookPayload:
    webhook: Webhook
    secret: str = strawberry.field(
        description="The signing secret: X-Passgate-Signature is the lower-case hex "
                    "HMAC-SHA256 of the raw body with it. Shown once; store it now.")


@strawberry.type
class VerifyWebhookPayload:
    webhook: Webhook
    verified: bool = strawberry.field(
        description="The endpoint answered the signed Webhook:Verify delivery with a 2xx.")

"""Webhook: an endpoint registered for events. The signing secret is never a field."""

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from resolvers import deliveries
from resolvers.pagination import PageArgs
from resolvers.timeutil import from_db
from schema.pagination import Connection, connection


@strawberry.enum(description="How the receiver authenticates us (AccessGrid's auth_method).")
class WebhookAuthMethod(Enum):
    BEARER_TOKEN = "bearer_token"
    MTLS = "mtls"
    NONE = "none"


def _format(dialect: str) -> "WebhookFormat":
    """PassEngine keys' webhooks get the native (Standard Webhooks) shape."""
    return WebhookFormat(dialect) if dialect in ("walletcrew", "accessgrid") else (
        WebhookFormat.STANDARD_WEBHOOKS)


@strawberry.enum(description="How deliveries are shaped and signed.")
class WebhookFormat(Enum):
    STANDARD_WEBHOOKS = "native"  # the Standard Webhooks specification, whsec_ secrets
    WALLETCREW = "walletcrew"  # {id, event, tenantId, date, data}, X-NEOSTORE-SIGNATURE
    ACCESSGRID = "accessgrid"  # CloudEvents 1.0, AccessGrid's event names


@strawberry.type
class Webhook(relay.Node):
    id: relay.NodeID[str]
    name: str | None
    url: str
    events: list[str] = strawberry.field(
        description="Event names: Category:Action (Pass:Created, Pass:*, *) or dotted "
                    "lower-case (pass.created).")
    auth_method: WebhookAuthMethod
    format: WebhookFormat
    enabled: bool
    description: str | None
    verified_at: datetime | None = strawberry.field(
        description="When a signed test delivery last got a 2xx answer; null: never.")
    created_at: datetime
    updated_at: datetime
    disabled_reason: str | None = strawberry.field(
        default=None, description="Why passgate switched deliveries off (410 Gone, or failing "
                                  "for days); enabling the webhook again clears it.")
    failing_since: datetime | None = strawberry.field(
        default=None, description="Since when every attempt has failed; null: healthy.")

    @classmethod
    def from_row(cls, row: Any) -> "Webhook":
        return cls(
            id=row.id,
            name=row.name,
            url=row.url,
            events=list(row.events),
            auth_method=WebhookAuthMethod(row.auth_method),
            format=_format(row.dialect),
            enabled=row.enabled,
            description=row.description,
            verified_at=from_db(row.verified_at),
            created_at=from_db(row.created_at),
            updated_at=from_db(row.updated_at),
            disabled_reason=row.disabled_reason,
            failing_since=from_db(row.failing_since),
        )

    @strawberry.field(description="Deliveries to this endpoint, newest first, with every "
                                  "attempt (status, latency, error, response excerpt).")
    async def deliveries(
        self, info: Info, state: "DeliveryState | None" = None, first: int | None = None,
        after: str | None = None,
    ) -> Connection["WebhookDelivery"]:
        principal = info.context.require("webhooks:read")
        page = await deliveries.list_deliveries(
            info.context.db, principal.tenant_id, self.id, PageArgs(first=first, after=after),
            state=state.value if state else None)
        return connection(page, WebhookDelivery.from_row)


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
        description="The endpoint answered the signed test delivery with a 2xx.")


@strawberry.enum(description="pending: not yet answered 2xx (retrying on schedule); "
                             "delivered; failed: every retry used.")
class DeliveryState(Enum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@strawberry.type(description="One HTTP request of a delivery, as it went.")
class WebhookAttempt:
    attempt: int
    status: int | None = strawberry.field(description="HTTP status; null: no answer.")
    latency_ms: float | None
    error: str | None
    response_excerpt: str | None = strawberry.field(
        description="The first 1,000 characters of the receiver's answer.")
    attempted_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> "WebhookAttempt":
        return cls(attempt=row.attempt, status=row.status, latency_ms=row.latency_ms,
                   error=row.error, response_excerpt=row.response_excerpt,
                   attempted_at=from_db(row.attempted_at))


@strawberry.type(description="One event due to one webhook.")
class WebhookDelivery:
    id: strawberry.ID
    event_id: str = strawberry.field(description="The webhook-id header: the same on retries.")
    event_type: str
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    tenant_id: strawberry.Private[str]

    @classmethod
    def from_row(cls, row: Any) -> "WebhookDelivery":
        return cls(id=strawberry.ID(row.id), event_id=row.event_id, event_type=row.event_type,
                   state=DeliveryState(row.state), attempts=row.attempts,
                   next_attempt_at=from_db(row.next_attempt_at) if row.state == "pending"
                   else None,
                   last_status=row.last_status, last_error=row.last_error,
                   created_at=from_db(row.created_at), delivered_at=from_db(row.delivered_at),
                   tenant_id=row.tenant_id)

    @strawberry.field(description="Every attempt, oldest first.")
    async def attempt_log(self, info: Info) -> list[WebhookAttempt]:
        db, tenant = info.context.db, self.tenant_id
        loader = info.context.loaders.of(
            "webhook_attempts", lambda ids: deliveries.attempts_of(db, tenant, list(ids)))
        rows = await loader.load(self.id)
        return [WebhookAttempt.from_row(r) for r in rows]


@strawberry.type
class RedeliverWebhookPayload:
    webhook: Webhook
    queued: int = strawberry.field(description="Deliveries queued to be sent now.")

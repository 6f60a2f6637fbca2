"""Webhook mutations."""

from typing import Any

import strawberry
from strawberry.types import Info

from resolvers import deliveries
from resolvers import webhooks as webhook_data
from schema.idempotency import once, reload, seal, unseal
from schema.ids import raw_id
from schema.inputs import provided

from .inputs import (
    CreateWebhookInput,
    RedeliverWebhookInput,
    UpdateWebhookInput,
    WebhookIdInput,
)
from .types import (
    CreateWebhookPayload,
    RedeliverWebhookPayload,
    VerifyWebhookPayload,
    Webhook,
    WebhookPayload,
)


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(description="Register an endpoint; the signing secret is in the "
                                     "answer, and only there. The plan caps how many.")
    async def create_webhook(self, info: Info, input: CreateWebhookInput) -> CreateWebhookPayload:
        principal = info.context.require("webhooks:write")

        async def run() -> tuple[CreateWebhookPayload, dict[str, Any]]:
            row, secret = await webhook_data.create_webhook(
                info.context.db,
                principal.tenant_id,
                principal.plan,
                info.context.app.secret_key,
                dialect=input.format.value if input.format else principal.dialect,
                **provided(input, skip=("idempotency_key", "format")),
                allow_private=info.context.app.outbound.allow_private,
            )
            return (CreateWebhookPayload(webhook=Webhook.from_row(row), secret=secret),
                    {"ids": [row.id], "secret": seal(info, secret)})

        async def replay(saved: dict[str, Any]) -> CreateWebhookPayload:
            rows = await reload(info, "webhook", saved["ids"])
            return CreateWebhookPayload(webhook=Webhook.from_row(rows[0]),
                                        secret=unseal(info, saved["secret"]))

        return await once(info, "createWebhook", input, run, replay)

    @strawberry.mutation
    async def update_webhook(self, info: Info, input: UpdateWebhookInput) -> WebhookPayload:
        principal = info.context.require("webhooks:write")
        row = await webhook_data.update_webhook(
            info.context.db,
            principal.tenant_id,
            raw_id(input.id, "Webhook", "id"),
            provided(input, skip=("id",)),
            allow_private=info.context.app.outbound.allow_private,
        )
        return WebhookPayload(webhook=Webhook.from_row(row))

    @strawberry.mutation
    async def delete_webhook(self, info: Info, input: WebhookIdInput) -> WebhookPayload:
        principal = info.context.require("webhooks:write")
        row = await webhook_data.delete_webhook(
            info.context.db, principal.tenant_id, raw_id(input.id, "Webhook", "id")
        )
        return WebhookPayload(webhook=Webhook.from_row(row))

    @strawberry.mutation(description="POST a signed test delivery in the webhook's "
                                     "format (native: a Standard Webhooks webhook.verify "
                                     "message; Wallet Crew: Webhook:Verify); a 2xx answer "
                                     "within 5 s verifies it.")
    async def verify_webhook(self, info: Info, input: WebhookIdInput) -> VerifyWebhookPayload:
        principal = info.context.require("webhooks:write")
        row, verified = await webhook_data.verify_webhook(
            info.context.db,
            principal.tenant_id,
            raw_id(input.id, "Webhook", "id"),
            info.context.app.secret_key,
            info.context.app.outbound,
        )
        return VerifyWebhookPayload(webhook=Webhook.from_row(row), verified=verified)

    @strawberry.mutation(description="Queue deliveries again, to be sent now: one event or "
                                     "every subscribed event since a time.")
    async def redeliver_webhook(self, info: Info,
                                input: RedeliverWebhookInput) -> RedeliverWebhookPayload:
        principal = info.context.require("webhooks:write")
        webhook_id = raw_id(input.id, "Webhook", "id")
        queued = await deliveries.redeliver(info.context.db, principal.tenant_id, webhook_id,
                                            event_id=input.event_id, since=input.since)
        row = await webhook_data.get_webhook(info.context.db, principal.tenant_id, webhook_id)
        return RedeliverWebhookPayload(webhook=Webhook.from_row(row), queued=queued)

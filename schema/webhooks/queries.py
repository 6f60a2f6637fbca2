"""Webhook queries."""

import strawberry
from strawberry.types import Info

from resolvers import webhooks as webhook_data
from schema.ids import raw_id
from schema.pagination import Connection, connection, page_args

from .types import DeliveryState, Webhook, WebhookDelivery


@strawberry.type
class WebhookQueries:
    @strawberry.field
    async def webhook(self, info: Info, id: strawberry.ID) -> Webhook | None:
        principal = info.context.require("webhooks:read")
        row = await webhook_data.get_webhook(
            info.context.db, principal.tenant_id, raw_id(id, "Webhook", "id")
        )
        return Webhook.from_row(row)

    @strawberry.field(description="Webhooks, newest first.")
    async def webhooks(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Webhook]:
        principal = info.context.require("webhooks:read")
        page = await webhook_data.list_webhooks(
            info.context.db, principal.tenant_id, page_args(first, after, last, before)
        )
        return connection(page, Webhook.from_row)

    @strawberry.field(description="A webhook's deliveries, newest first (as Webhook.deliveries).")
    async def webhook_deliveries(
        self, info: Info, webhook_id: strawberry.ID, state: DeliveryState | None = None,
        first: int | None = None, after: str | None = None,
    ) -> Connection[WebhookDelivery]:
        principal = info.context.require("webhooks:read")
        row = await webhook_data.get_webhook(
            info.context.db, principal.tenant_id, raw_id(webhook_id, "Webhook", "webhookId"))
        return await Webhook.from_row(row).deliveries(info, state, first, after)

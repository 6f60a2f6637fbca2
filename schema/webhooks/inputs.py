"""Inputs of the webhook mutations."""

from datetime import datetime

import strawberry
from strawberry import UNSET

from schema.idempotency import key_field

from .types import WebhookAuthMethod, WebhookFormat


@strawberry.input
class CreateWebhookInput:
    url: str = strawberry.field(description="https (plain http only for localhost).")
    events: list[str]
    name: str | None = UNSET
    description: str | None = UNSET
    enabled: bool = True
    auth_method: WebhookAuthMethod = WebhookAuthMethod.BEARER_TOKEN
    idempotency_key: str | None = key_field()
    format: WebhookFormat | None = strawberry.field(
        default=UNSET, description="How deliveries are shaped and signed; by default as the "
                                   "creating key's dialect expects (a REST door sets its own).")


@strawberry.input
class UpdateWebhookInput:
    id: strawberry.ID
    url: str | None = UNSET
    events: list[str] | None = UNSET
    name: str | None = UNSET
    description: str | None = UNSET
    enabled: bool | None = UNSET


@strawberry.input
class WebhookIdInput:
    id: strawberry.ID


@strawberry.input(description="Send again now: one event (eventId), or every event since a "
                              "time that the webhook subscribes to (since).")
class RedeliverWebhookInput:
    id: strawberry.ID
    event_id: str | None = None
    since: datetime | None = None

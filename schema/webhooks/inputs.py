"""Inputs of the webhook mutations."""

import strawberry
from strawberry import UNSET

from .types import WebhookAuthMethod


@strawberry.input
class CreateWebhookInput:
    url: str = strawberry.field(description="https (plain http only for localhost).")
    events: list[str]
    name: str | None = UNSET
    description: str | None = UNSET
    enabled: bool = True
    auth_method: WebhookAuthMethod = WebhookAuthMethod.BEARER_TOKEN


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

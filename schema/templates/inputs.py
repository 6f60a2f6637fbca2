"""Inputs of the template mutations."""

from datetime import datetime

import strawberry
from strawberry import UNSET

from schema.idempotency import key_field
from schema.scalars import JSON

from ..passes.inputs import MERGE_PATCH
from ..passes.types import PassType
from .types import BarcodeFormat, TemplateKind


@strawberry.input
class CreateTemplateInput:
    name: str
    kind: TemplateKind = TemplateKind.GENERIC
    description: str | None = UNSET
    background_color: str | None = UNSET
    foreground_color: str | None = UNSET
    label_color: str | None = UNSET
    logo_url: str | None = UNSET
    icon_url: str | None = UNSET
    barcode_format: BarcodeFormat = BarcodeFormat.QR
    field_layout: JSON | None = UNSET
    default_type: PassType = PassType.SINGLE
    default_max_usages: int | None = UNSET
    default_valid_from: datetime | None = UNSET
    default_valid_until: datetime | None = UNSET
    default_valid_days: int | None = strawberry.field(
        default=UNSET, description="New passes expire this many days after creation."
    )
    apple_pass_type_id: str | None = UNSET
    apple_team_id: str | None = UNSET
    google_issuer_id: str | None = UNSET
    settings: JSON | None = strawberry.field(
        default=UNSET, description="Vendor settings, a JSON object kept as given.")
    idempotency_key: str | None = key_field()


@strawberry.input
class UpdateTemplateInput:
    id: strawberry.ID
    name: str | None = UNSET
    kind: TemplateKind | None = UNSET
    description: str | None = UNSET
    background_color: str | None = UNSET
    foreground_color: str | None = UNSET
    label_color: str | None = UNSET
    logo_url: str | None = UNSET
    icon_url: str | None = UNSET
    barcode_format: BarcodeFormat | None = UNSET
    field_layout: JSON | None = UNSET
    default_type: PassType | None = UNSET
    default_max_usages: int | None = UNSET
    default_valid_from: datetime | None = UNSET
    default_valid_until: datetime | None = UNSET
    default_valid_days: int | None = UNSET
    apple_pass_type_id: str | None = UNSET
    apple_team_id: str | None = UNSET
    google_issuer_id: str | None = UNSET
    settings: JSON | None = strawberry.field(
        default=UNSET, description="Replaces the whole settings object; null clears it.")
    settings_patch: JSON | None = strawberry.field(default=UNSET, description=MERGE_PATCH)


@strawberry.input
class TemplateIdInput:
    id: strawberry.ID

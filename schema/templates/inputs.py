"""Inputs of the template mutations."""

from datetime import datetime

import strawberry
from strawberry import UNSET

from schema.idempotency import key_field
from schema.scalars import JSON

from ..passes.inputs import MERGE_PATCH
from ..passes.types import PassType
from .types import BarcodeFormat, TemplateImageName, TemplateKind

LOCALIZATIONS = ("Wallet pass translations by language: {\"fr\": {\"SEAT\": \"Place\"}}. "
                 "A label or value equal to a key shows its translation on a device in that "
                 "language (fr.lproj/pass.strings); null clears them.")


@strawberry.input
class CreateTemplateInput:
    name: str
    kind: TemplateKind = TemplateKind.GENERIC
    kind_label: str | None = strawberry.field(
        default=UNSET, description="The client's own word for the kind (at most 40 characters).")
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
    localizations: JSON | None = strawberry.field(
        default=UNSET, description=LOCALIZATIONS)
    settings: JSON | None = strawberry.field(
        default=UNSET, description="Vendor settings, a JSON object kept as given.")
    idempotency_key: str | None = key_field()


@strawberry.input
class UpdateTemplateInput:
    id: strawberry.ID
    name: str | None = UNSET
    kind: TemplateKind | None = UNSET
    kind_label: str | None = strawberry.field(
        default=UNSET, description="The client's own word for the kind; a new kind without "
                                   "one clears it.")
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
    localizations: JSON | None = strawberry.field(
        default=UNSET, description=LOCALIZATIONS)
    settings: JSON | None = strawberry.field(
        default=UNSET, description="Replaces the whole settings object; null clears it.")
    settings_patch: JSON | None = strawberry.field(default=UNSET, description=MERGE_PATCH)


@strawberry.input
class TemplateIdInput:
    id: strawberry.ID


@strawberry.input(description="A wallet image for the template's passes: a PNG, base64, at "
                              "most 256 KiB and Apple's size for the image at that scale "
                              "(icon 38x38, logo 160x50, strip 375x144, thumbnail 90x90 "
                              "points). The icon comes first: a template's own image set "
                              "always holds one.")
class UploadTemplateImageInput:
    template_id: strawberry.ID
    image: TemplateImageName
    scale: int = strawberry.field(default=1, description="1, 2 (@2x) or 3 (@3x).")
    data: str = strawberry.field(description="The PNG file, base64.")


@strawberry.input
class DeleteTemplateImageInput:
    template_id: strawberry.ID
    image: TemplateImageName
    scale: int = 1

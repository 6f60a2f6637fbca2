"""Inputs of the QR code mutations."""

import strawberry
from strawberry import UNSET

from schema.idempotency import key_field
from schema.scalars import JSON

from .types import QrStatus, QrType


@strawberry.input
class CreateQrCodeInput:
    name: str
    destination_url: str = strawberry.field(description="Absolute http(s) URL.")
    type: QrType = QrType.URL
    status: QrStatus = QrStatus.ACTIVE
    style: JSON | None = strawberry.field(
        default=UNSET, description="Colours, logo, frame: kept as given for the renderer.")
    idempotency_key: str | None = key_field()


@strawberry.input
class UpdateQrCodeInput:
    id: strawberry.ID
    name: str | None = UNSET
    destination_url: str | None = UNSET
    status: QrStatus | None = UNSET
    style: JSON | None = UNSET


@strawberry.input
class QrCodeIdInput:
    id: strawberry.ID

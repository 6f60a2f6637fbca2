"""Template: how a pass looks and the defaults it gives new passes."""

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from resolvers.timeutil import from_db
from schema.pagination import Connection
from schema.scalars import JSON

from ..passes.types import PassStatus, PassType

if TYPE_CHECKING:
    from schema.passes.types import Pass


@strawberry.enum
class TemplateKind(Enum):
    GENERIC = "generic"
    EVENT_TICKET = "event_ticket"
    MEMBERSHIP = "membership"
    COUPON = "coupon"
    BOARDING_PASS = "boarding_pass"
    ACCESS_BADGE = "access_badge"
    HOTEL_KEY = "hotel_key"


@strawberry.enum
class BarcodeFormat(Enum):
    QR = "qr"
    PDF417 = "pdf417"
    AZTEC = "aztec"
    CODE128 = "code128"


@strawberry.type
class Template(relay.Node):
    id: relay.NodeID[str]
    name: str
    kind: TemplateKind
    description: str | None
    background_color: str | None
    foreground_color: str | None
    label_color: str | None
    logo_url: str | None
    icon_url: str | None
    barcode_format: BarcodeFormat
    field_layout: JSON
    default_type: PassType
    default_max_usages: int | None
    default_valid_from: datetime | None
    default_valid_until: datetime | None
    default_valid_days: int | None
    apple_pass_type_id: str | None
    apple_team_id: str | None
    google_issuer_id: str | None
    settings: JSON | None = strawberry.field(
        description="Vendor settings kept as given (AccessGrid's platform, use case, "
                    "protocol, support/terms/style settings); null: none.")
    published_at: datetime | None = strawberry.field(
        description="When publishTemplate last ran; null: never published.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> "Template":
        return cls(
            id=row.id,
            name=row.name,
            kind=TemplateKind(row.kind),
            description=row.description,
            background_color=row.background_color,
            foreground_color=row.foreground_color,
            label_color=row.label_color,
            logo_url=row.logo_url,
            icon_url=row.icon_url,
            barcode_format=BarcodeFormat(row.barcode_format),
            field_layout=row.field_layout,
            default_type=PassType(row.default_type),
            default_max_usages=row.default_max_usages,
            default_valid_from=from_db(row.default_valid_from),
            default_valid_until=from_db(row.default_valid_until),
            default_valid_days=row.default_valid_days,
            apple_pass_type_id=row.apple_pass_type_id,
            apple_team_id=row.apple_team_id,
            google_issuer_id=row.google_issuer_id,
            settings=row.settings,
            published_at=from_db(row.published_at),
            created_at=from_db(row.created_at),
            updated_at=from_db(row.updated_at),
        )

    @strawberry.field(description="Passes made from this template, newest first.")
    async def passes(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        status: Annotated[PassStatus | None, strawberry.argument(
            description="Only passes with this status (deleted ones only so).")] = None,
    ) -> Connection[Annotated["Pass", strawberry.lazy("schema.passes.types")]]:
        from schema.passes.types import child_pass_connection

        return await child_pass_connection(info, "template", self.id,
                                           (first, after, last, before),
                                           status.value if status else None)


@strawberry.type
class TemplatePayload:
    template: Template

"""Template: how a pass looks and the defaults it gives new passes."""

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from resolvers.timeutil import from_db
from resolvers.wallet import template_images
from schema.pagination import Connection
from schema.scalars import JSON

from ..passes.types import PassStatus, PassType

if TYPE_CHECKING:
    from schema.events.types import ActivityEntry
    from schema.passes.types import Pass
    from schema.scans.types import ScanResult


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


@strawberry.enum(description="The wallet images a template can carry.")
class TemplateImageName(Enum):
    ICON = "icon"
    LOGO = "logo"
    STRIP = "strip"
    THUMBNAIL = "thumbnail"


@strawberry.type(description="An uploaded wallet image (a PNG in the template's passes).")
class TemplateImage:
    image: TemplateImageName
    scale: int
    file_name: str = strawberry.field(description="Its name in the .pkpass, e.g. logo@2x.png.")
    width: int
    height: int
    size: int = strawberry.field(description="Bytes.")
    sha1: str
    url: str = strawberry.field(description="Public URL of the image.")


@strawberry.type
class Template(relay.Node):
    id: relay.NodeID[str]
    name: str
    kind: TemplateKind
    kind_label: str | None = strawberry.field(description=(
        "The client's own word for the kind, answered back as given (PassQR's ticket, "
        "loyalty); null: the kind names itself."))
    description: str | None
    background_color: str | None
    foreground_color: str | None
    label_color: str | None
    logo_url: str | None
    icon_url: str | None
    barcode_format: BarcodeFormat
    field_layout: JSON = strawberry.field(description=(
        "Where fields go on the pass: {area: [{key, label?, value?}]} (areas: header, "
        "primary, secondary, auxiliary, back); a JSON array is kept as given (PassQR's "
        "fields) and the wallet pass then uses the default layout."))
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
    localizations: JSON | None = strawberry.field(
        description="Wallet pass translations by language ({\"fr\": {\"SEAT\": "
                    "\"Place\"}}), shipped as xx.lproj/pass.strings; null: none.")
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
            kind_label=row.kind_label,
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
            localizations=row.localizations,
            published_at=from_db(row.published_at),
            created_at=from_db(row.created_at),
            updated_at=from_db(row.updated_at),
        )

    @strawberry.field(description="Uploaded wallet images by name; empty: the passes carry "
                                  "passgate's own icon and logo.")
    async def images(self, info: Info) -> list[TemplateImage]:
        from schema.wallet.types import request_loader

        db, tenant_id = info.context.db, info.context.principal.tenant_id

        async def load(keys: list[str]) -> list[list[Any]]:
            rows = await template_images.described(db, tenant_id, keys)
            return [[r for r in rows if r.template_id == key] for key in keys]

        base = info.context.app.public_base_url
        out = []
        for r in await request_loader(info, "template_images", load).load(self.id):
            name, scale = template_images.parse_file_name(r.file_name)
            out.append(TemplateImage(
                image=TemplateImageName(name), scale=scale, file_name=r.file_name,
                width=r.width, height=r.height, size=r.size, sha1=r.sha1,
                url=f"{base}/wallet/templates/{self.id}/{r.file_name}"))
        return out

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

    @strawberry.field(description=(
        "Scans of this template's passes and, for a key with passes:read (or webhooks:read), "
        "their lifecycle events (pass.created, pass.updated, pass.suspended, pass.resumed, "
        "pass.unlinked, pass.deleted, pass.expired, pass.installed, pass.uninstalled; kept "
        "as long as events are), newest first (scope scans:read). types takes names in any "
        "dialect and wildcards; deviceId (the scanning device) leaves the lifecycle events "
        "out."))
    async def activity(
        self,
        info: Info,
        types: list[str] | None = None,
        result: Annotated["ScanResult", strawberry.lazy("schema.scans.types")] | None = None,
        device_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Annotated["ActivityEntry", strawberry.lazy("schema.events.types")]]:
        from resolvers import activity
        from resolvers import events as event_data
        from schema.events.types import ActivityEntry
        from schema.pagination import connection, page_args

        principal = info.context.require("scans:read")
        readable = [activity.SCANNED]
        if principal.has("passes:read") or principal.has("webhooks:read"):
            readable += activity.CARD_TYPES
        wanted = [t for t in readable if types is None or event_data.matches(types, t)]
        page = await activity.template_activity(
            info.context.db, principal.tenant_id, self.id, page_args(first, after, last, before),
            types=wanted, result=result.value if result else None, device_id=device_id,
            since=since, until=until)
        return connection(page, ActivityEntry.from_entry)


@strawberry.type
class TemplatePayload:
    template: Template

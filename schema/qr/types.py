"""QrCode: a dynamic QR code, its short URL and its scan analytics."""

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from resolvers import qr as qr_data
from resolvers.auth import Principal
from resolvers.timeutil import from_db
from schema.scalars import JSON


def require_qr(info: Info, scope: str) -> Principal:
    """Scope first, then the plan: the QR API is for the team plan and above (seed 004)."""
    principal = info.context.require(scope)
    qr_data.require_plan(principal.plan)
    return principal


@strawberry.enum
class QrType(Enum):
    URL = "url"


@strawberry.enum
class QrStatus(Enum):
    ACTIVE = "active"
    PAUSED = "paused"


@strawberry.enum
class AnalyticsGranularity(Enum):
    DAY = "day"
    HOUR = "hour"


@strawberry.type
class QrScanBucket:
    start: datetime = strawberry.field(description="Start of the UTC day or hour.")
    scans: int


@strawberry.type
class QrUserAgentCount:
    user_agent: str
    scans: int


@strawberry.type
class QrDeviceCount:
    device: str = strawberry.field(description="mobile, tablet, desktop, bot or other.")
    scans: int


@strawberry.type
class QrCountryCount:
    country: str = strawberry.field(description="ISO 3166-1 alpha-2 code.")
    scans: int


@strawberry.type
class QrAnalytics:
    from_: datetime = strawberry.field(name="from")
    to: datetime
    granularity: AnalyticsGranularity
    total_scans: int
    unique_visitors: int = strawberry.field(
        description="Distinct visitors, told apart by a keyed hash of their IP address.")
    series: list[QrScanBucket] = strawberry.field(
        description="Scans per bucket from the one holding `from` to the one before `to`, "
                    "empty buckets included.")
    top_user_agents: list[QrUserAgentCount] = strawberry.field(
        description="The ten user agents with the most scans.")
    devices: list[QrDeviceCount] = strawberry.field(
        description="Scans per class of device (from the user agent), most first.")
    countries: list[QrCountryCount] = strawberry.field(
        description="Scans per country (from the IP address, looked up offline when the scan "
                    "is recorded; the address is not kept), most first; scans from private or "
                    "unknown addresses are left out.")

    @classmethod
    def from_result(cls, result: qr_data.Analytics) -> "QrAnalytics":
        return cls(
            from_=result.since,
            to=result.until,
            granularity=AnalyticsGranularity(result.granularity),
            total_scans=result.total_scans,
            unique_visitors=result.unique_visitors,
            series=[QrScanBucket(start=s, scans=n) for s, n in result.series],
            top_user_agents=[QrUserAgentCount(user_agent=ua, scans=n)
                             for ua, n in result.top_user_agents],
            devices=[QrDeviceCount(device=d, scans=n) for d, n in result.devices],
            countries=[QrCountryCount(country=c, scans=n) for c, n in result.countries],
        )


@strawberry.type
class QrCode(relay.Node):
    id: relay.NodeID[str]
    name: str
    type: QrType
    destination_url: str
    slug: str
    status: QrStatus
    style: JSON | None
    scan_count: int
    last_scanned_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> "QrCode":
        return cls(
            id=row.id,
            name=row.name,
            type=QrType(row.type),
            destination_url=row.destination_url,
            slug=row.slug,
            status=QrStatus(row.status),
            style=row.style,
            scan_count=row.scan_count,
            last_scanned_at=from_db(row.last_scanned_at),
            created_at=from_db(row.created_at),
            updated_at=from_db(row.updated_at),
        )

    @strawberry.field(description="What the QR code encodes: /q/{slug}, which redirects to "
                                   "destinationUrl and counts the scan.")
    def short_url(self, info: Info) -> str:
        return f"{info.context.app.public_base_url}/q/{self.slug}"

    @strawberry.field(description="Scans in [from, to); by default the last 30 days. At most "
                                  "400 days or 744 hours.")
    async def analytics(
        self,
        info: Info,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        granularity: AnalyticsGranularity = AnalyticsGranularity.DAY,
    ) -> QrAnalytics:
        principal = require_qr(info, "qr:read")
        result = await qr_data.analytics(
            info.context.db, principal.tenant_id, self.id, from_, to, granularity.value
        )
        return QrAnalytics.from_result(result)


@strawberry.type
class QrCodePayload:
    qr_code: QrCode

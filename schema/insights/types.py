"""Insights: usage of a tenant's passes over a time range."""

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from resolvers import insights as insight_data
from resolvers import request_logs
from schema.pagination import Connection, connection, page_args

from ..passes.types import ValidationReason


@strawberry.enum
class InsightGranularity(Enum):
    HOUR = "hour"
    DAY = "day"


@strawberry.type
class InsightBucket:
    start: datetime
    accepted: int
    rejected: int
    passes_created: int
    installs: int = strawberry.field(
        description="Wallet registrations made in the bucket that devices still hold.")


@strawberry.type
class ReasonCount:
    reason: ValidationReason
    scans: int


@strawberry.type
class TemplateCount:
    template_id: strawberry.ID | None = strawberry.field(description="null: passes without one")
    name: str | None
    scans: int


@strawberry.type
class DeviceCount:
    device_id: str | None = strawberry.field(description="null: scans that named no device")
    scans: int


@strawberry.type(description="Scans and passes over [from, to), per UTC hour or day.")
class Insights:
    from_: datetime = strawberry.field(name="from")
    to: datetime
    granularity: InsightGranularity
    accepted: int
    rejected: int
    success_rate: float | None = strawberry.field(
        description="accepted / all scans in the range; null when there were none.")
    rejected_by_reason: list[ReasonCount]
    passes_created: int
    active_passes: int = strawberry.field(description="Passes whose state is active now.")
    series: list[InsightBucket] = strawberry.field(description="Empty buckets included.")
    top_templates: list[TemplateCount]
    top_devices: list[DeviceCount]


@strawberry.type(description="One API request made with one of the tenant's keys.")
class RequestLog:
    id: strawberry.ID
    at: datetime
    method: str
    path: str = strawberry.field(description="Without the query string.")
    operation: str | None = strawberry.field(
        description="The GraphQL operation it ran (a REST route's own operation).")
    status: int
    duration_ms: float = strawberry.field(description="Time to answer, in milliseconds.")
    key_id: str | None = strawberry.field(description="The key's id; never the key.")
    request_id: str

    @classmethod
    def from_row(cls, row: Any) -> "RequestLog":
        return cls(id=strawberry.ID(row.id), at=row.at, method=row.method, path=row.path,
                   operation=row.operation, status=row.status, duration_ms=row.duration_ms,
                   key_id=row.key_id, request_id=row.request_id)


@strawberry.type
class InsightQueries:
    @strawberry.field(description="The tenant's API requests, newest first, kept "
                                  "PASSGATE_REQUEST_LOG_RETENTION_DAYS (scope scans:read). "
                                  "Stored in batches: a request shows within about a second.")
    async def request_logs(
            self, info: Info, first: int | None = None, after: str | None = None,
            last: int | None = None, before: str | None = None,
            since: datetime | None = None, until: datetime | None = None
    ) -> Connection[RequestLog]:
        principal = info.context.require("scans:read")
        page = await request_logs.list_logs(info.context.db, principal.tenant_id,
                                            page_args(first, after, last, before),
                                            since=since, until=until)
        return connection(page, RequestLog.from_row)

    @strawberry.field(description="Usage over a range (default: the last 30 days); "
                                  "scope scans:read.")
    async def insights(
            self, info: Info,
            from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
            to: datetime | None = None,
            granularity: InsightGranularity = InsightGranularity.DAY) -> Insights:
        principal = info.context.require("scans:read")
        r = await insight_data.insights(info.context.db, principal.tenant_id, from_, to,
                                        granularity.value)
        return Insights(
            from_=r.since, to=r.until, granularity=InsightGranularity(r.granularity),
            accepted=r.accepted, rejected=r.rejected, success_rate=r.success_rate,
            rejected_by_reason=[ReasonCount(reason=ValidationReason(x), scans=c)
                                for x, c in r.rejected_by_reason if x],
            passes_created=r.passes_created, active_passes=r.active_passes,
            series=[InsightBucket(start=b.start, accepted=b.accepted, rejected=b.rejected,
                                  passes_created=b.passes_created, installs=b.installs)
                    for b in r.series],
            top_templates=[TemplateCount(template_id=strawberry.ID(t) if t else None,
                                         name=name, scans=c) for t, name, c in r.top_templates],
            top_devices=[DeviceCount(device_id=d, scans=c) for d, c in r.top_devices])

"""Scan queries."""

from datetime import datetime

import strawberry
from strawberry.types import Info

from resolvers import scans as scan_data
from schema.ids import raw_id
from schema.pagination import Connection, connection, page_args

from .types import Scan, ScanResult


@strawberry.input
class ScanFilter:
    pass_id: strawberry.ID | None = None
    result: ScanResult | None = None
    since: datetime | None = None
    until: datetime | None = None
    template_id: strawberry.ID | None = strawberry.field(
        default=None, description="Scans of the passes made from this template.")
    device_id: str | None = strawberry.field(
        default=None, description="Scans reported by this device (exact match).")


@strawberry.type
class ScanQueries:
    @strawberry.field(description="Validation attempts, newest first.")
    async def scans(
        self,
        info: Info,
        filter: ScanFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Scan]:
        principal = info.context.require("scans:read")
        f = filter or ScanFilter()
        page = await scan_data.list_scans(
            info.context.db,
            principal.tenant_id,
            page_args(first, after, last, before),
            pass_id=raw_id(f.pass_id, "Pass", "filter.passId") if f.pass_id else None,
            result=f.result.value if f.result else None,
            since=f.since,
            until=f.until,
            template_id=raw_id(f.template_id, "Template", "filter.templateId")
            if f.template_id else None,
            device_id=f.device_id,
        )
        return connection(page, Scan.from_row)

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
        )
        return connection(page, Scan.from_row)

"""Scan: one validation attempt."""

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from resolvers.timeutil import from_db

from ..passes.types import ValidationReason

if TYPE_CHECKING:
    from schema.passes.types import Pass


@strawberry.enum
class ScanResult(Enum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"


@strawberry.type
class Scan(relay.Node):
    id: relay.NodeID[str]
    code: str = strawberry.field(description="The code as presented at the gate.")
    result: ScanResult
    reason: ValidationReason | None
    scan_id: str | None = strawberry.field(description="The client's idempotency id.")
    device_id: str | None
    location: str | None
    operator_key_id: str | None
    usages_after: int | None
    scanned_at: datetime
    pass_id: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, row: Any) -> "Scan":
        return cls(
            id=row.id,
            code=row.code,
            result=ScanResult(row.result),
            reason=ValidationReason(row.reason) if row.reason else None,
            scan_id=row.client_scan_id,
            device_id=row.device_id,
            location=row.location,
            operator_key_id=row.operator_key_id,
            usages_after=row.usages_after,
            scanned_at=from_db(row.scanned_at),
            pass_id=row.pass_id,
        )

    @strawberry.field(name="pass")
    async def pass_(
        self, info: Info
    ) -> Annotated["Pass", strawberry.lazy("schema.passes.types")] | None:
        from schema.passes.types import pass_by_id

        return await pass_by_id(info, self.pass_id)

"""Event: one entry of the outbox, the object shown as the API shows it."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types import Info

from resolvers import events as event_data
from resolvers.timeutil import from_db
from schema.scalars import JSON

if TYPE_CHECKING:
    from schema.passes.types import Pass
    from schema.scans.types import Scan


@strawberry.type(description="A domain event: what changed, when, and the object after it.")
class Event:
    id: strawberry.ID
    type: str = strawberry.field(description="Dotted name: pass.created, pass.scanned, …")
    occurred_at: datetime
    ordering_key: str = strawberry.field(
        description="Events with the same key (a pass's id) are delivered in order.")
    data: JSON = strawberry.field(description="The object as the API shows it (snake_case).")
    pass_id: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, row: Any) -> "Event":
        at = from_db(row.occurred_at)
        about = row.data.get("pass") if row.type.startswith("pass.") else None
        return cls(id=strawberry.ID(row.id), type=row.type, occurred_at=at,
                   ordering_key=row.ordering_key, data=event_data.present(row.type, row.data, at),
                   pass_id=about["id"] if about else None)

    @strawberry.field(name="pass", description="The pass a pass.* event is about, as it is "
                                               "now (null for other events).")
    async def pass_(
        self, info: Info
    ) -> Annotated["Pass", strawberry.lazy("schema.passes.types")] | None:
        from schema.passes.types import pass_by_id

        return await pass_by_id(info, self.pass_id)


@strawberry.type(description="One row of a template's activity: a scan of one of its passes "
                             "(type pass.scanned, with the scan) or a lifecycle event of one "
                             "of them (pass.created … pass.installed).")
class ActivityEntry:
    id: strawberry.ID = strawberry.field(description="The scan's id, or the event's.")
    type: str = strawberry.field(description="Dotted name: pass.scanned, pass.created, …")
    occurred_at: datetime
    scan: Annotated["Scan", strawberry.lazy("schema.scans.types")] | None
    platform: str | None = strawberry.field(
        description="Installs and uninstalls: the wallet (apple, google).")
    device_id: str | None = strawberry.field(
        description="The scanning device; for installs, the wallet's device.")
    pass_id: strawberry.Private[str | None]

    @classmethod
    def from_entry(cls, entry: Any) -> "ActivityEntry":
        from schema.scans.types import Scan

        scan = Scan.from_row(entry.scan) if entry.scan is not None else None
        installation = (entry.data or {}).get("installation") or {}
        return cls(id=strawberry.ID(entry.ref), type=entry.type, occurred_at=entry.at,
                   scan=scan, platform=installation.get("platform"),
                   device_id=scan.device_id if scan else installation.get("device_library_id"),
                   pass_id=entry.pass_id)

    @strawberry.field(name="pass", description="The pass, as it is now.")
    async def pass_(
        self, info: Info
    ) -> Annotated["Pass", strawberry.lazy("schema.passes.types")] | None:
        from schema.passes.types import pass_by_id

        return await pass_by_id(info, self.pass_id)

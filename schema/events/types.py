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
        from schema.passes.types import Pass

        if self.pass_id is None:
            return None
        row = await info.context.loaders["pass"].load(self.pass_id)
        return Pass.from_row(row) if row is not None else None

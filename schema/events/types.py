"""Event: one entry of the outbox, the object shown as the API shows it."""

from datetime import datetime
from typing import Any

import strawberry

from resolvers import events as event_data
from resolvers.timeutil import from_db
from schema.scalars import JSON


@strawberry.type(description="A domain event: what changed, when, and the object after it.")
class Event:
    id: strawberry.ID
    type: str = strawberry.field(description="Dotted name: pass.created, pass.scanned, …")
    occurred_at: datetime
    ordering_key: str = strawberry.field(
        description="Events with the same key (a pass's id) are delivered in order.")
    data: JSON = strawberry.field(description="The object as the API shows it (snake_case).")

    @classmethod
    def from_row(cls, row: Any) -> "Event":
        at = from_db(row.occurred_at)
        return cls(id=strawberry.ID(row.id), type=row.type, occurred_at=at,
                   ordering_key=row.ordering_key, data=event_data.present(row.type, row.data, at))

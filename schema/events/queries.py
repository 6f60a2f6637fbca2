"""Event queries: the tenant's outbox, newest first."""

from datetime import datetime

import strawberry
from strawberry.types import Info

from resolvers import events as event_data
from schema.ids import raw_id
from schema.pagination import Connection, connection, page_args

from .types import Event


@strawberry.input
class EventFilter:
    types: list[str] | None = strawberry.field(
        default=None, description="Names in any dialect or wildcards: pass.*, Pass:Created.")
    pass_id: strawberry.ID | None = strawberry.field(
        default=None, description="Events of one pass (its ordering key).")
    since: datetime | None = None
    until: datetime | None = None


@strawberry.type
class EventQueries:
    @strawberry.field(description="Domain events, newest first (scope webhooks:read; a key "
                                  "with passes:read alone sees the pass.* events).")
    async def events(
        self,
        info: Info,
        filter: EventFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Event]:
        principal = info.context.principal
        only = None
        if not principal.has("webhooks:read"):
            if not principal.has("passes:read"):
                principal.require("webhooks:read")
            # The pass's own history is what passes:read already shows, event by event.
            only = event_data.PASS_TYPES
        f = filter or EventFilter()
        pass_id = None
        if f.pass_id:
            pass_id = raw_id(f.pass_id, "Pass", "filter.passId")
        page = await event_data.list_events(
            info.context.db, principal.tenant_id, page_args(first, after, last, before),
            types=f.types, only=only, ordering_key=pass_id, since=f.since, until=f.until)
        return connection(page, Event.from_row)

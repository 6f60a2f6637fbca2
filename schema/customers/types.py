"""Customer: a profile that owns passes."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from resolvers.timeutil import from_db
from schema.pagination import Connection
from schema.scalars import JSON

if TYPE_CHECKING:
    from schema.passes.types import Pass


@strawberry.type
class Customer(relay.Node):
    id: relay.NodeID[str]
    external_id: str | None
    email: str | None
    name: str | None
    phone: str | None
    attributes: JSON
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> "Customer":
        return cls(
            id=row.id,
            external_id=row.external_id,
            email=row.email,
            name=row.name,
            phone=row.phone,
            attributes=row.attributes,
            created_at=from_db(row.created_at),
            updated_at=from_db(row.updated_at),
        )

    @strawberry.field(description="This customer's passes, newest first.")
    async def passes(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Annotated["Pass", strawberry.lazy("schema.passes.types")]]:
        from schema.passes.types import child_pass_connection

        return await child_pass_connection(info, "customer", self.id,
                                           (first, after, last, before))


@strawberry.type
class CustomerPayload:
    customer: Customer


@strawberry.type
class UpsertCustomerPayload:
    customer: Customer
    created: bool

"""Customer queries."""

import strawberry
from strawberry.types import Info

from resolvers import customers as customer_data
from resolvers.errors import BadInput
from schema.ids import raw_id
from schema.pagination import Connection, connection, page_args

from .types import Customer


@strawberry.type
class CustomerQueries:
    @strawberry.field(description="A customer by id, externalId or email (give one).")
    async def customer(
        self,
        info: Info,
        id: strawberry.ID | None = None,
        external_id: str | None = None,
        email: str | None = None,
    ) -> Customer | None:
        principal = info.context.require("customers:read")
        if sum(v is not None for v in (id, external_id, email)) != 1:
            raise BadInput("give exactly one of id, externalId or email", field="id")
        row = await customer_data.find_customer(
            info.context.db,
            principal.tenant_id,
            customer_id=raw_id(id, "Customer", "id") if id is not None else None,
            external_id=external_id,
            email=email,
        )
        return Customer.from_row(row)

    @strawberry.field(description="Customers, newest first.")
    async def customers(
        self,
        info: Info,
        search: str | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Customer]:
        principal = info.context.require("customers:read")
        page = await customer_data.list_customers(
            info.context.db, principal.tenant_id, page_args(first, after, last, before),
            search=search,
        )
        return connection(page, Customer.from_row)

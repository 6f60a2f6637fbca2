"""Customer mutations."""

from typing import Any

import strawberry
from strawberry.types import Info

from resolvers import customers as customer_data
from schema.idempotency import once, reload
from schema.ids import raw_id
from schema.inputs import provided

from .inputs import CustomerIdInput, UpdateCustomerInput, UpsertCustomerInput
from .types import Customer, CustomerPayload, UpsertCustomerPayload


@strawberry.type
class CustomerMutations:
    @strawberry.mutation
    async def upsert_customer(
        self, info: Info, input: UpsertCustomerInput
    ) -> UpsertCustomerPayload:
        principal = info.context.require("customers:write")

        async def run() -> tuple[UpsertCustomerPayload, dict[str, Any]]:
            row, created = await customer_data.upsert_customer(
                info.context.db, principal.tenant_id, provided(input, skip=("idempotency_key",))
            )
            return (UpsertCustomerPayload(customer=Customer.from_row(row), created=created),
                    {"ids": [row.id], "created": created})

        async def replay(saved: dict[str, Any]) -> UpsertCustomerPayload:
            rows = await reload(info, "customer", saved["ids"])
            return UpsertCustomerPayload(customer=Customer.from_row(rows[0]),
                                         created=saved["created"])

        return await once(info, "upsertCustomer", input, run, replay)

    @strawberry.mutation
    async def update_customer(self, info: Info, input: UpdateCustomerInput) -> CustomerPayload:
        principal = info.context.require("customers:write")
        row = await customer_data.update_customer(
            info.context.db,
            principal.tenant_id,
            raw_id(input.id, "Customer", "id"),
            provided(input, skip=("id",)),
        )
        return CustomerPayload(customer=Customer.from_row(row))

    @strawberry.mutation(description="Deletes the profile; its passes stay, unlinked from it.")
    async def delete_customer(self, info: Info, input: CustomerIdInput) -> CustomerPayload:
        principal = info.context.require("customers:write")
        row = await customer_data.delete_customer(
            info.context.db, principal.tenant_id, raw_id(input.id, "Customer", "id")
        )
        return CustomerPayload(customer=Customer.from_row(row))

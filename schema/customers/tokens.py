"""Customer tokens: a backend that has verified a customer trades its API key for a token
the customer's own client then uses (The Wallet Crew's ``/customer`` routes)."""

from datetime import datetime

import strawberry
from strawberry.types import Info

from resolvers import customer_tokens
from resolvers import customers as customer_data
from resolvers.errors import BadInput, Forbidden
from schema.ids import raw_id

from .types import Customer


@strawberry.input(description="The customer, by exactly one of id, externalId or email.")
class IssueCustomerTokenInput:
    id: strawberry.ID | None = None
    external_id: str | None = None
    email: str | None = None
    ttl_seconds: int = strawberry.field(
        default=customer_tokens.TTL_SECONDS,
        description=f"Lifetime, 60 s to {customer_tokens.MAX_TTL_SECONDS} s (one hour by "
                    "default).")


@strawberry.type
class CustomerToken:
    token: str = strawberry.field(description="A JWT (HS256, the tenant's own secret).")
    expires_at: datetime
    customer: Customer


@strawberry.type
class CustomerTokenMutations:
    @strawberry.mutation(description="Needs customers:write on an API key (not a customer "
                                     "token): the caller vouches for the customer.")
    async def issue_customer_token(self, info: Info, input: IssueCustomerTokenInput
                                   ) -> CustomerToken:
        principal = info.context.require("customers:write")
        if principal.customer_id is not None:
            raise Forbidden("a customer token cannot issue customer tokens")
        if not 60 <= input.ttl_seconds <= customer_tokens.MAX_TTL_SECONDS:
            raise BadInput(f"ttlSeconds must be between 60 and "
                           f"{customer_tokens.MAX_TTL_SECONDS}", field="ttlSeconds")
        if sum(v is not None for v in (input.id, input.external_id, input.email)) != 1:
            raise BadInput("give exactly one of id, externalId or email", field="id")
        row = await customer_data.find_customer(
            info.context.db, principal.tenant_id,
            customer_id=raw_id(input.id, "Customer", "id") if input.id is not None else None,
            external_id=input.external_id, email=input.email)
        token, expires = await customer_tokens.issue(
            info.context.db, info.context.app.secret_key, principal.tenant_id, row,
            input.ttl_seconds)
        return CustomerToken(token=token, expires_at=expires, customer=Customer.from_row(row))

    @strawberry.mutation(description="Needs the admin scope. Every customer token issued so "
                                     "far stops working.")
    async def rotate_customer_token_secret(self, info: Info) -> bool:
        principal = info.context.require("admin")
        await customer_tokens.rotate(info.context.db, principal.tenant_id)
        return True

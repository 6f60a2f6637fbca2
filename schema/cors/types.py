"""CORS: the origins a tenant's browser clients may call the API from."""

import strawberry
from strawberry.types import Info

from resolvers import cors as cors_data


@strawberry.input(description="Origins browsers may call this tenant's API from.")
class UpdateTenantCorsInput:
    origins: list[str] | None = strawberry.field(description=(
        "Each scheme://host[:port] exactly as a browser sends it in Origin, or * for any "
        "origin (then never with credentials); [] closes CORS; null returns to each "
        "dialect's default (PassEngine open to *, the others closed)."))


@strawberry.type
class TenantCors:
    origins: list[str] | None = strawberry.field(description=(
        "The tenant's origins; null: each dialect's default."))


@strawberry.type
class CorsQueries:
    @strawberry.field(description="Needs the admin scope.")
    async def tenant_cors(self, info: Info) -> TenantCors:
        principal = info.context.require("admin")
        return TenantCors(origins=await cors_data.get_origins(info.context.db,
                                                             principal.tenant_id))


@strawberry.type
class CorsMutations:
    @strawberry.mutation(description="Needs the admin scope. Takes effect within a second.")
    async def update_tenant_cors(self, info: Info, input: UpdateTenantCorsInput) -> TenantCors:
        principal = info.context.require("admin")
        stored = await cors_data.set_origins(info.context.db, principal.tenant_id, input.origins)
        return TenantCors(origins=stored)

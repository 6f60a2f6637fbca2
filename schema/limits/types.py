"""Rate limits: effective budgets and the admin mutation that overrides them."""

import strawberry
from strawberry import UNSET
from strawberry.types import Info

from resolvers import limits as limit_data


@strawberry.type(description="Requests a minute per endpoint class, per key and per client IP.")
class RateLimits:
    read: int
    write: int
    validate: int
    admin: int


@strawberry.input(description="Per-minute budgets to override; null returns a class to the "
                              "default (the plan's, or the tenant's for a key).")
class UpdateTenantLimitsInput:
    key_id: str | None = strawberry.field(
        default=None, description="Override one key (key_…) instead of the whole tenant.")
    read: int | None = UNSET
    write: int | None = UNSET
    validate: int | None = UNSET
    admin: int | None = UNSET


@strawberry.type
class UpdateTenantLimitsPayload:
    effective: RateLimits
    overridden: list[str] = strawberry.field(description="Classes the change target overrides.")


@strawberry.type
class LimitMutations:
    @strawberry.mutation(description="Needs the admin scope. Takes effect within a second.")
    async def update_tenant_limits(
        self, info: Info, input: UpdateTenantLimitsInput
    ) -> UpdateTenantLimitsPayload:
        principal = info.context.require("admin")
        changes = {k: getattr(input, k) for k in ("read", "write", "validate", "admin")
                   if getattr(input, k) is not UNSET}
        result = await limit_data.update_limits(
            info.context.db, principal.tenant_id, changes, key_id=input.key_id
        )
        return UpdateTenantLimitsPayload(effective=RateLimits(**result["effective"]),
                                         overridden=sorted(result["overrides"]))

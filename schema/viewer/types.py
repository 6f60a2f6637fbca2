"""Viewer: who the calling key is."""

from datetime import datetime

import strawberry
from strawberry.types import Info

from resolvers.passes import count_kept_passes
from resolvers.plans import PLANS
from resolvers.timeutil import utcnow
from resolvers.usage import get_usage, month_end, month_of
from schema.limits.types import RateLimits


@strawberry.type
class Tenant:
    id: str
    name: str
    plan: str


@strawberry.type
class ApiKeyInfo:
    id: str
    name: str
    prefix: str
    dialect: str


@strawberry.type(description="This month's usage (UTC), stored every second.")
class Usage:
    month: str
    api_calls: int
    validations: int
    monthly_api_calls_quota: int | None
    monthly_validations_quota: int | None
    resets_at: datetime


@strawberry.type
class PlanInfo:
    name: str
    api_access: bool
    max_passes: int | None = strawberry.field(
        description="Passes that are not deleted the tenant may keep; null: no limit.")
    tenant_id: strawberry.Private[str]

    @strawberry.field(description="Passes that are not deleted, counted now.")
    async def passes_kept(self, info: Info) -> int:
        return await count_kept_passes(info.context.db, self.tenant_id)

    @strawberry.field
    async def usage(self, info: Info) -> Usage:
        plan = PLANS[self.name]
        found = await get_usage(info.context.db, self.tenant_id, month_of(utcnow()))
        return Usage(
            month=found["month"],
            api_calls=found["api_calls"],
            validations=found["validations"],
            monthly_api_calls_quota=plan.monthly_api_calls,
            monthly_validations_quota=plan.monthly_validations,
            resets_at=month_end(found["month"]),
        )


@strawberry.type
class Viewer:
    tenant: Tenant
    plan: str
    key: ApiKeyInfo
    scopes: list[str]
    limits: RateLimits = strawberry.field(description="This key's effective rate limits.")
    plan_details: PlanInfo


@strawberry.type
class ViewerQueries:
    @strawberry.field(description="The tenant and key this request acts as.")
    def viewer(self, info: Info) -> Viewer:
        p = info.context.principal
        plan = PLANS[p.plan]
        return Viewer(
            tenant=Tenant(id=p.tenant_id, name=p.tenant_name, plan=p.plan),
            plan=p.plan,
            key=ApiKeyInfo(id=p.key_id, name=p.key_name, prefix=p.key_prefix, dialect=p.dialect),
            scopes=sorted(p.scopes),
            limits=RateLimits(**p.limits),
            plan_details=PlanInfo(name=plan.name, api_access=plan.api_access,
                                  max_passes=plan.max_passes, tenant_id=p.tenant_id),
        )

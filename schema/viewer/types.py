"""Viewer: who the calling key is."""

import strawberry
from strawberry.types import Info

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


@strawberry.type
class Viewer:
    tenant: Tenant
    plan: str
    key: ApiKeyInfo
    scopes: list[str]
    limits: RateLimits = strawberry.field(description="This key's effective rate limits.")


@strawberry.type
class ViewerQueries:
    @strawberry.field(description="The tenant and key this request acts as.")
    def viewer(self, info: Info) -> Viewer:
        p = info.context.principal
        return Viewer(
            tenant=Tenant(id=p.tenant_id, name=p.tenant_name, plan=p.plan),
            plan=p.plan,
            key=ApiKeyInfo(id=p.key_id, name=p.key_name, prefix=p.key_prefix, dialect=p.dialect),
            scopes=sorted(p.scopes),
            limits=RateLimits(**p.limits),
        )

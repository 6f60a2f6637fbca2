"""Pass queries."""

import strawberry
from strawberry.types import Info

from resolvers import passes as pass_data
from resolvers.errors import BadInput
from resolvers.pass_order import Order
from schema.ids import raw_id
from schema.pagination import Connection

from .inputs import OrderDirection, PassFilter, PassOrder
from .types import Pass, pass_connection


@strawberry.type
class PassQueries:
    @strawberry.field(name="pass", description="A pass by id, by code or by its former "
                      "vendor's id.")
    async def pass_(
        self, info: Info, id: strawberry.ID | None = None, code: str | None = None,
        external_id: str | None = None,
    ) -> Pass | None:
        principal = info.context.require("passes:read")
        if sum(v is not None for v in (id, code, external_id)) != 1:
            raise BadInput("give exactly one of id, code or externalId", field="id")
        row = await pass_data.get_pass(
            info.context.db,
            principal.tenant_id,
            pass_id=raw_id(id, "Pass", "id") if id is not None else None,
            code=code,
            external_id=external_id,
        )
        return Pass.from_row(row)

    @strawberry.field(description="Passes, newest first. Deleted ones only with status DELETED.")
    async def passes(
        self,
        info: Info,
        filter: PassFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order_by: list[PassOrder] | None = None,
    ) -> Connection[Pass]:
        f = filter or PassFilter()
        return await pass_connection(
            info, first, after, last, before,
            status=f.status.value if f.status else None,
            template_id=raw_id(f.template_id, "Template", "filter.templateId")
            if f.template_id else None,
            customer_id=raw_id(f.customer_id, "Customer", "filter.customerId")
            if f.customer_id else None,
            metadata=f.metadata,
            search=f.search,
            include_deleted=f.include_deleted,
            attributes=f.attributes,
            template_kinds=[k.value for k in f.template_kinds]
            if f.template_kinds is not None else None,
            installed=f.installed,
            metadata_text=[(m.path, m.contains) for m in f.metadata_text]
            if f.metadata_text else None,
            order=[Order(o.field.value, o.direction is OrderDirection.DESC, tuple(o.path or ()))
                   for o in order_by] if order_by else None,
        )

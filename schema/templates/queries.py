"""Template queries."""

import strawberry
from strawberry.types import Info

from resolvers import templates as template_data
from schema.ids import raw_id
from schema.pagination import Connection, connection, page_args

from .types import Template


@strawberry.type
class TemplateQueries:
    @strawberry.field
    async def template(self, info: Info, id: strawberry.ID) -> Template | None:
        principal = info.context.require("templates:read")
        row = await template_data.get_template(
            info.context.db, principal.tenant_id, raw_id(id, "Template", "id")
        )
        return Template.from_row(row)

    @strawberry.field(description="Templates, newest first; `name` keeps those with exactly "
                                  "that name (how REST dialects name a pass type).")
    async def templates(
        self,
        info: Info,
        name: str | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Template]:
        principal = info.context.require("templates:read")
        page = await template_data.list_templates(
            info.context.db, principal.tenant_id, page_args(first, after, last, before),
            name=name,
        )
        return connection(page, Template.from_row)

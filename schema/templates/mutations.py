"""Template mutations."""

from typing import Any

import strawberry
from strawberry.types import Info

from resolvers import templates as template_data
from schema.idempotency import once, reload
from schema.ids import raw_id
from schema.inputs import provided

from ..wallet import changes as wallet_changes
from .inputs import CreateTemplateInput, TemplateIdInput, UpdateTemplateInput
from .types import Template, TemplatePayload


@strawberry.type
class TemplateMutations:
    @strawberry.mutation
    async def create_template(self, info: Info, input: CreateTemplateInput) -> TemplatePayload:
        principal = info.context.require("templates:write")

        async def run() -> tuple[TemplatePayload, dict[str, Any]]:
            row = await template_data.create_template(
                info.context.db, principal.tenant_id, provided(input, skip=("idempotency_key",))
            )
            return TemplatePayload(template=Template.from_row(row)), {"ids": [row.id]}

        async def replay(saved: dict[str, Any]) -> TemplatePayload:
            rows = await reload(info, "template", saved["ids"])
            return TemplatePayload(template=Template.from_row(rows[0]))

        return await once(info, "createTemplate", input, run, replay)

    @strawberry.mutation
    async def update_template(self, info: Info, input: UpdateTemplateInput) -> TemplatePayload:
        principal = info.context.require("templates:write")
        row = await template_data.update_template(
            info.context.db,
            principal.tenant_id,
            raw_id(input.id, "Template", "id"),
            provided(input, skip=("id",)),
        )
        wallet_changes.template_changed(info, row)
        return TemplatePayload(template=Template.from_row(row))

    @strawberry.mutation(description="Refused with CONFLICT while any pass uses the template.")
    async def delete_template(self, info: Info, input: TemplateIdInput) -> TemplatePayload:
        principal = info.context.require("templates:write")
        row = await template_data.delete_template(
            info.context.db, principal.tenant_id, raw_id(input.id, "Template", "id")
        )
        return TemplatePayload(template=Template.from_row(row))

    @strawberry.mutation(description="Mark the template published now (AccessGrid's publish); "
                                     "passgate has no review step, so it is ready at once.")
    async def publish_template(self, info: Info, input: TemplateIdInput) -> TemplatePayload:
        principal = info.context.require("templates:write")
        row = await template_data.publish_template(
            info.context.db, principal.tenant_id, raw_id(input.id, "Template", "id")
        )
        return TemplatePayload(template=Template.from_row(row))

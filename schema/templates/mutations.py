"""Template mutations."""

from typing import Any

import strawberry
from strawberry.types import Info

from resolvers import templates as template_data
from resolvers.wallet import template_images
from schema.idempotency import once, reload
from schema.ids import raw_id
from schema.inputs import provided

from ..wallet import changes as wallet_changes
from .inputs import (
    CreateTemplateInput,
    DeleteTemplateImageInput,
    TemplateIdInput,
    UpdateTemplateInput,
    UploadTemplateImageInput,
)
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

    @strawberry.mutation(description="Store (or replace) one wallet image of the template; "
                                     "its passes get a new version and installed ones are "
                                     "updated. BAD_USER_INPUT names what is wrong with the "
                                     "PNG; CONFLICT when the set has no icon yet.")
    async def upload_template_image(self, info: Info, input: UploadTemplateImageInput
                                    ) -> TemplatePayload:
        principal = info.context.require("templates:write")
        row = await template_images.store(
            info.context.db, principal.tenant_id, raw_id(input.template_id, "Template",
                                                         "templateId"),
            input.image.value, input.scale, template_images.decode(input.data))
        wallet_changes.template_changed(info, row)
        return TemplatePayload(template=Template.from_row(row))

    @strawberry.mutation(description="Remove one wallet image; the icon goes last (CONFLICT "
                                     "while other images remain).")
    async def delete_template_image(self, info: Info, input: DeleteTemplateImageInput
                                    ) -> TemplatePayload:
        principal = info.context.require("templates:write")
        row = await template_images.remove(
            info.context.db, principal.tenant_id, raw_id(input.template_id, "Template",
                                                         "templateId"),
            input.image.value, input.scale)
        wallet_changes.template_changed(info, row)
        return TemplatePayload(template=Template.from_row(row))

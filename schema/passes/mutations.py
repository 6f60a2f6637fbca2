"""Pass mutations, validation included."""

import strawberry
from strawberry import relay
from strawberry.types import Info

from resolvers import passes as pass_data
from resolvers.errors import DomainError
from schema.ids import raw_id
from schema.inputs import provided

from ..scans.types import Scan
from ..wallet import changes as wallet_changes
from .inputs import (
    CreatePassesInput,
    CreatePassInput,
    PassIdInput,
    UpdatePassInput,
    ValidatePassInput,
)
from .types import (
    Pass,
    PassesPayload,
    PassPayload,
    SkippedPass,
    ValidatePassPayload,
    ValidationReason,
)

REFS = {"template_id": "Template", "customer_id": "Customer"}


async def _change_state(info: Info, input: PassIdInput, action: str) -> PassPayload:
    principal = info.context.require("passes:write")
    row = await pass_data.change_state(
        info.context.db, principal.tenant_id, raw_id(input.id, "Pass", "id"), action
    )
    wallet_changes.pass_changed(info, row)
    return PassPayload(pass_=Pass.from_row(row))


@strawberry.type
class PassMutations:
    @strawberry.mutation
    async def create_pass(self, info: Info, input: CreatePassInput) -> PassPayload:
        principal = info.context.require("passes:write")
        rows = await pass_data.create_passes(
            info.context.db, principal.tenant_id, [provided(input, ids=REFS)],
            plan=principal.plan,
        )
        return PassPayload(pass_=Pass.from_row(rows[0]))

    @strawberry.mutation(description="Up to 1,000 passes in one transaction: all or none.")
    async def create_passes(self, info: Info, input: CreatePassesInput) -> PassesPayload:
        principal = info.context.require("passes:write")
        items = []
        for i, item in enumerate(input.passes):
            try:
                items.append(provided(item, ids=REFS))
            except DomainError as e:
                raise pass_data.itemised(e, i) from None
        rows, skipped = await pass_data.import_passes(
            info.context.db, principal.tenant_id, items, plan=principal.plan,
            skip_existing=input.skip_existing,
        )
        return PassesPayload(
            passes=[Pass.from_row(r) for r in rows], count=len(rows),
            skipped=[SkippedPass(index=s.index, code=s.code, external_id=s.external_id,
                                 pass_id=strawberry.ID(relay.to_base64(Pass, s.pass_id)))
                     for s in skipped],
        )

    @strawberry.mutation
    async def update_pass(self, info: Info, input: UpdatePassInput) -> PassPayload:
        principal = info.context.require("passes:write")
        row = await pass_data.update_pass(
            info.context.db,
            principal.tenant_id,
            raw_id(input.id, "Pass", "id"),
            provided(input, ids=REFS, skip=("id",)),
        )
        wallet_changes.pass_changed(info, row)
        return PassPayload(pass_=Pass.from_row(row))

    @strawberry.mutation
    async def suspend_pass(self, info: Info, input: PassIdInput) -> PassPayload:
        return await _change_state(info, input, "suspend")

    @strawberry.mutation
    async def resume_pass(self, info: Info, input: PassIdInput) -> PassPayload:
        return await _change_state(info, input, "resume")

    @strawberry.mutation
    async def unlink_pass(self, info: Info, input: PassIdInput) -> PassPayload:
        return await _change_state(info, input, "unlink")

    @strawberry.mutation(description="Soft delete: the code can never validate again.")
    async def delete_pass(self, info: Info, input: PassIdInput) -> PassPayload:
        return await _change_state(info, input, "delete")

    @strawberry.mutation(description="Check a code at a gate and, unless dryRun, use it once.")
    async def validate_pass(self, info: Info, input: ValidatePassInput) -> ValidatePassPayload:
        principal = info.context.require("scans:write")
        result = await pass_data.validate_pass(
            info.context.db,
            principal.tenant_id,
            input.code,
            key_id=principal.key_id,
            scan_id=input.scan_id,
            device_id=input.device_id,
            location=input.location,
            dry_run=input.dry_run,
        )
        return ValidatePassPayload(
            valid=result.valid,
            reason=ValidationReason(result.reason) if result.reason else None,
            remaining_usages=result.remaining_usages,
            pass_=Pass.from_row(result.pass_row) if result.pass_row is not None else None,
            scan=Scan.from_row(result.scan_row) if result.scan_row is not None else None,
        )

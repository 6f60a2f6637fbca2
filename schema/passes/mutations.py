"""Pass mutations, validation included."""

from typing import Any

import strawberry
from strawberry import UNSET, relay
from strawberry.types import Info

from resolvers import passes as pass_data
from resolvers.errors import BadInput, DomainError
from schema.idempotency import once, reload
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


def _passes(rows: list[Any], skipped: list[dict[str, Any]]) -> PassesPayload:
    return PassesPayload(
        passes=[Pass.from_row(r) for r in rows], count=len(rows),
        skipped=[SkippedPass(index=s["index"], code=s["code"], external_id=s["external_id"],
                             pass_id=strawberry.ID(relay.to_base64(Pass, s["pass_id"])))
                 for s in skipped],
    )


@strawberry.type
class PassMutations:
    @strawberry.mutation
    async def create_pass(self, info: Info, input: CreatePassInput) -> PassPayload:
        principal = info.context.require("passes:write")

        async def run() -> tuple[PassPayload, dict[str, Any]]:
            rows = await pass_data.create_passes(
                info.context.db, principal.tenant_id,
                [provided(input, ids=REFS, skip=("idempotency_key",))], plan=principal.plan,
            )
            return PassPayload(pass_=Pass.from_row(rows[0])), {"ids": [rows[0].id]}

        async def replay(saved: dict[str, Any]) -> PassPayload:
            return PassPayload(pass_=Pass.from_row((await reload(info, "pass", saved["ids"]))[0]))

        return await once(info, "createPass", input, run, replay)

    @strawberry.mutation(description="Up to 1,000 passes in one transaction: all or none.")
    async def create_passes(self, info: Info, input: CreatePassesInput) -> PassesPayload:
        principal = info.context.require("passes:write")
        items = []
        for i, item in enumerate(input.passes):
            try:
                if item.idempotency_key is not UNSET:
                    raise BadInput("give idempotencyKey on createPasses' input, not on its "
                                   "items", field="idempotencyKey")
                items.append(provided(item, ids=REFS))
            except DomainError as e:
                raise pass_data.itemised(e, i) from None

        async def run() -> tuple[PassesPayload, dict[str, Any]]:
            rows, skipped = await pass_data.import_passes(
                info.context.db, principal.tenant_id, items, plan=principal.plan,
                skip_existing=input.skip_existing,
            )
            kept = [{"index": s.index, "code": s.code, "external_id": s.external_id,
                     "pass_id": s.pass_id} for s in skipped]
            return _passes(rows, kept), {"ids": [r.id for r in rows], "skipped": kept}

        async def replay(saved: dict[str, Any]) -> PassesPayload:
            return _passes(await reload(info, "pass", saved["ids"]), saved["skipped"])

        return await once(info, "createPasses", input, run, replay)

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

"""QR code mutations."""

from typing import Any

import strawberry
from strawberry.types import Info

from resolvers import qr as qr_data
from schema.idempotency import once, reload
from schema.ids import raw_id
from schema.inputs import provided

from .inputs import CreateQrCodeInput, QrCodeIdInput, UpdateQrCodeInput
from .types import QrCode, QrCodePayload, require_qr


@strawberry.type
class QrMutations:
    @strawberry.mutation
    async def create_qr_code(self, info: Info, input: CreateQrCodeInput) -> QrCodePayload:
        principal = require_qr(info, "qr:write")

        async def run() -> tuple[QrCodePayload, dict[str, Any]]:
            row = await qr_data.create_qr(info.context.db, principal.tenant_id,
                                          provided(input, skip=("idempotency_key",)))
            return QrCodePayload(qr_code=QrCode.from_row(row)), {"ids": [row.id]}

        async def replay(saved: dict[str, Any]) -> QrCodePayload:
            return QrCodePayload(qr_code=QrCode.from_row((await reload(info, "qr",
                                                                       saved["ids"]))[0]))

        return await once(info, "createQrCode", input, run, replay)

    @strawberry.mutation(description="Changes only the fields given; the slug stays.")
    async def update_qr_code(self, info: Info, input: UpdateQrCodeInput) -> QrCodePayload:
        principal = require_qr(info, "qr:write")
        row = await qr_data.update_qr(
            info.context.db,
            principal.tenant_id,
            raw_id(input.id, "QrCode", "id"),
            provided(input, skip=("id",)),
        )
        return QrCodePayload(qr_code=QrCode.from_row(row))

    @strawberry.mutation(description="Deletes the code and its scans; /q/{slug} then answers "
                                     "404. Returns the code as it was.")
    async def delete_qr_code(self, info: Info, input: QrCodeIdInput) -> QrCodePayload:
        principal = require_qr(info, "qr:write")
        row = await qr_data.delete_qr(
            info.context.db, principal.tenant_id, raw_id(input.id, "QrCode", "id")
        )
        return QrCodePayload(qr_code=QrCode.from_row(row))

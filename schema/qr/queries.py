"""QR code queries."""

import strawberry
from strawberry.types import Info

from resolvers import qr as qr_data
from schema.ids import raw_id
from schema.pagination import Connection, connection, page_args

from .types import QrCode, QrStatus, require_qr


@strawberry.type
class QrQueries:
    @strawberry.field
    async def qr_code(self, info: Info, id: strawberry.ID) -> QrCode | None:
        principal = require_qr(info, "qr:read")
        row = await qr_data.get_qr(info.context.db, principal.tenant_id,
                                   raw_id(id, "QrCode", "id"))
        return QrCode.from_row(row)

    @strawberry.field(description="Dynamic QR codes, newest first.")
    async def qr_codes(
        self,
        info: Info,
        status: QrStatus | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[QrCode]:
        principal = require_qr(info, "qr:read")
        page = await qr_data.list_qr(
            info.context.db, principal.tenant_id, page_args(first, after, last, before),
            status=status.value if status else None,
        )
        return connection(page, QrCode.from_row)

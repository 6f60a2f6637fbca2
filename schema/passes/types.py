"""Pass and the payloads of its mutations."""

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from resolvers import passes as pass_data
from resolvers import scans as scan_data
from resolvers.ids import pass_token
from resolvers.passes import derive_status, remaining_usages
from resolvers.timeutil import from_db, utcnow
from schema.pagination import Connection, connection, page_args
from schema.scalars import JSON

if TYPE_CHECKING:
    from schema.customers.types import Customer
    from schema.scans.types import Scan
    from schema.templates.types import Template
    from schema.wallet.types import PassWallet


@strawberry.enum
class PassType(Enum):
    SINGLE = "single"
    MULTI = "multi"


@strawberry.enum
class PassState(Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    UNLINKED = "unlinked"
    DELETED = "deleted"


@strawberry.enum(description="The state, refined by validity window and usage.")
class PassStatus(Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    UNLINKED = "unlinked"
    DELETED = "deleted"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    USED_UP = "used_up"


@strawberry.type
class CustomField:
    key: str
    value: str
    is_public: bool


@strawberry.type
class Pass(relay.Node):
    id: relay.NodeID[str]
    code: str
    type: PassType
    name: str | None
    holder_name: str | None
    holder_email: str | None
    holder_phone: str | None
    status: PassStatus
    state: PassState
    max_usages: int | None
    usages_count: int
    remaining_usages: int | None
    valid_from: datetime | None
    valid_until: datetime | None
    metadata: JSON
    attributes: JSON
    created_at: datetime
    updated_at: datetime
    last_scanned_at: datetime | None
    row: strawberry.Private[Any]

    @classmethod
    def from_row(cls, row: Any) -> "Pass":
        return cls(
            id=row.id,
            code=row.code,
            type=PassType(row.type),
            name=row.name,
            holder_name=row.holder_name,
            holder_email=row.holder_email,
            holder_phone=row.holder_phone,
            status=PassStatus(derive_status(row, utcnow())),
            state=PassState(row.state),
            max_usages=row.max_usages,
            usages_count=row.usages_count,
            remaining_usages=remaining_usages(row),
            valid_from=from_db(row.valid_from),
            valid_until=from_db(row.valid_until),
            metadata=row.meta,
            attributes=row.attributes,
            created_at=from_db(row.created_at),
            updated_at=from_db(row.updated_at),
            last_scanned_at=from_db(row.last_scanned_at),
            row=row,
        )

    @strawberry.field(description="The template's raw id (tpl_…); `template` resolves it.")
    def template_id(self) -> str | None:
        return self.row.template_id

    @strawberry.field(description="The customer's raw id (cus_…); `customer` resolves it.")
    def customer_id(self) -> str | None:
        return self.row.customer_id

    @strawberry.field(description="The pass's id at its former vendor (imports), if any; "
                      "REST routes of that vendor's dialect take it wherever they take an id.")
    def external_id(self) -> str | None:
        return self.row.external_id

    @strawberry.field(description="Internal note; null for keys without passes:read.")
    def note(self, info: Info) -> str | None:
        return self.row.note if info.context.principal.has("passes:read") else None

    @strawberry.field(description="Private fields only for keys with passes:read.")
    def custom_fields(self, info: Info) -> list[CustomField]:
        full = info.context.principal.has("passes:read")
        return [
            CustomField(key=f["key"], value=f["value"], is_public=f["isPublic"])
            for f in self.row.custom_fields
            if full or f["isPublic"]
        ]

    @strawberry.field(description="The holder's page: /p/{code}?token={HMAC(code)}.")
    def public_url(self, info: Info) -> str:
        app = info.context.app
        token = pass_token(app.secret_key, self.row)
        return f"{app.public_base_url}/p/{self.code}?token={token}"

    @strawberry.field
    async def template(
        self, info: Info
    ) -> Annotated["Template", strawberry.lazy("schema.templates.types")] | None:
        from schema.templates.types import Template

        if self.row.template_id is None:
            return None
        row = await info.context.loaders["template"].load(self.row.template_id)
        return Template.from_row(row) if row is not None else None

    @strawberry.field
    async def customer(
        self, info: Info
    ) -> Annotated["Customer", strawberry.lazy("schema.customers.types")] | None:
        from schema.customers.types import Customer

        if self.row.customer_id is None:
            return None
        row = await info.context.loaders["customer"].load(self.row.customer_id)
        return Customer.from_row(row) if row is not None else None

    @strawberry.field(description="Validation attempts for this pass, newest first.")
    async def scans(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Annotated["Scan", strawberry.lazy("schema.scans.types")]]:
        from schema.scans.types import Scan

        info.context.require("scans:read")
        loader = info.context.loaders.pages("pass.scans", scan_data.list_scans_of_passes)
        page = await loader.load((self.id, page_args(first, after, last, before)))
        return connection(page, Scan.from_row)

    @strawberry.field(description="Apple and Google Wallet links and the devices that "
                                  "installed the pass.")
    def wallet(self) -> Annotated["PassWallet", strawberry.lazy("schema.wallet.types")]:
        from schema.wallet.types import PassWallet

        return PassWallet(row=self.row)


async def pass_connection(
    info: Info,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    **filters: Any,
) -> Connection[Pass]:
    """A page of this tenant's passes; shared by ``passes`` and the types that own passes."""
    principal = info.context.require("passes:read")
    page = await pass_data.list_passes(
        info.context.db, principal.tenant_id, page_args(first, after, last, before), **filters
    )
    return connection(page, Pass.from_row)


async def child_pass_connection(
    info: Info,
    parent: str,
    parent_id: str,
    args: tuple[int | None, str | None, int | None, str | None],
    status: str | None = None,
) -> Connection[Pass]:
    """The passes of one template or customer in a list of them: every parent resolved
    together shares one statement (see ``Loaders.pages``)."""
    info.context.require("passes:read")

    async def fetch(db: Any, tenant_id: str, parents: list[Any], page: Any) -> Any:
        return await pass_data.list_passes_of(db, tenant_id, parent, parents, page,
                                              status=status)

    loader = info.context.loaders.pages(f"{parent}.passes:{status}", fetch)
    return connection(await loader.load((parent_id, page_args(*args))), Pass.from_row)


@strawberry.type
class PassPayload:
    pass_: Pass = strawberry.field(name="pass")


@strawberry.type(description="A pass left out by skipExisting: the tenant already has it.")
class SkippedPass:
    index: int = strawberry.field(description="Its position in the request's passes.")
    code: str | None
    external_id: str | None
    pass_id: strawberry.ID = strawberry.field(
        description="The pass that already holds the code or id (a global id, as Pass.id)."
    )


@strawberry.type
class PassesPayload:
    passes: list[Pass]
    count: int
    skipped: list[SkippedPass] = strawberry.field(default_factory=list)


@strawberry.enum
class ValidationReason(Enum):
    NOT_FOUND = "not_found"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    UNLINKED = "unlinked"
    DELETED = "deleted"
    USED_UP = "used_up"


@strawberry.type(description="The answer to a scan at a gate. A refusal is not an error.")
class ValidatePassPayload:
    valid: bool
    reason: ValidationReason | None
    remaining_usages: int | None
    pass_: Pass | None = strawberry.field(name="pass")
    scan: Annotated["Scan", strawberry.lazy("schema.scans.types")] | None


async def pass_by_id(info: Info, pass_id: str | None) -> Pass | None:
    """The pass with this id through the request's loader (None for none): how a scan, an
    event or an activity entry shows its pass."""
    if pass_id is None:
        return None
    row = await info.context.loaders["pass"].load(pass_id)
    return Pass.from_row(row) if row is not None else None

"""Inputs of the pass mutations and the passes filter."""

from datetime import datetime
from enum import Enum

import strawberry
from strawberry import UNSET

from schema.idempotency import key_field
from schema.scalars import JSON

from ..templates.types import TemplateKind
from .types import PassState, PassStatus, PassType

MERGE_PATCH = ("A JSON merge patch (RFC 7396) applied to the stored object in the update's "
               "own transaction: keys given replace, null removes, objects merge. Concurrent "
               "patches of different keys all survive.")


@strawberry.input
class CustomFieldInput:
    key: str
    value: str = ""
    is_public: bool = False


@strawberry.input
class CreatePassInput:
    type: PassType | None = strawberry.field(
        default=UNSET,
        description="Defaults to the template's type, else MULTI when maxUsages is not 1.",
    )
    template_id: strawberry.ID | None = UNSET
    customer_id: strawberry.ID | None = UNSET
    name: str | None = UNSET
    note: str | None = UNSET
    holder_name: str | None = UNSET
    holder_email: str | None = UNSET
    holder_phone: str | None = UNSET
    max_usages: int | None = strawberry.field(default=UNSET, description="null = unlimited")
    valid_from: datetime | None = UNSET
    valid_until: datetime | None = UNSET
    custom_fields: list[CustomFieldInput] | None = UNSET
    metadata: JSON | None = UNSET
    attributes: JSON | None = UNSET
    code: str | None = strawberry.field(
        default=UNSET,
        description="An existing code (a printed ticket, an import): unique in the tenant, "
        "1 to 64 letters, digits or . _ ~ - (stored upper-case). Omitted: passgate mints one.",
    )
    external_id: str | None = strawberry.field(
        default=UNSET,
        description="The pass's id at its former vendor; unique in the tenant. That vendor's "
        "REST dialect takes it wherever it takes a pass id.",
    )
    usages_count: int | None = strawberry.field(
        default=UNSET, description="Uses already made (imports); default 0."
    )
    state: PassState | None = strawberry.field(
        default=UNSET, description="Life-cycle state to start in (imports); default ACTIVE."
    )
    idempotency_key: str | None = key_field()


@strawberry.input
class CreatePassesInput:
    passes: list[CreatePassInput]
    skip_existing: bool = strawberry.field(
        default=False,
        description="Skip (and list in `skipped`) the passes whose code or externalId the "
        "tenant already has, instead of refusing the request: an import can be run again.",
    )
    idempotency_key: str | None = key_field()


@strawberry.input
class UpdatePassInput:
    id: strawberry.ID
    type: PassType | None = UNSET
    template_id: strawberry.ID | None = UNSET
    customer_id: strawberry.ID | None = UNSET
    name: str | None = UNSET
    note: str | None = UNSET
    holder_name: str | None = UNSET
    holder_email: str | None = UNSET
    holder_phone: str | None = UNSET
    max_usages: int | None = UNSET
    valid_from: datetime | None = UNSET
    valid_until: datetime | None = UNSET
    custom_fields: list[CustomFieldInput] | None = UNSET
    metadata: JSON | None = UNSET
    attributes: JSON | None = UNSET
    metadata_patch: JSON | None = strawberry.field(default=UNSET, description=MERGE_PATCH)
    attributes_patch: JSON | None = strawberry.field(default=UNSET, description=MERGE_PATCH)


@strawberry.input
class PassIdInput:
    id: strawberry.ID


@strawberry.input
class ValidatePassInput:
    code: str
    scan_id: str | None = strawberry.field(
        default=None, description="Client idempotency id: a repeat replays the first answer."
    )
    device_id: str | None = None
    location: str | None = None
    dry_run: bool = strawberry.field(
        default=False, description="Check only: consume nothing, record nothing."
    )


@strawberry.input(description="A text value inside a pass's metadata that holds some text.")
class MetadataTextFilter:
    path: list[str] = strawberry.field(
        description='Keys from the top of metadata, e.g. ["identifiers", "memberId"].')
    contains: str = strawberry.field(description="Text the value holds (any case).")


@strawberry.input
class PassFilter:
    status: PassStatus | None = None
    template_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None
    metadata: JSON | None = strawberry.field(
        default=None, description="Passes whose metadata contains this object."
    )
    search: str | None = strawberry.field(
        default=None, description="Matches name, holder name or email, or the exact code."
    )
    include_deleted: bool = strawberry.field(
        default=False, description="List deleted passes too (an export of everything)."
    )
    attributes: JSON | None = strawberry.field(
        default=None, description="Passes whose attributes contain this object."
    )
    template_kinds: list[TemplateKind] | None = strawberry.field(
        default=None, description="Only passes on templates of these kinds."
    )
    metadata_text: list[MetadataTextFilter] | None = strawberry.field(
        default=None, description="Passes whose metadata holds, at each path, a text value "
                                  "containing the given text (all must match).")
    installed: bool | None = strawberry.field(
        default=None, description="true: passes installed in a wallet (a device registered "
                                  "for updates); false: passes that are not."
    )


@strawberry.enum(description="What a pass list can be sorted by.")
class PassOrderField(Enum):
    ID = "id"
    VENDOR_ID = strawberry.enum_value("vendor_id", description="externalId when the pass "
                                      "has one (a moved pass), else id")
    TEMPLATE_NAME = "template_name"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    APPLE_INSTALLED_AT = "apple_installed_at"
    GOOGLE_INSTALLED_AT = "google_installed_at"
    METADATA = "metadata"


@strawberry.enum
class OrderDirection(Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.input(description="One sort key. Missing values sort last either way; the pass "
                              "id (newest first) breaks ties. A sorted list pages with first "
                              "and after.")
class PassOrder:
    field: PassOrderField
    direction: OrderDirection = OrderDirection.ASC
    path: list[str] | None = strawberry.field(
        default=None, description="METADATA: the keys of a value inside metadata, compared "
                                  "as text.")

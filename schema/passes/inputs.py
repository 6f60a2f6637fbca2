"""Inputs of the pass mutations and the passes filter."""

from datetime import datetime

import strawberry
from strawberry import UNSET

from schema.scalars import JSON

from .types import PassStatus, PassType

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


@strawberry.input
class CreatePassesInput:
    passes: list[CreatePassInput]


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

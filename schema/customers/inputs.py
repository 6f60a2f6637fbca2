"""Inputs of the customer mutations."""

import strawberry
from strawberry import UNSET

from schema.idempotency import key_field
from schema.scalars import JSON


@strawberry.input(description="Matched by externalId when given, else by email.")
class UpsertCustomerInput:
    external_id: str | None = UNSET
    email: str | None = UNSET
    name: str | None = UNSET
    phone: str | None = UNSET
    attributes: JSON | None = UNSET
    idempotency_key: str | None = key_field()


@strawberry.input
class UpdateCustomerInput:
    id: strawberry.ID
    external_id: str | None = UNSET
    email: str | None = UNSET
    name: str | None = UNSET
    phone: str | None = UNSET
    attributes: JSON | None = UNSET


@strawberry.input
class CustomerIdInput:
    id: strawberry.ID

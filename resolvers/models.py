"""SQLModel tables. Alembic migrations are generated from this metadata.

Queries use the tables through SQLAlchemy Core (``Pass.__table__``) so the hot path
pays for no ORM identity map; the classes are the single declaration of the schema.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

# JSONB on PostgreSQL (containment filters use its GIN-able @> operator), JSON elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")


def json_column(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(JSONType, nullable=nullable))


class Tenant(SQLModel, table=True):
    __tablename__ = "tenants"

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200, index=True)
    plan: str = Field(max_length=20)
    rate_limits: dict[str, int] | None = json_column(nullable=True)
    # Origins browsers may call the API from (CORS); None: each dialect's default.
    cors_origins: list[str] | None = json_column(nullable=True)
    # Signs customer tokens (The Wallet Crew's customer JWTs), sealed (secretbox).
    customer_token_secret: str | None = Field(default=None, sa_type=Text, nullable=True)
    created_at: datetime


class UsageCounter(SQLModel, table=True):
    """Requests and validations a tenant made in one calendar month (UTC)."""

    __tablename__ = "usage_counters"

    tenant_id: str = Field(foreign_key="tenants.id", primary_key=True, max_length=40)
    month: str = Field(primary_key=True, max_length=7)  # "2026-11"
    api_calls: int = Field(default=0, sa_type=BigInteger)
    validations: int = Field(default=0, sa_type=BigInteger)


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"
    __table_args__ = (UniqueConstraint("account_id", name="uq_api_keys_account_id"),)

    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=40)
    name: str = Field(max_length=200)
    key_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=20)
    last4: str = Field(max_length=4)
    scopes: list[str] = json_column()
    dialect: str = Field(default="native", max_length=20)
    rate_limits: dict[str, int] | None = json_column(nullable=True)
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    expires_at: datetime | None = None
    # AccessGrid credentials: requests are signed with the secret, so the server keeps it,
    # encrypted with a key derived from PASSGATE_SECRET_KEY (the hash above is still kept).
    account_id: str | None = Field(default=None, max_length=40)
    secret_ciphertext: str | None = Field(default=None, max_length=500)


class Template(SQLModel, table=True):
    __tablename__ = "templates"
    __table_args__ = (Index("ix_templates_tenant_created", "tenant_id", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=30)
    # The client's own word for the kind (PassQR's ``ticket``), answered back as given.
    kind_label: str | None = Field(default=None, max_length=40)
    description: str | None = Field(default=None, max_length=2000)
    background_color: str | None = Field(default=None, max_length=7)
    foreground_color: str | None = Field(default=None, max_length=7)
    label_color: str | None = Field(default=None, max_length=7)
    logo_url: str | None = Field(default=None, max_length=2000)
    icon_url: str | None = Field(default=None, max_length=2000)
    barcode_format: str = Field(max_length=20)
    field_layout: dict[str, Any] | list[Any] = json_column()
    default_type: str = Field(max_length=10)
    default_max_usages: int | None = None
    default_valid_from: datetime | None = None
    default_valid_until: datetime | None = None
    default_valid_days: int | None = None
    apple_pass_type_id: str | None = Field(default=None, max_length=200)
    apple_team_id: str | None = Field(default=None, max_length=20)
    google_issuer_id: str | None = Field(default=None, max_length=40)
    # Vendor settings kept as given (AccessGrid platform/use case/protocol and its
    # support/terms/style settings; PassQR's settings object).
    settings: dict[str, Any] | None = json_column(nullable=True)
    # Wallet pass translations: {"fr": {"SEAT": "Place"}}, written as fr.lproj/pass.strings.
    localizations: dict[str, Any] | None = json_column(nullable=True)
    published_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class TemplateImage(SQLModel, table=True):
    """A wallet image uploaded for a template (icon, logo, strip, thumbnail at 1x/2x/3x),
    checked when stored; the .pkpass carries the set in place of passgate's own."""

    __tablename__ = "template_images"

    template_id: str = Field(foreign_key="templates.id", primary_key=True, max_length=40)
    file_name: str = Field(primary_key=True, max_length=40)  # "icon@2x.png"
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    content: bytes = Field(sa_type=LargeBinary)
    sha1: str = Field(max_length=40)
    width: int
    height: int
    created_at: datetime


class Customer(SQLModel, table=True):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_id", name="uq_customers_tenant_external_id"),
        UniqueConstraint("tenant_id", "email", name="uq_customers_tenant_email"),
        Index("ix_customers_tenant_created", "tenant_id", "id"),
    )

    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    external_id: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    attributes: dict[str, Any] = json_column()
    created_at: datetime
    updated_at: datetime


# A pass whose end of validity has not been announced yet (the sweep's condition and the
# predicate of its partial index, word for word so both databases match the two).
EXPIRY_UNANNOUNCED = ("valid_until IS NOT NULL AND state <> 'deleted' AND "
                      "(expiry_announced_for IS NULL OR expiry_announced_for <> valid_until)")


class Pass(SQLModel, table=True):
    __tablename__ = "passes"
    __table_args__ = (
        Index("ix_passes_tenant_created", "tenant_id", "created_at"),
        Index("ix_passes_tenant_id", "tenant_id", "id"),
        Index("ix_passes_tenant_state", "tenant_id", "state"),
        # Codes are unique per tenant. Code first: this one index serves the validation hot
        # path (code and tenant) and the public page, which knows only the code.
        UniqueConstraint("code", "tenant_id", name="uq_passes_tenant_code"),
        UniqueConstraint("tenant_id", "external_id", name="uq_passes_tenant_external_id"),
        # Passes whose validity has an end not yet announced by a pass.expired event
        # (resolvers/expiry.py): the worker's sweep reads only these, by end time.
        Index("ix_passes_expiry_due", "valid_until",
              postgresql_where=text(EXPIRY_UNANNOUNCED), sqlite_where=text(EXPIRY_UNANNOUNCED)),
    )

    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    code: str = Field(max_length=64)
    type: str = Field(max_length=10)
    name: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=2000)
    holder_name: str | None = Field(default=None, max_length=200)
    holder_email: str | None = Field(default=None, max_length=320)
    holder_phone: str | None = Field(default=None, max_length=40)
    customer_id: str | None = Field(
        default=None, foreign_key="customers.id", index=True, max_length=40
    )
    template_id: str | None = Field(
        default=None, foreign_key="templates.id", index=True, max_length=40
    )
    max_usages: int | None = None
    usages_count: int = 0
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    custom_fields: list[dict[str, Any]] = json_column()
    meta: dict[str, Any] = json_column()
    attributes: dict[str, Any] = json_column()
    state: str = Field(max_length=12)
    created_at: datetime
    updated_at: datetime
    last_scanned_at: datetime | None = None
    # When what the holder sees in a wallet last changed (the PassKit update tag and
    # Last-Modified); None means "since created_at".
    wallet_updated_at: datetime | None = None
    # The id the pass had at its former vendor (imports, or a client that sets it).
    external_id: str | None = Field(default=None, max_length=200)
    # True when passgate minted the code (80 random bits, so its public page needs no token);
    # false for a code given by the client, which may be short and guessable.
    code_minted: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
    # The latest message sent to the holder's wallet ({title, message, sent_at}).
    wallet_message: dict[str, Any] | None = json_column(nullable=True)
    # The valid_until that a pass.expired event announced; a new valid_until (validity
    # extended or cut) makes the pass due for a new announcement when it passes.
    expiry_announced_for: datetime | None = None


class Scan(SQLModel, table=True):
    __tablename__ = "scans"
    __table_args__ = (
        UniqueConstraint("tenant_id", "client_scan_id", name="uq_scans_tenant_client_scan_id"),
        Index("ix_scans_pass_id", "pass_id", "id"),
        Index("ix_scans_tenant_id", "tenant_id", "id"),
        Index("ix_scans_tenant_scanned_at", "tenant_id", "scanned_at"),
    )

    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    pass_id: str | None = Field(default=None, foreign_key="passes.id", max_length=40)
    code: str = Field(max_length=200)
    result: str = Field(max_length=10)
    reason: str | None = Field(default=None, max_length=20)
    client_scan_id: str | None = Field(default=None, max_length=200)
    device_id: str | None = Field(default=None, max_length=200)
    location: str | None = Field(default=None, max_length=200)
    operator_key_id: str | None = Field(default=None, max_length=40)
    usages_after: int | None = None
    scanned_at: datetime


class QrCode(SQLModel, table=True):
    """A dynamic QR code: a short slug served at ``/q/{slug}`` that redirects to a
    destination which can change after printing."""

    __tablename__ = "qr_codes"
    __table_args__ = (Index("ix_qr_codes_tenant_id", "tenant_id", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    name: str = Field(max_length=200)
    type: str = Field(default="url", max_length=20)
    destination_url: str = Field(max_length=2000)
    slug: str = Field(max_length=64, unique=True)
    status: str = Field(max_length=10)  # active | paused
    style: dict[str, Any] | None = json_column(nullable=True)
    scan_count: int = Field(default=0, sa_type=BigInteger)
    last_scanned_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class QrScan(SQLModel, table=True):
    """One visit of ``/q/{slug}``. The client IP is kept only as a salted hash."""

    __tablename__ = "qr_scans"
    __table_args__ = (Index("ix_qr_scans_qr_scanned_at", "qr_id", "scanned_at"),)

    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    qr_id: str = Field(foreign_key="qr_codes.id", max_length=40)
    scanned_at: datetime
    user_agent: str | None = Field(default=None, max_length=500)
    referrer: str | None = Field(default=None, max_length=2000)
    visitor_hash: str = Field(max_length=64)
    # Decided at scan time (resolvers/qr_visitors.py); the IP itself is never kept.
    device: str | None = Field(default=None, max_length=10)
    country: str | None = Field(default=None, max_length=2)


class Webhook(SQLModel, table=True):
    """A registered endpoint for events. Deliveries come with the events work; the signing
    secret is kept encrypted because the server must sign with it."""

    __tablename__ = "webhooks"
    __table_args__ = (Index("ix_webhooks_tenant_id", "tenant_id", "id"),)

    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    name: str | None = Field(default=None, max_length=200)
    url: str = Field(max_length=2000)
    events: list[str] = json_column()
    auth_method: str = Field(default="bearer_token", max_length=30)
    secret_ciphertext: str = Field(max_length=500)
    enabled: bool = True
    description: str | None = Field(default=None, max_length=2000)
    verified_at: datetime | None = None
    created_at: datetime
    updated_at: datetime
    # Whose wire format deliveries take (the creating key's dialect), and why deliveries
    # stopped when the server disabled the endpoint (410 Gone, or failing for days).
    dialect: str = Field(default="native", max_length=20,
                         sa_column_kwargs={"server_default": "native"})
    disabled_reason: str | None = Field(default=None, max_length=500)
    failing_since: datetime | None = None


class WalletSettings(SQLModel, table=True):
    """A tenant's issuer identities for Apple and Google Wallet. The private keys are kept
    sealed (``secretbox``): the server signs with them and never shows them again."""

    __tablename__ = "wallet_settings"

    tenant_id: str = Field(foreign_key="tenants.id", primary_key=True, max_length=40)
    apple_pass_type_id: str | None = Field(default=None, max_length=200)
    apple_team_id: str | None = Field(default=None, max_length=20)
    apple_organization: str | None = Field(default=None, max_length=200)
    apple_certificate_pem: str | None = Field(default=None, sa_type=Text)
    apple_key_ciphertext: str | None = Field(default=None, sa_type=Text)
    apple_wwdr_pem: str | None = Field(default=None, sa_type=Text)
    google_issuer_id: str | None = Field(default=None, max_length=40)
    google_service_account_email: str | None = Field(default=None, max_length=320)
    google_key_ciphertext: str | None = Field(default=None, sa_type=Text)
    # APNs token authentication (an alternative to the pass certificate): the .p8 key's id,
    # and the key itself sealed.
    apple_apns_key_id: str | None = Field(default=None, max_length=20)
    apple_apns_key_ciphertext: str | None = Field(default=None, sa_type=Text)
    created_at: datetime
    updated_at: datetime


class WalletRegistration(SQLModel, table=True):
    """A device that installed a pass in Apple Wallet (PassKit web service registration)."""

    __tablename__ = "wallet_registrations"
    __table_args__ = (
        UniqueConstraint("device_library_id", "pass_type_id", "pass_id",
                         name="uq_wallet_registrations_device_pass"),
        Index("ix_wallet_registrations_pass_id", "pass_id"),
    )

    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    pass_id: str = Field(foreign_key="passes.id", max_length=40)
    platform: str = Field(default="apple", max_length=10)
    device_library_id: str = Field(max_length=200)
    pass_type_id: str = Field(max_length=200)
    push_token: str = Field(max_length=200)
    created_at: datetime
    updated_at: datetime


class WalletPush(SQLModel, table=True):
    """A wallet update to deliver (APNs pushes, Google patches): made from an outbox event
    when it is dispatched, in the same transaction, and deleted once delivered; a worker
    holds it under a lease, so a process that dies mid-push leaves it to another."""

    __tablename__ = "wallet_pushes"
    __table_args__ = (Index("ix_wallet_pushes_due", "next_attempt_at"),)

    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    event_id: str = Field(max_length=40)
    change: dict[str, Any] = json_column()  # {"pass_ids": [...]} or {"template_id", "version"}
    attempts: int = 0
    next_attempt_at: datetime
    lease_until: datetime | None = None
    created_at: datetime


class WalletCallbackNonce(SQLModel, table=True):
    """A Google Wallet callback already applied (its nonce), kept until the message expires:
    Google may deliver one twice (``resolvers/wallet/google_callbacks.py``)."""

    __tablename__ = "wallet_callback_nonces"
    __table_args__ = (Index("ix_wallet_callback_nonces_expires_at", "expires_at"),)

    nonce: str = Field(primary_key=True, max_length=200)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    expires_at: datetime
    received_at: datetime


tenants = Tenant.__table__
api_keys = ApiKey.__table__
templates = Template.__table__
template_images = TemplateImage.__table__
customers = Customer.__table__
passes = Pass.__table__
scans = Scan.__table__
usage_counters = UsageCounter.__table__
qr_codes = QrCode.__table__
qr_scans = QrScan.__table__
webhooks = Webhook.__table__
wallet_settings = WalletSettings.__table__
wallet_registrations = WalletRegistration.__table__
wallet_pushes = WalletPush.__table__
wallet_callback_nonces = WalletCallbackNonce.__table__


# SQLite makes only an INTEGER PRIMARY KEY an auto-incrementing rowid alias.
Sequence = BigInteger().with_variant(Integer(), "sqlite")


class Event(SQLModel, table=True):
    """The outbox: one row per domain event, written in the transaction of the change.

    ``seq`` orders events; two events of one pass commit in ``seq`` order because the change
    holds the pass's row lock while it writes its event. ``dispatched_at`` is set once the
    event has been fanned out to its webhooks (deliveries) and live subscribers."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_tenant_seq", "tenant_id", "seq"),
        Index("ix_events_undispatched", "seq", postgresql_where=text("dispatched_at IS NULL"),
              sqlite_where=text("dispatched_at IS NULL")),
        # Retention (resolvers/retention.py) finds the events past their keeping time.
        Index("ix_events_occurred_at", "occurred_at"),
    )

    seq: int | None = Field(default=None, sa_column=Column(Sequence, primary_key=True,
                                                           autoincrement=True))
    id: str = Field(max_length=40, unique=True)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    type: str = Field(max_length=40)
    ordering_key: str = Field(max_length=40)
    data: dict[str, Any] = json_column()
    occurred_at: datetime
    dispatched_at: datetime | None = None


class WebhookDelivery(SQLModel, table=True):
    """One event due to one webhook: pending until a 2xx, or failed after the last retry."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_seq", name="uq_webhook_deliveries_event"),
        # The claim (resolvers/deliveries.py) walks pending rows in event order and asks, for
        # each, whether an earlier delivery of its pass is still pending: both read only the
        # pending rows, so both indexes hold only those (delivered history never slows a claim).
        Index("ix_webhook_deliveries_pending", "event_seq",
              postgresql_where=text("state = 'pending'"), sqlite_where=text("state = 'pending'")),
        Index("ix_webhook_deliveries_pending_order", "webhook_id", "ordering_key", "event_seq",
              postgresql_where=text("state = 'pending'"), sqlite_where=text("state = 'pending'")),
        Index("ix_webhook_deliveries_tenant", "tenant_id", "webhook_id", "id"),
        # Retention: finished deliveries by age, and whether any delivery still refers to an
        # event (also what deleting an event checks its foreign key with).
        Index("ix_webhook_deliveries_done", "created_at",
              postgresql_where=text("state <> 'pending'"), sqlite_where=text("state <> 'pending'")),
        Index("ix_webhook_deliveries_event", "event_seq"),
    )

    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    webhook_id: str = Field(sa_column=Column(String(40), ForeignKey("webhooks.id",
                                                                     ondelete="CASCADE"),
                                             nullable=False))
    event_seq: int = Field(sa_column=Column(Sequence, ForeignKey("events.seq"),
                                            nullable=False))
    event_id: str = Field(max_length=40)
    event_type: str = Field(max_length=40)
    ordering_key: str = Field(max_length=40)
    state: str = Field(max_length=10)  # pending | delivered | failed
    attempts: int = 0
    next_attempt_at: datetime
    lease_until: datetime | None = None
    last_status: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime
    delivered_at: datetime | None = None


class WebhookAttempt(SQLModel, table=True):
    """One HTTP request of a delivery, as it went."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_webhook", "webhook_id", "id"),
                      Index("ix_webhook_attempts_delivery", "delivery_id", "id"))

    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    webhook_id: str = Field(sa_column=Column(String(40), ForeignKey("webhooks.id",
                                                                     ondelete="CASCADE"),
                                             nullable=False))
    delivery_id: str = Field(sa_column=Column(String(40), ForeignKey("webhook_deliveries.id",
                                                                      ondelete="CASCADE"),
                                              nullable=False))
    event_id: str = Field(max_length=40)
    attempt: int
    status: int | None = None
    latency_ms: float | None = None
    error: str | None = Field(default=None, max_length=500)
    response_excerpt: str | None = Field(default=None, max_length=1000)
    attempted_at: datetime


events = Event.__table__
webhook_deliveries = WebhookDelivery.__table__
webhook_attempts = WebhookAttempt.__table__


class PassCount(SQLModel, table=True):
    """A tenant's passes per state, kept by triggers on ``passes`` (``resolvers/search.py``),
    so list totals and the plan quota are one row read at any size."""

    __tablename__ = "pass_counts"

    tenant_id: str = Field(primary_key=True, max_length=40)
    active: int = Field(default=0, sa_type=BigInteger)
    suspended: int = Field(default=0, sa_type=BigInteger)
    unlinked: int = Field(default=0, sa_type=BigInteger)
    deleted: int = Field(default=0, sa_type=BigInteger)


pass_counts = PassCount.__table__


class ScanStat(SQLModel, table=True):
    """Scans counted per tenant, UTC hour, template, device, result and reason: the indexed
    aggregate insights read. Kept by the outbox dispatcher (resolvers/deliveries.py) in the
    transaction that dispatches the scan events, so each scan counts exactly once; '' stands
    for none in the key columns."""

    __tablename__ = "scan_stats"

    tenant_id: str = Field(foreign_key="tenants.id", primary_key=True, max_length=40)
    hour: datetime = Field(primary_key=True)
    template_id: str = Field(primary_key=True, max_length=40)
    device_id: str = Field(primary_key=True, max_length=200)
    result: str = Field(primary_key=True, max_length=10)
    reason: str = Field(primary_key=True, max_length=20)
    scans: int = Field(default=0, sa_type=BigInteger)


scan_stats = ScanStat.__table__


class IdempotencyKey(SQLModel, table=True):
    """A client's idempotency key: claimed (no status yet) before its request runs, then
    the answer, kept 24 hours so a retry gets it again (``resolvers/idempotency.py``)."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_created_at", "created_at"),)

    tenant_id: str = Field(foreign_key="tenants.id", primary_key=True, max_length=40)
    key: str = Field(primary_key=True, max_length=255)
    fingerprint: str = Field(max_length=64)  # SHA-256 of the request: a retry must match
    request: str = Field(max_length=200)  # what it was, for the error a mismatch gets
    status: int | None = None
    content_type: str | None = Field(default=None, max_length=200)
    headers: dict[str, str] | None = json_column(nullable=True)
    body: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: datetime


idempotency_keys = IdempotencyKey.__table__


class RequestLog(SQLModel, table=True):
    """One API request of a tenant's keys (The Wallet Crew's Insights ``Logs``): written in
    batches by the gateway (``gateway/request_log.py``), never in the request, and pruned
    after ``PASSGATE_REQUEST_LOG_RETENTION_DAYS``. It names the key by id, never the key."""

    __tablename__ = "request_logs"
    __table_args__ = (
        Index("ix_request_logs_tenant_id", "tenant_id", "id"),
        Index("ix_request_logs_at", "at"),
    )

    id: str = Field(primary_key=True, max_length=40)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=40)
    key_id: str | None = Field(default=None, max_length=40)
    request_id: str = Field(max_length=64)
    method: str = Field(max_length=10)
    path: str = Field(max_length=500)
    operation: str | None = Field(default=None, max_length=100)
    status: int
    duration_ms: float
    at: datetime


request_logs = RequestLog.__table__

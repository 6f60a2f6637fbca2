"""Settings from ``PASSGATE_*`` environment variables."""

import ipaddress
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _all_or_none(wallet: str, required: dict[str, object], extra: tuple[object, ...] = ()
                 ) -> None:
    """An instance default wallet is set completely or not at all."""
    given = [name for name, value in required.items() if value]
    if (given or any(extra)) and len(given) < len(required):
        missing = ", ".join(name for name in required if name not in given)
        raise ValueError(f"the instance-wide {wallet} default is incomplete: set {missing}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PASSGATE_", extra="ignore")

    env: Literal["development", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./passgate.db"
    redis_url: str | None = None
    redis_prefix: str = "passgate:"
    rate_limits: bool = True
    rate_limit_window: int = 60
    secret_key: SecretStr | None = None
    secret_key_file: Path = Path(".passgate-secret")
    public_base_url: str = "http://127.0.0.1:8080"
    host: str = "127.0.0.1"
    port: int = 8080
    graphiql: bool = True
    introspection: bool = True
    max_body_bytes: int = 1_048_576
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 2000
    max_query_cost: int = 10_000
    max_root_fields: int = 30
    max_selections: int = 500
    db_pool_size: int = 10
    log_level: str = "INFO"
    # Domain events to the outbox; off only to measure what they cost (bench/validate.py).
    events: bool = True
    # Outbound requests (webhooks, pushes) may reach loopback and private addresses: for
    # development and tests only; in production the SSRF guard refuses them.
    webhook_allow_private: bool = False
    # Server processes of `passgate serve` (None: one per core in production, else one).
    workers: int | None = None
    # Webhook deliveries: a worker in every serve process (or only in `passgate worker`s);
    # the retry schedule times this factor (tests shrink it); a lease outlives any request.
    webhook_worker: bool = True
    webhook_timeout: float = 10.0
    webhook_retry_scale: float = 1.0
    webhook_lease_seconds: float = 120.0
    webhook_disable_after_hours: float = 120.0
    webhook_per_endpoint: int = 4
    webhook_poll_seconds: float = 0.2
    # How often the worker sweeps: pass.expired for passes whose validity ended, and pruning.
    sweep_seconds: float = 30.0
    # Days events and finished (delivered, failed) deliveries are kept; 0 keeps them forever.
    # Pending deliveries and their events are never pruned.
    event_retention_days: float = Field(default=30.0, ge=0)
    # Request logs (The Wallet Crew's Insights Logs): recorded in batches, kept this many
    # days (The Wallet Crew keeps 45); 0 keeps them forever.
    request_logs: bool = True
    request_log_retention_days: float = Field(default=45.0, ge=0)
    # GET /metrics (Prometheus): off, open, or behind a bearer token (gateway/metrics.py).
    metrics: bool = True
    metrics_token: SecretStr | None = None
    apns_url: str = "https://api.push.apple.com"
    apns_ca_file: Path | None = None  # extra trust for a staging or test APNs endpoint
    google_wallet_api_url: str = "https://walletobjects.googleapis.com"
    # Google's keys that sign Google Wallet's save/delete callbacks (ECv2SigningOnly).
    google_wallet_keys_url: str = "https://pay.google.com/gp/m/issuer/keys"
    # Instance-wide wallet identities for tenants without their own (a tenant's own Apple or
    # Google settings win). Certificates and keys: a file path or the PEM itself.
    apple_pass_type_id: str | None = None
    apple_team_id: str | None = None
    apple_organization: str | None = None
    apple_certificate: str | None = None  # PEM or DER certificate, or a PKCS#12 file
    apple_key: SecretStr | None = None  # PEM private key (not needed with PKCS#12)
    apple_key_password: SecretStr | None = None
    apple_wwdr: str | None = None  # the WWDR intermediate (G4), PEM or DER
    google_issuer_id: str | None = None
    google_service_account_file: Path | None = None  # the JSON key file Google issues

    # The dialect that answers a request carrying no key of ours on a path several dialects
    # share (/api/v1/passes…): native (PassQR's shape) unless set; "passengine" for an
    # instance replacing PassEngine, whose clients read a 401 as {"error": message}.
    keyless_dialect: Literal["native", "passengine"] | None = None

    # Proxies (addresses or CIDR ranges) whose X-Forwarded-For names the client: from such a
    # peer the client is the last address of it not among them (gateway/client_ip.py), for
    # the per-IP rate limit and a dynamic QR scan's country and unique visitor.
    trusted_proxies: list[str] = Field(default_factory=list)

    # SIGTERM: seconds requests in flight get to finish before the process exits.
    shutdown_timeout: float = 30.0

    @model_validator(mode="after")
    def _proxies_are_addresses(self) -> "Settings":
        for net in self.trusted_proxies:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError:
                raise ValueError(f"PASSGATE_TRUSTED_PROXIES: {net!r} is not an address or "
                                 "CIDR range") from None
        return self

    @model_validator(mode="after")
    def _production_needs_secret(self) -> "Settings":
        if self.secret_key is not None and not self.secret_key.get_secret_value():
            self.secret_key = None
        if self.env == "production" and self.secret_key is None:
            raise ValueError("PASSGATE_SECRET_KEY is required when PASSGATE_ENV=production")
        self.public_base_url = self.public_base_url.rstrip("/")
        apple = {"PASSGATE_APPLE_PASS_TYPE_ID": self.apple_pass_type_id,
                 "PASSGATE_APPLE_TEAM_ID": self.apple_team_id,
                 "PASSGATE_APPLE_CERTIFICATE": self.apple_certificate,
                 "PASSGATE_APPLE_WWDR": self.apple_wwdr}
        _all_or_none("Apple Wallet", apple, extra=(self.apple_key, self.apple_organization,
                                                   self.apple_key_password))
        _all_or_none("Google Wallet", {
            "PASSGATE_GOOGLE_ISSUER_ID": self.google_issuer_id,
            "PASSGATE_GOOGLE_SERVICE_ACCOUNT_FILE": self.google_service_account_file})
        return self

    @cached_property
    def trusted_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """``trusted_proxies`` parsed, once: the client address of every API request is
        looked up in them (set ``trusted_proxies`` before the first request)."""
        return tuple(ipaddress.ip_network(net, strict=False) for net in self.trusted_proxies)

    @cached_property
    def secret(self) -> bytes:
        """The signing secret; in development generated once and kept in a local file."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        path = self.secret_key_file
        if path.exists():
            return path.read_text().strip().encode()
        value = secrets.token_urlsafe(48)
        path.write_text(value + "\n")
        path.chmod(0o600)
        return value.encode()

"""The instance-wide wallet identities from ``PASSGATE_APPLE_*`` and ``PASSGATE_GOOGLE_*``,
for tenants that have not set their own.

Read and checked once when a process starts (the same checks as ``setAppleWallet`` and
``setGoogleWallet``), so a wrong certificate or key stops ``serve`` with a message naming the
setting instead of failing the first holder's download.
"""

from pathlib import Path

from resolvers.errors import BadInput
from resolvers.wallet import settings as ws

from .settings import Settings


class WalletDefaultsError(ValueError):
    """An instance default wallet setting is unusable; the message names it (never a key)."""


def _material(value: str, name: str) -> bytes:
    """A certificate or key given as PEM text, or as the path of a file holding it."""
    if "-----BEGIN" in value:
        return value.encode()
    path = Path(value).expanduser()
    try:
        return path.read_bytes()
    except OSError as e:
        raise WalletDefaultsError(f"{name}: cannot read {str(path)!r} ({e.strerror}); give "
                                  "a file path or the PEM itself") from None


def instance_defaults(settings: Settings, server_secret: bytes) -> ws.InstanceDefaults | None:
    """The defaults, sealed with ``server_secret``; None when neither wallet is set."""
    apple = google = None
    if settings.apple_certificate:
        assert settings.apple_wwdr is not None
        key = settings.apple_key.get_secret_value() if settings.apple_key else None
        password = (settings.apple_key_password.get_secret_value()
                    if settings.apple_key_password else None)
        try:
            cert, signing_key, wwdr = ws.apple_material(
                certificate=_material(settings.apple_certificate, "PASSGATE_APPLE_CERTIFICATE"),
                private_key=_material(key, "PASSGATE_APPLE_KEY") if key else None,
                key_password=password,
                wwdr=_material(settings.apple_wwdr, "PASSGATE_APPLE_WWDR"))
            apple = ws.apple_columns(
                server_secret, pass_type_id=settings.apple_pass_type_id,
                team_id=settings.apple_team_id, organization=settings.apple_organization,
                certificate=cert, key=signing_key, wwdr=wwdr)
        except BadInput as e:
            raise WalletDefaultsError(f"PASSGATE_APPLE_*: {e.message}") from None
    if settings.google_service_account_file:
        name = "PASSGATE_GOOGLE_SERVICE_ACCOUNT_FILE"
        try:
            raw = settings.google_service_account_file.expanduser().read_bytes()
        except OSError as e:
            raise WalletDefaultsError(f"{name}: cannot read it ({e.strerror})") from None
        try:
            email, rsa_key = ws.parse_service_account(raw)
            google = ws.google_columns(server_secret, issuer_id=settings.google_issuer_id,
                                       service_account_email=email, key=rsa_key)
        except BadInput as e:
            raise WalletDefaultsError(f"PASSGATE_GOOGLE_*: {e.message}") from None
    if apple is None and google is None:
        return None
    return ws.InstanceDefaults(apple=apple, google=google)

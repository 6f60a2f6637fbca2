"""A tenant's wallet issuer identities: Apple (pass type id, team, signing certificate and
key, WWDR intermediate) and Google (issuer id, service account).

Everything is checked when it is set, so a pass is never signed with a mismatched key or
chained to the wrong WWDR certificate: the key must match the certificate, the WWDR
certificate must have issued it, and the pass type id and team id must agree with what the
certificate says. Private keys are sealed with ``secretbox`` and never returned.
"""

import base64
import binascii
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import orjson
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from sqlalchemy import insert, select, update

from .. import checks, secretbox
from ..db import Database
from ..errors import BadInput, Conflict
from ..models import wallet_settings
from ..timeutil import utcnow

APPLE_KEY_PURPOSE = "wallet-apple-key"
APNS_KEY_PURPOSE = "wallet-apns-key"
GOOGLE_KEY_PURPOSE = "wallet-google-key"
MAX_PEM = 20_000
WWDR_HINT = ("Apple pass certificates issued after 2022-01-27 are signed by the WWDR G4 "
             "intermediate: download AppleWWDRCAG4.cer from https://www.apple.com/"
             "certificateauthority/")

SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


class WalletNotConfigured(Conflict):
    """The tenant has not set up this wallet; the message names what is missing."""


@dataclass(frozen=True)
class AppleSigner:
    pass_type_id: str
    team_id: str
    organization: str
    certificate: x509.Certificate
    key: SigningKey
    wwdr: x509.Certificate
    # APNs token authentication (a .p8 key), when set: pushes carry an ES256 JWT instead of
    # presenting the pass certificate.
    apns_key_id: str | None = None
    apns_key: ec.EllipticCurvePrivateKey | None = None


@dataclass(frozen=True)
class GoogleSigner:
    issuer_id: str
    service_account_email: str
    key: rsa.RSAPrivateKey


# ---------------------------------------------------------------- parsing


def _bytes(value: str | bytes, field: str) -> bytes:
    data = value.encode() if isinstance(value, str) else value
    if not data.strip():
        raise BadInput(f"{field} is required", field=field)
    if len(data) > MAX_PEM:
        raise BadInput(f"{field} is larger than {MAX_PEM} bytes", field=field)
    return data


def load_certificate(value: str | bytes, field: str) -> x509.Certificate:
    """A PEM or DER certificate (Apple hands out DER ``.cer`` files)."""
    data = _bytes(value, field)
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise BadInput(f"{field} is not a PEM or DER certificate", field=field) from None


def load_private_key(value: str | bytes, password: str | None, field: str) -> SigningKey:
    data = _bytes(value, field)
    secret = password.encode() if password else None
    try:
        key = serialization.load_pem_private_key(data, password=secret)
    except TypeError:
        raise BadInput(f"{field} is encrypted: give its password", field=field) from None
    except ValueError:
        raise BadInput(f"{field} is not a PEM private key, or the password is wrong",
                       field=field) from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise BadInput(f"{field} must be an RSA or EC key", field=field)
    return key


def load_pkcs12(value: bytes, password: str | None, field: str
                ) -> tuple[x509.Certificate, SigningKey]:
    """The certificate and key of a PKCS#12 (``.p12``) file, as Keychain exports it."""
    try:
        key, cert, _ = pkcs12.load_key_and_certificates(
            value, password.encode() if password else None)
    except ValueError:
        raise BadInput(f"{field} is not a PKCS#12 file, or the password is wrong",
                       field=field) from None
    if cert is None or key is None:
        raise BadInput(f"{field} must hold both the certificate and its private key",
                       field=field)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise BadInput(f"{field} must hold an RSA or EC key", field=field)
    return cert, key


def decode_base64(value: str, field: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise BadInput(f"{field} must be base64", field=field) from None


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    found = name.get_attributes_for_oid(oid)
    return str(found[0].value) if found else None


def _same_public_key(cert: x509.Certificate, key: SigningKey) -> bool:
    raw = serialization.PublicFormat.SubjectPublicKeyInfo
    enc = serialization.Encoding.DER
    return cert.public_key().public_bytes(enc, raw) == key.public_key().public_bytes(enc, raw)


def check_apple_chain(cert: x509.Certificate, key: SigningKey, wwdr: x509.Certificate,
                      pass_type_id: str, team_id: str) -> None:
    """Refuse a set that Apple Wallet would reject, naming the mismatch."""
    if not _same_public_key(cert, key):
        raise BadInput("the private key does not belong to the certificate", field="privateKey")
    try:
        cert.verify_directly_issued_by(wwdr)
    except (ValueError, TypeError, InvalidSignature):
        raise BadInput("the WWDR certificate did not issue the pass certificate "
                       f"(issuer {cert.issuer.rfc4514_string()!r}). {WWDR_HINT}",
                       field="wwdrCertificate") from None
    uid = _attribute(cert.subject, NameOID.USER_ID)
    if uid is not None and uid != pass_type_id:
        raise BadInput(f"the certificate is for pass type {uid!r}, not {pass_type_id!r}",
                       field="passTypeId")
    unit = _attribute(cert.subject, NameOID.ORGANIZATIONAL_UNIT_NAME)
    if unit is not None and unit != team_id:
        raise BadInput(f"the certificate is for team {unit!r}, not {team_id!r}", field="teamId")
    if cert.not_valid_after_utc <= datetime.now(UTC):
        raise BadInput("the pass certificate has expired", field="certificate")


def parse_service_account(value: str | bytes) -> tuple[str, rsa.RSAPrivateKey]:
    """``client_email`` and ``private_key`` of a service-account JSON file."""
    try:
        data = orjson.loads(value)
    except orjson.JSONDecodeError:
        raise BadInput("serviceAccount is not JSON", field="serviceAccount") from None
    if not isinstance(data, dict):
        raise BadInput("serviceAccount must be a JSON object", field="serviceAccount")
    email = checks.email(data.get("client_email"), "serviceAccount.client_email")
    if email is None:
        raise BadInput("serviceAccount has no client_email", field="serviceAccount")
    pem = data.get("private_key")
    if not isinstance(pem, str) or not pem.strip():
        raise BadInput("serviceAccount has no private_key", field="serviceAccount")
    key = load_private_key(pem, None, "serviceAccount.private_key")
    if not isinstance(key, rsa.RSAPrivateKey):
        raise BadInput("serviceAccount.private_key must be an RSA key (RS256)",
                       field="serviceAccount")
    return email, key


def _pem(key: SigningKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _cert_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


# ---------------------------------------------------------------- storage


async def _upsert(db: Database, tenant_id: str, values: dict[str, Any]) -> Any:
    from .apple import forget_settings  # apple builds on this module

    now = utcnow()
    async with db.write() as conn:
        exists = await conn.scalar(
            select(wallet_settings.c.tenant_id).where(wallet_settings.c.tenant_id == tenant_id))
        if exists is None:
            await conn.execute(insert(wallet_settings).values(
                tenant_id=tenant_id, created_at=now, updated_at=now, **values))
        else:
            await conn.execute(update(wallet_settings)
                               .where(wallet_settings.c.tenant_id == tenant_id)
                               .values(updated_at=now, **values))
        row = (await conn.execute(
            select(wallet_settings).where(wallet_settings.c.tenant_id == tenant_id))).one()
    forget_settings(tenant_id)  # after the commit: this process sees the change at once
    return row


def apple_columns(server_secret: bytes, *, pass_type_id: Any, team_id: Any,
                  organization: Any, certificate: x509.Certificate, key: SigningKey,
                  wwdr: x509.Certificate) -> dict[str, Any]:
    """The checked Apple identity as settings columns, the key sealed."""
    pass_type_id = checks.text(pass_type_id, "passTypeId", 200, required=True)
    team_id = checks.text(team_id, "teamId", 20, required=True)
    organization = (checks.text(organization, "organizationName", 200)
                    or _attribute(certificate.subject, NameOID.ORGANIZATION_NAME)
                    or pass_type_id)
    assert pass_type_id is not None and team_id is not None
    check_apple_chain(certificate, key, wwdr, pass_type_id, team_id)
    return {
        "apple_pass_type_id": pass_type_id,
        "apple_team_id": team_id,
        "apple_organization": organization,
        "apple_certificate_pem": _cert_pem(certificate),
        "apple_key_ciphertext": secretbox.seal(server_secret, APPLE_KEY_PURPOSE, _pem(key)),
        "apple_wwdr_pem": _cert_pem(wwdr),
    }


async def set_apple(db: Database, server_secret: bytes, tenant_id: str, *,
                    pass_type_id: Any, team_id: Any, organization: Any,
                    certificate: x509.Certificate, key: SigningKey,
                    wwdr: x509.Certificate) -> Any:
    """Check and store the Apple identity (the key sealed)."""
    return await _upsert(db, tenant_id, apple_columns(
        server_secret, pass_type_id=pass_type_id, team_id=team_id,
        organization=organization, certificate=certificate, key=key, wwdr=wwdr))


def google_columns(server_secret: bytes, *, issuer_id: Any, service_account_email: str,
                   key: rsa.RSAPrivateKey) -> dict[str, Any]:
    """The checked Google issuer as settings columns, the key sealed."""
    issuer = checks.text(issuer_id, "issuerId", 40, required=True)
    assert issuer is not None
    if not issuer.isdigit():
        raise BadInput("issuerId must be the number Google Wallet's console shows",
                       field="issuerId")
    return {
        "google_issuer_id": issuer,
        "google_service_account_email": service_account_email,
        "google_key_ciphertext": secretbox.seal(server_secret, GOOGLE_KEY_PURPOSE, _pem(key)),
    }


async def set_google(db: Database, server_secret: bytes, tenant_id: str, *, issuer_id: Any,
                     service_account_email: str, key: rsa.RSAPrivateKey) -> Any:
    return await _upsert(db, tenant_id, google_columns(
        server_secret, issuer_id=issuer_id, service_account_email=service_account_email,
        key=key))


_APPLE_COLUMNS = ("apple_pass_type_id", "apple_team_id", "apple_organization",
                  "apple_certificate_pem", "apple_key_ciphertext", "apple_wwdr_pem",
                  "apple_apns_key_id", "apple_apns_key_ciphertext")


def load_apns_key(key_id: Any, p8: str | bytes) -> tuple[str, ec.EllipticCurvePrivateKey]:
    """An APNs auth key as Apple hands it out: its 10-character id and the ``.p8`` file (a
    PEM P-256 key)."""
    kid = checks.text(key_id, "keyId", 20, required=True)
    assert kid is not None
    if not (len(kid) == 10 and kid.isalnum()):
        raise BadInput("keyId must be the 10-character key id Apple shows for the .p8 key",
                       field="keyId")
    key = load_private_key(p8, None, "privateKey")
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise BadInput("privateKey must be the APNs .p8 key (EC P-256)", field="privateKey")
    return kid, key


async def set_apns_key(db: Database, server_secret: bytes, tenant_id: str, key_id: str,
                       key: ec.EllipticCurvePrivateKey) -> Any:
    """Push with token authentication from now on (the key sealed); the team is the Apple
    identity's, so that must be set first."""
    row = await get_settings(db, tenant_id)
    if row is None or not row.apple_team_id:
        raise WalletNotConfigured("set the Apple Wallet identity (setAppleWallet) before its "
                                  "APNs key: the key belongs to its team")
    return await _upsert(db, tenant_id, {
        "apple_apns_key_id": key_id,
        "apple_apns_key_ciphertext": secretbox.seal(server_secret, APNS_KEY_PURPOSE, _pem(key)),
    })
_GOOGLE_COLUMNS = ("google_issuer_id", "google_service_account_email", "google_key_ciphertext")


async def clear(db: Database, tenant_id: str, platform: str) -> Any:
    columns = _APPLE_COLUMNS if platform == "apple" else _GOOGLE_COLUMNS
    return await _upsert(db, tenant_id, dict.fromkeys(columns))


async def get_settings(db: Database, tenant_id: str) -> Any | None:
    async with db.read() as conn:
        return (await conn.execute(
            select(wallet_settings).where(wallet_settings.c.tenant_id == tenant_id))).first()


@dataclass(frozen=True)
class InstanceDefaults:
    """The instance-wide wallet identities (``PASSGATE_APPLE_*``, ``PASSGATE_GOOGLE_*``) as
    settings columns with the keys sealed, so a tenant without its own settings signs with
    them through the same code as with its own. Each wallet is taken whole: a tenant's own
    Apple (or Google) settings win over the instance's."""

    apple: dict[str, Any] | None = None
    google: dict[str, Any] | None = None


def effective(row: Any | None, defaults: InstanceDefaults | None, tenant_id: str
              ) -> Any | None:
    """The settings a tenant signs with: its own row, completed per wallet from
    ``defaults``. A defaulted wallet is marked (``apple_instance``/``google_instance``) so
    its signer is loaded once for all tenants."""
    if defaults is None:
        return row
    need_apple = defaults.apple is not None and (row is None or not row.apple_certificate_pem)
    need_google = defaults.google is not None and (row is None or not row.google_issuer_id)
    if not (need_apple or need_google):
        return row
    if row is None:
        values: dict[str, Any] = dict.fromkeys(wallet_settings.c.keys())
        values["tenant_id"] = tenant_id
    else:
        values = dict(row._mapping) if hasattr(row, "_mapping") else dict(vars(row))
    if need_apple:
        values.update(dict.fromkeys(_APPLE_COLUMNS), apple_instance=True, **defaults.apple)
    if need_google:
        values.update(google_instance=True, **defaults.google)
    return SimpleNamespace(**values)


def describe(row: Any | None) -> dict[str, Any]:
    """What may be shown of the settings: identifiers and certificate facts, never keys."""
    apple = google = None
    if row is not None and row.apple_certificate_pem:
        cert = x509.load_pem_x509_certificate(row.apple_certificate_pem.encode())
        wwdr = x509.load_pem_x509_certificate(row.apple_wwdr_pem.encode())
        apple = {
            "pass_type_id": row.apple_pass_type_id,
            "team_id": row.apple_team_id,
            "organization": row.apple_organization,
            "certificate_subject": cert.subject.rfc4514_string(),
            "certificate_expires_at": cert.not_valid_after_utc,
            "wwdr_subject": wwdr.subject.rfc4514_string(),
            "apns_key_id": row.apple_apns_key_id,
        }
    if row is not None and row.google_issuer_id:
        google = {"issuer_id": row.google_issuer_id,
                  "service_account_email": row.google_service_account_email}
    return {"apple": apple, "google": google}


# Loading an RSA key checks it (~0.1 s): signers are kept per tenant and settings version.
_SIGNERS: "OrderedDict[tuple[str, str, Any], Any]" = OrderedDict()


def _remembered(kind: str, row: Any, make: Any) -> Any:
    key: tuple[str, str, Any] = (kind, row.tenant_id, row.updated_at)
    if getattr(row, f"{kind}_instance", False):  # the instance's: one signer for all tenants
        key = (kind, "", getattr(row, f"{kind}_key_ciphertext"))
    found = _SIGNERS.get(key)
    if found is None:
        found = _SIGNERS[key] = make()
        if len(_SIGNERS) > 256:
            _SIGNERS.popitem(last=False)
    return found


def apple_signer(row: Any | None, server_secret: bytes) -> AppleSigner:
    """The Apple identity ready to sign, or WalletNotConfigured naming what is missing."""
    if row is not None and row.apple_certificate_pem:
        return _remembered("apple", row, lambda: _apple_signer(row, server_secret))
    return _apple_signer(row, server_secret)


def _apple_signer(row: Any | None, server_secret: bytes) -> AppleSigner:
    if row is None or not row.apple_certificate_pem:
        raise WalletNotConfigured(
            "Apple Wallet is not configured for this tenant: set the pass type id, team id, "
            "signing certificate and key, and the WWDR certificate (setAppleWallet, or "
            "`passgate wallet apple`)")
    pem = secretbox.unseal(server_secret, APPLE_KEY_PURPOSE, row.apple_key_ciphertext)
    if pem is None:
        raise WalletNotConfigured("the Apple signing key was sealed under another server "
                                  "secret; set the Apple Wallet settings again")
    apns_key = None
    if row.apple_apns_key_ciphertext:
        apns_pem = secretbox.unseal(server_secret, APNS_KEY_PURPOSE,
                                    row.apple_apns_key_ciphertext)
        if apns_pem is None:
            raise WalletNotConfigured("the APNs key was sealed under another server secret; "
                                      "set it again")
        loaded = load_private_key(apns_pem, None, "apnsKey")
        assert isinstance(loaded, ec.EllipticCurvePrivateKey)
        apns_key = loaded
    return AppleSigner(
        apns_key_id=row.apple_apns_key_id if apns_key is not None else None,
        apns_key=apns_key,
        pass_type_id=row.apple_pass_type_id,
        team_id=row.apple_team_id,
        organization=row.apple_organization,
        certificate=x509.load_pem_x509_certificate(row.apple_certificate_pem.encode()),
        key=load_private_key(pem, None, "key"),
        wwdr=x509.load_pem_x509_certificate(row.apple_wwdr_pem.encode()),
    )


def google_signer(row: Any | None, server_secret: bytes) -> GoogleSigner:
    if row is not None and row.google_issuer_id:
        return _remembered("google", row, lambda: _google_signer(row, server_secret))
    return _google_signer(row, server_secret)


def _google_signer(row: Any | None, server_secret: bytes) -> GoogleSigner:
    if row is None or not row.google_issuer_id:
        raise WalletNotConfigured(
            "Google Wallet is not configured for this tenant: set the issuer id and the "
            "service account (setGoogleWallet, or `passgate wallet google`)")
    pem = secretbox.unseal(server_secret, GOOGLE_KEY_PURPOSE, row.google_key_ciphertext)
    if pem is None:
        raise WalletNotConfigured("the Google service-account key was sealed under another "
                                  "server secret; set the Google Wallet settings again")
    key = load_private_key(pem, None, "key")
    assert isinstance(key, rsa.RSAPrivateKey)
    return GoogleSigner(row.google_issuer_id, row.google_service_account_email, key)


def apple_material(*, certificate: str | bytes, private_key: str | bytes | None,
                   key_password: str | None, wwdr: str | bytes
                   ) -> tuple[x509.Certificate, SigningKey, x509.Certificate]:
    """Certificate, key and WWDR from what a user has at hand: a PEM or DER certificate with
    a PEM key (optionally encrypted), one PEM holding both, or a PKCS#12 file alone."""
    data = _bytes(certificate, "certificate")
    if private_key is not None and private_key.strip():
        cert = load_certificate(data, "certificate")
        key = load_private_key(private_key, key_password, "privateKey")
    elif b"-----BEGIN" in data and b"PRIVATE KEY-----" in data:
        cert = load_certificate(data, "certificate")
        key = load_private_key(data, key_password, "certificate")
    elif b"-----BEGIN" in data:
        raise BadInput("privateKey is required with a PEM certificate (or give a PKCS#12 "
                       "file holding both)", field="privateKey")
    else:
        cert, key = load_pkcs12(data, key_password, "certificate")
    return cert, key, load_certificate(wwdr, "wwdrCertificate")

"""Google Wallet's save and delete callbacks: a holder saved a pass to Google Wallet, or
removed it.

Google POSTs to the class's ``callbackOptions.url`` a message signed with the
``ECv2SigningOnly`` protocol (as Tink's ``PaymentMethodTokenRecipient`` verifies it): Google's
root keys (ECDSA P-256, published at a keys URL) sign an intermediate key, which signs the
message. Every signed string is a length-value concatenation (4-byte little-endian length,
then the UTF-8 bytes) of the sender id, for the message also the recipient id (the issuer
id), the protocol version and the signed text. The message is JSON ``{classId, objectId,
expTimeMillis, eventType: save|del, nonce}``; Google may deliver one twice, so the nonce is
kept until the message expires and a repeat changes nothing.

A save is the pass's Google Wallet installation (a ``wallet_registrations`` row with platform
``google``, so ``Pass.wallet.devices``, The Wallet Crew's ``providers`` and the installed
filter see it) and emits ``pass.installed``; a delete removes it and emits
``pass.uninstalled``, in the same transaction as the nonce.
"""

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from .. import ids
from ..db import Database
from ..errors import BadInput
from ..models import wallet_callback_nonces, wallet_registrations
from ..timeutil import utcnow
from .passkit import installation_event

PROTOCOL = "ECv2SigningOnly"
# Google's documentation names both over the years; the signature binds the one it used.
SENDER_IDS = ("GooglePayPasses", "GoogleWalletPasses")
EVENTS = ("save", "del")
DEVICE = "google-wallet"  # Google does not say which device: one installation per pass
MAX_BODY = 16_384


class CallbackRefused(BadInput):
    """Not a message Google signed for this issuer, or not one we can act on."""


@dataclass(frozen=True, slots=True)
class Callback:
    class_id: str
    object_id: str
    event_type: str
    nonce: str
    expires_at: datetime


def length_value(*chunks: str) -> bytes:
    """Tink's ``toLengthValue``: each chunk as its 4-byte little-endian length and bytes."""
    out = b""
    for chunk in chunks:
        raw = chunk.encode()
        out += len(raw).to_bytes(4, "little") + raw
    return out


def _millis(value: Any, what: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise CallbackRefused(f"{what} must be milliseconds since the epoch") from None


def _public_key(b64: Any, what: str) -> ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_der_public_key(base64.b64decode(b64, validate=True))
    except (TypeError, ValueError, binascii.Error):
        raise CallbackRefused(f"{what} is not a base64 X.509 public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise CallbackRefused(f"{what} must be an ECDSA P-256 key")
    return key


def root_keys(document: bytes, now: datetime) -> list[ec.EllipticCurvePublicKey]:
    """Google's unexpired ECv2SigningOnly root keys from the keys URL's JSON
    ``{"keys": [{keyValue, protocolVersion, keyExpiration}]}`` (a key without an expiry is
    not used, as Tink does)."""
    try:
        keys = orjson.loads(document)["keys"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise CallbackRefused("Google's signing keys could not be read") from None
    found = []
    for key in keys if isinstance(keys, list) else []:
        if not isinstance(key, dict) or key.get("protocolVersion") != PROTOCOL:
            continue
        if "keyExpiration" not in key or _millis(key["keyExpiration"], "keyExpiration") <= now:
            continue
        found.append(_public_key(key.get("keyValue"), "a root keyValue"))
    return found


def _verifies(key: ec.EllipticCurvePublicKey, signature_b64: Any, data: bytes) -> bool:
    try:
        key.verify(base64.b64decode(signature_b64, validate=True), data,
                   ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, TypeError, ValueError, binascii.Error):
        return False


def envelope(body: bytes) -> dict[str, Any]:
    """The callback's JSON, shaped as ECv2SigningOnly requires (exactly its four fields)."""
    if len(body) > MAX_BODY:
        raise CallbackRefused(f"the callback is larger than {MAX_BODY} bytes")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise CallbackRefused("the body must be Google's signed JSON message") from None
    fields = {"protocolVersion", "signature", "intermediateSigningKey", "signedMessage"}
    if not isinstance(data, dict) or set(data) != fields:
        raise CallbackRefused("the body must hold exactly protocolVersion, signature, "
                              "intermediateSigningKey and signedMessage")
    if data["protocolVersion"] != PROTOCOL:
        raise CallbackRefused(f"protocolVersion must be {PROTOCOL}")
    isk = data["intermediateSigningKey"]
    if (not isinstance(isk, dict) or set(isk) != {"signedKey", "signatures"}
            or not isinstance(isk["signedKey"], str) or not isinstance(isk["signatures"], list)
            or not isinstance(data["signedMessage"], str)):
        raise CallbackRefused("intermediateSigningKey must hold exactly signedKey (a string) "
                              "and signatures (a list); signedMessage must be a string")
    return data


def message(data: dict[str, Any]) -> Callback:
    """The signed message's content (read before it is verified only to find the issuer;
    nothing is done with it until ``verify`` passed)."""
    try:
        msg = orjson.loads(data["signedMessage"])
    except orjson.JSONDecodeError:
        raise CallbackRefused("signedMessage must be JSON") from None
    if not isinstance(msg, dict):
        raise CallbackRefused("signedMessage must be a JSON object")
    for name in ("classId", "objectId", "nonce", "eventType"):
        if not isinstance(msg.get(name), str) or not 0 < len(msg[name]) <= 200:
            raise CallbackRefused(f"signedMessage.{name} must be a string of 1 to 200 "
                                  "characters")
    if msg["eventType"] not in EVENTS:
        raise CallbackRefused("signedMessage.eventType must be save or del")
    return Callback(msg["classId"], msg["objectId"], msg["eventType"], msg["nonce"],
                    _millis(msg.get("expTimeMillis"), "signedMessage.expTimeMillis"))


def verify(data: dict[str, Any], roots: list[ec.EllipticCurvePublicKey], recipient_id: str,
           now: datetime) -> Callback:
    """The message, once Google's root keys vouch for the intermediate key, the intermediate
    key signed the message for this recipient (the issuer id), and neither has expired."""
    if not roots:
        raise CallbackRefused("no unexpired Google signing key is known")
    signed_key = data["intermediateSigningKey"]["signedKey"]
    for sender in SENDER_IDS:
        intermediate_data = length_value(sender, PROTOCOL, signed_key)
        if not any(_verifies(root, signature, intermediate_data) for root in roots
                   for signature in data["intermediateSigningKey"]["signatures"]):
            continue
        try:
            key_info = orjson.loads(signed_key)
        except orjson.JSONDecodeError:
            raise CallbackRefused("signedKey must be JSON") from None
        if not isinstance(key_info, dict) or not {"keyValue", "keyExpiration"} <= set(key_info):
            raise CallbackRefused("signedKey must hold keyValue and keyExpiration")
        if _millis(key_info["keyExpiration"], "signedKey.keyExpiration") <= now:
            raise CallbackRefused("the intermediate signing key has expired")
        intermediate = _public_key(key_info["keyValue"], "signedKey.keyValue")
        signed = length_value(sender, recipient_id, PROTOCOL, data["signedMessage"])
        if not _verifies(intermediate, data["signature"], signed):
            raise CallbackRefused("the message's signature does not verify for this issuer")
        callback = message(data)
        if callback.expires_at <= now:
            raise CallbackRefused("the message has expired")
        return callback
    raise CallbackRefused("no Google root key signed the intermediate signing key")


async def record(db: Database, row: Any, callback: Callback) -> bool:
    """Apply a verified callback to the pass ``row``; False when its nonce was seen before
    (Google delivered it again: nothing changes)."""
    now = utcnow()
    dialect_insert = pg_insert if db.dialect == "postgresql" else sqlite_insert
    r = wallet_registrations.c
    async with db.write() as conn:
        first = (await conn.execute(
            dialect_insert(wallet_callback_nonces)
            .values(nonce=callback.nonce, tenant_id=row.tenant_id,
                    expires_at=callback.expires_at, received_at=now)
            .on_conflict_do_nothing(index_elements=["nonce"])
            .returning(wallet_callback_nonces.c.nonce))).first()
        if first is None:
            return False
        if callback.event_type == "save":
            values = {"id": ids.new_id("wallet_registration"), "tenant_id": row.tenant_id,
                      "pass_id": row.id, "platform": "google", "device_library_id": DEVICE,
                      "pass_type_id": callback.class_id[:200], "push_token": "",
                      "created_at": now, "updated_at": now}
            added = (await conn.execute(
                dialect_insert(wallet_registrations).values(**values)
                .on_conflict_do_nothing(index_elements=["device_library_id", "pass_type_id",
                                                        "pass_id"])
                .returning(r.id))).first()
            if added is not None:
                await installation_event(conn, db, "pass.installed", row.id, values)
        else:
            gone = (await conn.execute(
                delete(wallet_registrations)
                .where(r.pass_id == row.id, r.platform == "google")
                .returning(wallet_registrations))).first()
            if gone is not None:
                await installation_event(conn, db, "pass.uninstalled", row.id, gone._mapping)
    return True


async def prune_nonces(db: Database, now: datetime) -> int:
    """Forget nonces of expired messages: Google cannot deliver those again validly."""
    c = wallet_callback_nonces.c
    async with db.write() as conn:
        gone = await conn.execute(delete(wallet_callback_nonces).where(c.expires_at < now))
    return gone.rowcount or 0


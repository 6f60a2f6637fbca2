"""Opaque prefixed ids, pass codes, API keys and public-URL tokens."""

import base64
import hashlib
import hmac
import re
import secrets
import time
import uuid

from .errors import BadInput

# Crockford base32 in lowercase: sorts in the same order as the values it encodes.
_B32 = "0123456789abcdefghjkmnpqrstvwxyz"
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

PREFIXES = {
    "tenant": "ten",
    "key": "key",
    "template": "tpl",
    "pass": "pass",
    "customer": "cus",
    "scan": "scn",
    "qr": "qr",
    "qr_scan": "qrs",
    "webhook": "whk",
    "wallet_registration": "wrg",
    "wallet_push": "wpu",
    "event": "evt",
    "delivery": "dlv",
    "attempt": "att",
    "request_log": "log",
}

API_KEY_PREFIX = "pgk_"
API_KEY_RANDOM_LEN = 40  # base62 -> ~238 bits


def _b32(value: int, length: int) -> str:
    out = []
    for _ in range(length):
        out.append(_B32[value & 31])
        value >>= 5
    return "".join(reversed(out))


# RFC 4648's base32 alphabet to ours, position for position: ``base64.b32encode`` of 10
# bytes is ``_b32`` of their 80 bits, in C (a bulk create makes two ids and a code a pass).
_FROM_RFC4648 = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", _B32.encode())
_FROM_RFC4648_UPPER = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
                                      _B32.upper().encode())
_latest = (-1, "", 0)  # the latest id's millisecond, its time part, its random part


def new_id(kind: str) -> str:
    """A ULID-style id: 48-bit millisecond time then 80 random bits, so ids sort by creation.

    Within one millisecond (scans on the hot path come faster than that) an id takes the
    latest one's random part plus a random step, as monotonic ULIDs do, so ids made in one
    process sort in the order they were made; a clock stepping back keeps the latest time."""
    global _latest
    ms = time.time_ns() // 1_000_000
    last_ms, text, last_random = _latest
    if ms > last_ms:
        random = secrets.randbits(_RANDOM_BITS)
        text = _b32(ms, 10)
    else:
        ms, random = last_ms, last_random + 1 + secrets.randbits(32)
        if random >> _RANDOM_BITS:  # the random part overflowed: borrow the next millisecond
            ms, random = ms + 1, secrets.randbits(_RANDOM_BITS)
            text = _b32(ms, 10)
    _latest = (ms, text, random)
    return f"{PREFIXES[kind]}_{text}{_encode80(random)}"


def _encode80(value: int) -> str:
    return base64.b32encode(value.to_bytes(10, "big")).translate(_FROM_RFC4648).decode()


_ID_BODY = 26  # 10 characters of time and 16 of randomness: 128 bits, the size of a UUID
_RANDOM_BITS = 80
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def id_as_uuid(value: str) -> str | None:
    """The 128 bits of one of our ids (``pass_…``) written as a UUID, or None when ``value``
    is not one of ours. A presentation for clients that hold UUIDs (PassQR's validate them)."""
    body = value.partition("_")[2]
    if len(body) != _ID_BODY:
        return None
    number = 0
    for ch in body:
        digit = _B32.find(ch)
        if digit < 0:
            return None
        number = number << 5 | digit
    if number >> 128:
        return None
    return str(uuid.UUID(int=number))


def id_from_uuid(kind: str, value: str) -> str | None:
    """Our id of ``kind`` whose UUID form is ``value`` (``id_as_uuid`` reversed), or None when
    ``value`` is not a UUID (8-4-4-4-12 hex digits, either case)."""
    if not _UUID.match(value):
        return None
    number = uuid.UUID(value).int
    time_part, random_part = number >> _RANDOM_BITS, number & ((1 << _RANDOM_BITS) - 1)
    return f"{PREFIXES[kind]}_{_b32(time_part, 10)}{_b32(random_part, 16)}"


def new_pass_code() -> str:
    """16 upper-case Crockford characters: 80 random bits, URL-safe, easy to read aloud."""
    return base64.b32encode(secrets.token_bytes(10)).translate(_FROM_RFC4648_UPPER).decode()


def normalise_code(code: str) -> str:
    """Codes are case-insensitive (PassQR does the same); store and compare upper-case."""
    return code.strip().upper()


MAX_CODE_LEN = 64
# What every barcode format passgate draws can carry and a URL path holds unescaped: the
# unreserved characters of RFC 3986 (QR, PDF417, Aztec and Code 128 all encode ASCII).
_CODE = re.compile(r"^[A-Za-z0-9._~-]+$")


def check_code(value: object, field: str = "code") -> str:
    """A code given by the client (an import, a printed ticket): normalised, or BadInput."""
    if not isinstance(value, str):
        raise BadInput(f"{field} must be a string", field=field)
    code = normalise_code(value)
    if not code:
        raise BadInput(f"{field} must not be empty", field=field)
    if len(code) > MAX_CODE_LEN:
        raise BadInput(f"{field} is longer than {MAX_CODE_LEN} characters", field=field)
    if not _CODE.match(code):
        raise BadInput(f"{field} {value!r} has characters a barcode or a URL cannot carry "
                       "as is: use letters, digits and . _ ~ -", field=field)
    return code


def new_api_key(prefix: str = API_KEY_PREFIX) -> str:
    return prefix + "".join(secrets.choice(_B62) for _ in range(API_KEY_RANDOM_LEN))


def new_account_id() -> str:
    """An AccessGrid-style account id: it names a credential, it is not a secret."""
    return "acct_" + "".join(secrets.choice(_B62) for _ in range(20))


def hash_api_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def public_token(secret: bytes, code: str, tenant_id: str | None = None) -> str:
    """HMAC of a pass code: proves a public URL was issued by us without storing it. A code
    the client gave is unique only in its tenant, so its token names the tenant too."""
    message = b"pass:" + code.encode()
    if tenant_id is not None:
        message = b"pass:" + tenant_id.encode() + b":" + code.encode()
    mac = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:16]).rstrip(b"=").decode()


def check_public_token(secret: bytes, code: str, token: str, tenant_id: str | None = None
                       ) -> bool:
    """A token with non-ASCII characters is simply wrong (``compare_digest`` would raise)."""
    return token.isascii() and hmac.compare_digest(public_token(secret, code, tenant_id),
                                                   token)


def pass_token(secret: bytes, row: object) -> str:
    """The public-page token of a pass row: tenant-bound unless passgate minted the code."""
    minted = getattr(row, "code_minted", True)
    return public_token(secret, row.code, None if minted else row.tenant_id)  # type: ignore[attr-defined]

"""Opaque prefixed ids, pass codes, API keys and public-URL tokens."""

import base64
import hashlib
import hmac
import secrets
import time

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
    "event": "evt",
    "delivery": "dlv",
    "attempt": "att",
}

API_KEY_PREFIX = "pgk_"
API_KEY_RANDOM_LEN = 40  # base62 -> ~238 bits


def _b32(value: int, length: int) -> str:
    out = []
    for _ in range(length):
        out.append(_B32[value & 31])
        value >>= 5
    return "".join(reversed(out))


def new_id(kind: str) -> str:
    """A ULID-style id: 48-bit millisecond time then 80 random bits, so ids sort by creation."""
    ms = time.time_ns() // 1_000_000
    return f"{PREFIXES[kind]}_{_b32(ms, 10)}{_b32(secrets.randbits(80), 16)}"


def new_pass_code() -> str:
    """16 upper-case Crockford characters: 80 random bits, URL-safe, easy to read aloud."""
    return _b32(secrets.randbits(80), 16).upper()


def normalise_code(code: str) -> str:
    """Codes are case-insensitive (PassQR does the same); store and compare upper-case."""
    return code.strip().upper()


def new_api_key(prefix: str = API_KEY_PREFIX) -> str:
    return prefix + "".join(secrets.choice(_B62) for _ in range(API_KEY_RANDOM_LEN))


def new_account_id() -> str:
    """An AccessGrid-style account id: it names a credential, it is not a secret."""
    return "acct_" + "".join(secrets.choice(_B62) for _ in range(20))


def hash_api_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def public_token(secret: bytes, code: str) -> str:
    """HMAC of a pass code: proves a public URL was issued by us without storing it."""
    mac = hmac.new(secret, b"pass:" + code.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:16]).rstrip(b"=").decode()


def check_public_token(secret: bytes, code: str, token: str) -> bool:
    """A token with non-ASCII characters is simply wrong (``compare_digest`` would raise)."""
    return token.isascii() and hmac.compare_digest(public_token(secret, code), token)

"""Secrets the server must read back (webhook signing secrets, AccessGrid credentials), kept
encrypted at rest with a key derived from the server secret (``PASSGATE_SECRET_KEY``).

API keys are only ever hashed; these are the exceptions, because verifying an HMAC signature
or signing a delivery needs the secret itself.
"""

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken


def _fernet(server_secret: bytes, purpose: str) -> Fernet:
    key = hmac.new(server_secret, b"passgate-secretbox:" + purpose.encode(), hashlib.sha256)
    return Fernet(base64.urlsafe_b64encode(key.digest()))


def seal(server_secret: bytes, purpose: str, plaintext: str) -> str:
    return _fernet(server_secret, purpose).encrypt(plaintext.encode()).decode()


def unseal(server_secret: bytes, purpose: str, ciphertext: str) -> str | None:
    """The plaintext, or None when it was sealed under another server secret."""
    try:
        return _fernet(server_secret, purpose).decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        return None

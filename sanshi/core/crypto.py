"""Personal data at rest (PIPL): phone and ID numbers are stored encrypted (Fernet: AES-128-CBC +
HMAC-SHA256, from the `cryptography` package) with a keyed hash beside them for exact lookup.

Keys are derived with HKDF from SANSHI_FIELD_KEY (production requires it), so the encryption key
and the lookup-hash key are independent."""

import base64
import functools
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "enc1:"


def _derive(purpose: bytes) -> bytes:
    secret = (settings.SANSHI_FIELD_KEY or settings.SECRET_KEY).encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"sanshi-personal-data", info=purpose).derive(secret)


@functools.cache
def _fernet(secret_marker: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(b"encrypt")))


@functools.cache
def _hash_key(secret_marker: str) -> bytes:
    return _derive(b"lookup")


def _marker() -> str:
    # cache per key, so tests that change the key get new ciphers
    return hashlib.sha256((settings.SANSHI_FIELD_KEY or settings.SECRET_KEY).encode()).hexdigest()


def encrypt(value: str) -> str:
    if not value:
        return ""
    return PREFIX + _fernet(_marker()).encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    if not value:
        return ""
    if not value.startswith(PREFIX):
        return value  # written before encryption was introduced
    try:
        return _fernet(_marker()).decrypt(value[len(PREFIX):].encode()).decode()
    except InvalidToken:
        return "[无法解密]"


def lookup_hash(value: str) -> str:
    if not value:
        return ""
    return hmac.new(_hash_key(_marker()), value.encode(), hashlib.sha256).hexdigest()


CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols, no 0/O, 1/I: easy to read out on the phone


def random_code(length: int) -> str:
    """`length` symbols of CODE_ALPHABET from the system's secure random source (5 random bits
    each, drawn in one call; 32 symbols, so every code is equally likely)."""
    bits = secrets.randbits(5 * length)
    return "".join(CODE_ALPHABET[(bits >> (5 * i)) & 31] for i in range(length))

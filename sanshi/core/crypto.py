"""Personal data at rest (PIPL): phone and ID numbers are stored encrypted (Fernet: AES-128-CBC +
HMAC-SHA256, from the `cryptography` package) with a keyed hash beside them for exact lookup.

Keys are derived with HKDF from SANSHI_FIELD_KEY (production requires it), so the encryption key
and the lookup-hash key are independent.

Rotation (docs/operations.md, "The field key"): the new key goes in SANSHI_FIELD_KEY and the old one
in SANSHI_FIELD_KEY_PREVIOUS. Values are then read with either (cryptography's MultiFernet: each
token is authenticated, so the key that made it is the one that opens it) and always written with
the new one; lookup hashes are always the new key's. `sanshi rotate-field-key` re-encrypts every
stored value and recomputes its lookup hash, after which the old key can go."""

import base64
import functools
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "enc1:"


UNREADABLE = "[无法解密]"


def _secrets() -> tuple[str, ...]:
    """The current key (SANSHI_FIELD_KEY; SECRET_KEY in development), then the previous ones."""
    previous = tuple(k for k in getattr(settings, "SANSHI_FIELD_KEY_PREVIOUS", ()) if k)
    return (settings.SANSHI_FIELD_KEY or settings.SECRET_KEY, *previous)


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"sanshi-personal-data", info=purpose).derive(secret.encode())


def _fernet_of(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(secret, b"encrypt")))


@functools.cache
def _ciphers(marker: str) -> tuple[Fernet, MultiFernet]:
    """The current key's cipher, and one that reads with the current key or any previous one."""
    secrets_ = _secrets()
    return _fernet_of(secrets_[0]), MultiFernet([_fernet_of(s) for s in secrets_])


@functools.cache
def _hash_key(marker: str) -> bytes:
    return _derive(_secrets()[0], b"lookup")


def _marker() -> str:
    # cache per set of keys, so tests (and a rotation) that change the keys get new ciphers
    return hashlib.sha256("\n".join(_secrets()).encode()).hexdigest()


def encrypt(value: str) -> str:
    if not value:
        return ""
    return PREFIX + _ciphers(_marker())[0].encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    if not value:
        return ""
    if not value.startswith(PREFIX):
        return value  # written before encryption was introduced
    try:
        return _ciphers(_marker())[1].decrypt(value[len(PREFIX):].encode()).decode()
    except InvalidToken:
        return UNREADABLE


def under_current_key(value: str) -> bool:
    """Whether a stored value is encrypted with the current key (an empty one needs no key)."""
    if not value:
        return True
    if not value.startswith(PREFIX):
        return False
    try:
        _ciphers(_marker())[0].decrypt(value[len(PREFIX):].encode())
    except InvalidToken:
        return False
    return True


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

"""Secrets kept at rest (a channel's access token, its app secret), encrypted with Fernet.

The keys come from `settings.ENCRYPTION_KEY` (comma-separated: the first one encrypts, every one
decrypts, so a key can be rotated by putting the new one first). A value that no key opens is an
error, never an empty string: a wrong key must not look like a missing secret.
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class DecryptionError(Exception):
    """The stored value cannot be opened with the configured keys."""


@lru_cache(maxsize=4)
def _fernet(keys: str) -> MultiFernet:
    return MultiFernet([Fernet(key.strip().encode()) for key in keys.split(",") if key.strip()])


def encrypt(value: str) -> str:
    return _fernet(settings.ENCRYPTION_KEY).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(settings.ENCRYPTION_KEY).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError) as exc:
        raise DecryptionError("cannot decrypt with the configured ENCRYPTION_KEY") from exc

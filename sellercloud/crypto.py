"""Encryption at rest for secrets kept in the database (client secrets, access tokens).

Fernet (AES + HMAC) from `cryptography`, with the keys from FIELD_ENCRYPTION_KEYS (newest
first, so keys can be rotated: old values still decrypt, new ones use the first key).
"""

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet() -> MultiFernet:
    keys = list(settings.FIELD_ENCRYPTION_KEYS)
    if not keys:
        # Demo default: a key derived from SECRET_KEY. Production sets FIELD_ENCRYPTION_KEYS.
        digest = hashlib.sha256(("field-encryption:" + settings.SECRET_KEY).encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as e:
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS holds an invalid Fernet key: {e}") from e


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as e:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted: FIELD_ENCRYPTION_KEYS does not hold the key it was written with."
        ) from e


class EncryptedTextField(models.TextField):
    """A text column whose value is stored Fernet-encrypted; Python code sees plain text.

    The empty string stays empty (so "not set" needs no decryption). Not searchable or
    orderable by value, by design.
    """

    def get_prep_value(self, value: object) -> object:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(str(value))

    def from_db_value(self, value: str | None, expression: object, connection: object) -> str | None:
        if value in (None, ""):
            return value
        return decrypt(value)

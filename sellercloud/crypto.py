"""Encryption at rest for secrets kept in the database (client secrets, access tokens).

Fernet (AES + HMAC) from `cryptography`, with the keys from FIELD_ENCRYPTION_KEYS, newest first:
the first encrypts, every one decrypts, so keys can be rotated (add the new key in front, run
`manage.py rotate_encryption_keys`, then drop the old one).

Before FIELD_ENCRYPTION_KEYS was required, secrets were encrypted with a key derived from
SECRET_KEY (from the public development key where DJANGO_SECRET_KEY was unset). Those derived
keys stay, after the configured ones and for decryption only, so such secrets keep decrypting
until `rotate_encryption_keys` re-encrypts them. Without FIELD_ENCRYPTION_KEYS (a demo or the
tests only: settings refuse it elsewhere) the key derived from SECRET_KEY encrypts, as before.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import models, router, transaction
from django.db.models.functions import Cast


def derived_key(secret_key: str) -> str:
    """The Fernet key derived from a Django secret key (the demo's key; a legacy one elsewhere)."""
    digest = hashlib.sha256(("field-encryption:" + secret_key).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def legacy_keys() -> list[str]:
    """Keys derived from SECRET_KEY and from the public development key, for decryption only."""
    secrets = [settings.SECRET_KEY, getattr(settings, "DEVELOPMENT_SECRET_KEY", settings.SECRET_KEY)]
    return list(dict.fromkeys(derived_key(secret) for secret in secrets))


@cache
def _fernets() -> tuple[Fernet, MultiFernet]:
    """(the key that encrypts, every key that decrypts: the configured ones, then the legacy ones)."""
    keys = list(dict.fromkeys([*settings.FIELD_ENCRYPTION_KEYS, *legacy_keys()]))
    try:
        fernets = [Fernet(key) for key in keys]
    except ValueError as e:
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS holds an invalid Fernet key: {e}") from e
    return fernets[0], MultiFernet(fernets)


def _keys_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in ("FIELD_ENCRYPTION_KEYS", "SECRET_KEY"):
        _fernets.cache_clear()


setting_changed.connect(_keys_changed)


def encrypt(value: str) -> str:
    return _fernets()[1].encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernets()[1].decrypt(token.encode()).decode()
    except InvalidToken as e:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted: FIELD_ENCRYPTION_KEYS does not hold the key it was written with."
        ) from e


def is_encrypted_with_newest_key(token: str) -> bool:
    """Whether `token` was written with the key that encrypts now (nothing to rotate)."""
    try:
        _fernets()[0].decrypt(token.encode())
    except InvalidToken:
        return False
    return True


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
        if value is None or value == "":
            return value
        return decrypt(value)


# --- Key rotation ----------------------------------------------------------------------------


@dataclass
class Rotation:
    """What `encrypted_values_rotate` did to one encrypted column."""

    label: str  # "channels.CdiscountAccount.client_secret"
    rotated: int = 0  # re-encrypted with the newest key (or, in a dry run, to be)
    current: int = 0  # already written with the newest key
    unreadable: list[Any] = field(default_factory=list)  # primary keys no configured key decrypts


def encrypted_fields() -> Iterator[tuple[type[models.Model], EncryptedTextField]]:
    """Every EncryptedTextField of every installed model (any app's: none is imported by name)."""
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, EncryptedTextField):
                yield model, model_field


def encrypted_values_rotate(*, dry_run: bool = False) -> list[Rotation]:
    """Re-encrypt every stored secret that is not written with the newest key (the first of
    FIELD_ENCRYPTION_KEYS) with that key; `dry_run` only counts. Safe to run again: what is on
    the newest key is left alone. Each column is done in one transaction with its rows locked, so
    a secret saved meanwhile is not overwritten with its old value."""
    return [_column_rotate(model, model_field, dry_run=dry_run) for model, model_field in encrypted_fields()]


def _column_rotate(model: type[models.Model], model_field: EncryptedTextField, *, dry_run: bool) -> Rotation:
    rotation = Rotation(f"{model._meta.label}.{model_field.name}")
    manager = model._base_manager
    name = model_field.name
    with transaction.atomic(using=router.db_for_write(model)):
        # The stored ciphertext, as text: a plain TextField output is not decrypted on the way.
        rows = (
            manager.select_for_update()
            .exclude(**{f"{name}__isnull": True})
            .exclude(**{name: ""})
            .annotate(sealed=Cast(name, output_field=models.TextField()))
            .values_list("pk", "sealed")
            .order_by("pk")
        )
        for pk, sealed in rows:
            if is_encrypted_with_newest_key(sealed):
                rotation.current += 1
                continue
            try:
                value = decrypt(sealed)
            except ImproperlyConfigured:
                rotation.unreadable.append(pk)
                continue
            if not dry_run:
                manager.filter(pk=pk).update(**{name: value})  # the field encrypts with the newest key
            rotation.rotated += 1
    return rotation

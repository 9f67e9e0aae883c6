"""System checks of the keys (`manage.py check`, `check --deploy`).

Settings refuse to load without DJANGO_SECRET_KEY and FIELD_ENCRYPTION_KEYS unless
SELLERCLOUD_DEMO or DJANGO_DEBUG is set; `check --deploy` flags a demo's keys too, since Django's
own check does not know the public development key.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


@register(Tags.security)
def check_field_encryption_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for position, key in enumerate(settings.FIELD_ENCRYPTION_KEYS, start=1):
        try:
            Fernet(key)
        except ValueError:
            errors.append(
                Error(
                    f"FIELD_ENCRYPTION_KEYS: key {position} is not a Fernet key (32 url-safe base64-encoded bytes).",
                    hint='Make one with: python -c "from cryptography.fernet import Fernet; '
                    'print(Fernet.generate_key().decode())"',
                    id="sellercloud.E001",
                )
            )
    return errors


@register(Tags.security, deploy=True)
def check_production_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    warnings: list[CheckMessage] = []
    if settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY:
        warnings.append(
            Warning(
                "SECRET_KEY is the public development key (SELLERCLOUD_DEMO or DJANGO_DEBUG let it through).",
                hint='Set DJANGO_SECRET_KEY: python -c "import secrets; print(secrets.token_urlsafe(50))"',
                id="sellercloud.W001",
            )
        )
    if not settings.FIELD_ENCRYPTION_KEYS:
        warnings.append(
            Warning(
                "FIELD_ENCRYPTION_KEYS is empty: stored secrets are encrypted with a key derived from SECRET_KEY.",
                hint='Set FIELD_ENCRYPTION_KEYS: python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())", then run `manage.py rotate_encryption_keys`.',
                id="sellercloud.W002",
            )
        )
    return warnings

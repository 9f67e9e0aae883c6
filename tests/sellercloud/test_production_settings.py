"""Production settings, loaded in a subprocess with a clean environment (what a server has): HSTS
follows DJANGO_SECURE_COOKIES (issue 14, point 6)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

ROOT = Path(settings.BASE_DIR)

# The production variables the README's Configuration table documents.
PRODUCTION = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "DJANGO_ALLOWED_HOSTS": "oms.example.com",
    "DJANGO_SECURE_COOKIES": "true",
    "TRUSTED_PROXY_COUNT": "1",
}


@pytest.fixture
def run(tmp_path):
    """Run Python code or a manage.py command with only `env` (plus PATH) set."""

    def run(*argv: str, **env: str) -> subprocess.CompletedProcess[str]:
        clean = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DJANGO_SETTINGS_MODULE": "sellercloud.settings",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            **env,
        }
        return subprocess.run(  # noqa: S603 (our interpreter and arguments)
            [sys.executable, *argv], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
        )

    return run


SHOW_HTTPS = (
    "from django.conf import settings as s; "
    "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER)"
)


def test_hsts_and_https_redirect_follow_secure_cookies(run):
    on = run("-c", SHOW_HTTPS, **PRODUCTION)
    off = run("-c", SHOW_HTTPS, **{**PRODUCTION, "DJANGO_SECURE_COOKIES": "false", "TRUSTED_PROXY_COUNT": "0"})

    assert on.returncode == 0, on.stderr
    assert on.stdout.strip().split(None, 3) == ["31536000", "True", "True", "('HTTP_X_FORWARDED_PROTO', 'https')"]
    assert off.returncode == 0, off.stderr
    assert off.stdout.split() == ["0", "False", "False", "None"]

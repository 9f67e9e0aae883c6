"""Production settings, loaded in a subprocess with a clean environment (what a server has): HSTS
follows DJANGO_SECURE_COOKIES (issue 14, point 6); no start without real keys unless a demo, the
tests or DEBUG say so, `check --deploy` clean with the README's production variables, and secrets
written with the key derived from the secret key still decrypt (point 7)."""

import base64
import hashlib
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


# --- No start without real keys (issue 14, point 7) ------------------------------------------

SHOW_KEYS = "from django.conf import settings as s; print(s.SECRET_KEY); print(s.FIELD_ENCRYPTION_KEYS)"
DEVELOPMENT_KEY = "dev-only-insecure-key-change-me-in-production-0123456789"  # public: it is in settings.py


SECRET, KEYS = "DJANGO_SECRET_KEY", "FIELD_ENCRYPTION_KEYS"


@pytest.mark.parametrize(
    ("env", "named", "not_named"),
    [
        ({}, [SECRET, KEYS], []),
        ({KEYS: PRODUCTION[KEYS]}, [SECRET], [KEYS]),
        ({SECRET: PRODUCTION[SECRET]}, [KEYS], [SECRET]),
        ({SECRET: DEVELOPMENT_KEY, KEYS: PRODUCTION[KEYS]}, [SECRET], [KEYS]),
        ({SECRET: "   ", KEYS: " , "}, [SECRET, KEYS], []),
    ],
    ids=["nothing", "no-secret-key", "no-encryption-keys", "the-development-key", "blank"],
)
def test_settings_refuse_to_load_without_real_keys(run, env, named, not_named):
    result = run("-c", SHOW_KEYS, **env)

    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured: Refusing to start without production keys." in result.stderr
    message = result.stderr[result.stderr.index("Refusing to start") :]
    for variable in named:
        assert f"- {variable}" in message
    for variable in not_named:
        assert f"- {variable}" not in message
    # it says how to make them
    if SECRET in named:
        assert 'python -c "import secrets; print(secrets.token_urlsafe(50))"' in message
    if KEYS in named:
        assert 'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"' in message
    assert "SELLERCLOUD_DEMO=1" in message
    assert result.stdout == ""


def test_a_refused_command_leaves_the_database_untouched(run, tmp_path):
    database = tmp_path / "db.sqlite3"

    for command in (["migrate", "--noinput"], ["seed_demo"]):
        result = run("manage.py", *command)
        assert result.returncode != 0
        assert "Refusing to start without production keys" in result.stderr

    assert not database.exists()


@pytest.mark.parametrize(
    ("env", "secret_key", "keys"),
    [
        ({"SELLERCLOUD_DEMO": "1"}, DEVELOPMENT_KEY, "[]"),
        ({"DJANGO_DEBUG": "true"}, DEVELOPMENT_KEY, "[]"),
        (PRODUCTION, PRODUCTION["DJANGO_SECRET_KEY"], f"['{PRODUCTION['FIELD_ENCRYPTION_KEYS']}']"),
    ],
    ids=["demo", "debug", "production"],
)
def test_the_demo_debug_or_real_keys_let_settings_load(run, env, secret_key, keys):
    result = run("-c", SHOW_KEYS, **env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [secret_key, keys]


def test_check_deploy_is_clean_with_the_production_variables(run):
    result = run("manage.py", "check", "--deploy", "--fail-level", "DEBUG", **PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    # security.W021 (HSTS preload) is the one silenced: see DJANGO_HSTS_PRELOAD in settings.py
    assert "System check identified no issues (1 silenced)." in result.stdout


def test_check_deploy_flags_the_demo_keys(run):
    result = run("manage.py", "check", "--deploy", "--fail-level", "WARNING", SELLERCLOUD_DEMO="1")

    assert result.returncode != 0
    assert "(sellercloud.W001) SECRET_KEY is the public development key" in result.stderr
    assert "(sellercloud.W002) FIELD_ENCRYPTION_KEYS is empty" in result.stderr


def derived_key(secret_key: str) -> str:
    """The Fernet key sellercloud derived from the secret key before FIELD_ENCRYPTION_KEYS was required."""
    return base64.urlsafe_b64encode(hashlib.sha256(("field-encryption:" + secret_key).encode()).digest()).decode()


DECRYPT = "import sys, django; django.setup(); from sellercloud.crypto import decrypt; print(decrypt(sys.argv[1]))"


@pytest.mark.parametrize("written_with", ["the-secret-key", "the-development-key"])
def test_secrets_written_with_the_derived_key_still_decrypt_with_production_keys(run, written_with):
    # given a secret stored before FIELD_ENCRYPTION_KEYS was required: encrypted with the key derived
    # from DJANGO_SECRET_KEY, or from the development key where DJANGO_SECRET_KEY was unset
    secret = PRODUCTION["DJANGO_SECRET_KEY"] if written_with == "the-secret-key" else DEVELOPMENT_KEY
    token = Fernet(derived_key(secret)).encrypt(b"client-secret-42").decode()

    # when the production keys are set
    result = run("-c", DECRYPT, token, **PRODUCTION)

    # then it still decrypts
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "client-secret-42"

"""Test bootstrap. Nothing configured: SQLite and the embedded Redis. DATABASE_URL / REDIS_URL
set: those servers. This runs before Django loads its settings (they read the environment)."""

import os

from sellercloud import embedded_redis

embedded_redis.ensure_redis_url()
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sellercloud.settings")
# Tests run on the public development keys, as the demo does; outside a demo or the tests,
# settings refuse to load without DJANGO_SECRET_KEY and FIELD_ENCRYPTION_KEYS. Subprocesses the
# tests start (workers, the sandbox) inherit it.
os.environ.setdefault("SELLERCLOUD_DEMO", "1")
# The test sandboxes listen on loopback; production allows no private network.
os.environ.setdefault("CDISCOUNT_ALLOWED_PRIVATE_NETWORKS", "127.0.0.0/8")
# Playwright's sync API runs an event loop in the test thread; Django's ORM calls from it are fine.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import django  # noqa: E402
from django.conf import settings  # noqa: E402

settings.DATABASES  # noqa: B018  (load settings now, so pytest-django sets Django up)
django.setup()

pytest_plugins = ["tests.sandbox_fixtures", "tests.worker_fixtures", "tests.invoices.word_fixtures"]

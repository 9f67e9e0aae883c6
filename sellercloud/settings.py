"""Settings: one file, driven by the environment (README.md lists every variable).

Production must set DJANGO_SECRET_KEY and FIELD_ENCRYPTION_KEYS: without them it refuses to
start, unless SELLERCLOUD_DEMO=1 (`make run`, the test suite, CI) or DJANGO_DEBUG says this is a
demo. Otherwise, with nothing configured it runs on SQLite and a Redis at REDIS_URL's default;
`make run` and the test suite start an embedded Redis and set REDIS_URL for it.
"""

import ipaddress
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# The secret key, and the Fernet keys (comma-separated, newest first: the first encrypts) of the
# secrets stored in the database (sellercloud/crypto.py). Both come from the environment.
# Without them, only a demo may run: `make run`, the test suite and CI say so with
# SELLERCLOUD_DEMO=1 (DJANGO_DEBUG=true too). It then uses the public development key below and
# a field key derived from it. Anything else refuses to start, because anyone can read that key
# here and a database dump would decrypt every client secret.
SELLERCLOUD_DEMO = env.bool("SELLERCLOUD_DEMO", default=False)
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-change-me-in-production-0123456789"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="").strip()
FIELD_ENCRYPTION_KEYS = [key.strip() for key in env.list("FIELD_ENCRYPTION_KEYS", default=[]) if key.strip()]
if not (DEBUG or SELLERCLOUD_DEMO):
    _missing = []
    if SECRET_KEY in ("", DEVELOPMENT_SECRET_KEY):
        _missing.append(
            "DJANGO_SECRET_KEY, the secret key (signs sessions and password reset links). Make one with:\n"
            '    python -c "import secrets; print(secrets.token_urlsafe(50))"'
        )
    if not FIELD_ENCRYPTION_KEYS:
        _missing.append(
            "FIELD_ENCRYPTION_KEYS, the key that encrypts client secrets and access tokens in the database "
            "(comma-separated, newest first). Make one with:\n"
            '    python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"\n'
            "  Secrets stored before with the key derived from the secret key still decrypt; "
            "`python manage.py rotate_encryption_keys` re-encrypts them with the new key."
        )
    if _missing:
        raise ImproperlyConfigured(
            "Refusing to start without production keys. Set these in the environment of every "
            "process (web, worker, beat, manage.py):\n"
            + "\n".join(f"- {item}" for item in _missing)
            + "\nFor a demo or development on this machine, set SELLERCLOUD_DEMO=1 instead (`make run` "
            "does): it uses the public development keys."
        )
SECRET_KEY = SECRET_KEY or DEVELOPMENT_SECRET_KEY

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "sellercloud",
    "channels.apps.ChannelsConfig",
    "orders",
    "invoices",
]

MIDDLEWARE = [
    # /healthz first: probes use the machine's address and plain HTTP (sellercloud.health).
    "sellercloud.health.HealthzMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so static files get the header too.
    "sellercloud.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Signed-in pages hold customers' data: browsers and proxies must not store them.
    "sellercloud.middleware.NoStoreWhenSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it answers throttled logins.
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy of every response (sellercloud.middleware): scripts and styles from our
# own static files only, no inline script or style, no eval, no plugins, not framed, forms post
# here only. Templates pass data to scripts through data- attributes or json_script. The shape is
# Django 6's SECURE_CSP, so that upgrade replaces only the middleware.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}

ROOT_URLCONF = "sellercloud.urls"
WSGI_APPLICATION = "sellercloud.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sellercloud.context_processors.shell",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: WAL lets readers run beside a writer, IMMEDIATE
    # takes the write lock at BEGIN (no deadlock on upgrade), and a busy timeout waits for it.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="sc"),
    }
}

AUTH_USER_MODEL = "sellercloud.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"  # orders' dashboard (issue 23), named here, not imported
LOGOUT_REDIRECT_URL = "login"

# Sessions end after this long without a request (each request renews the cookie).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=60 * 60 * 8)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Reverse proxies in front of gunicorn that the client address and scheme are taken from: 0
# (default) means none, REMOTE_ADDR is the client. With N, the Nth address from the right of
# X-Forwarded-For is the client's (sellercloud.login_throttle.client_ip_address), and
# X-Forwarded-Proto says whether the request came over HTTPS: the outermost proxy must overwrite
# that header, never pass on the client's.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT: the number of proxies in front of gunicorn, 0 or more.")
if TRUSTED_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# HTTPS only, once cookies are (DJANGO_SECURE_COOKIES): plain HTTP is redirected, and browsers
# are told by HSTS to use HTTPS for a year (SecurityMiddleware sends it on HTTPS responses).
SECURE_SSL_REDIRECT = env.bool("DJANGO_SSL_REDIRECT", default=SESSION_COOKIE_SECURE)
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=365 * 24 * 3600 if SESSION_COOKIE_SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
# Preload commits the whole registrable domain to HTTPS in browsers' built-in lists and is slow
# to undo: the owner of that domain decides (DJANGO_HSTS_PRELOAD), so check --deploy's reminder
# about it is silenced until then.
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Login throttling (django-axes, sellercloud.login_throttle): after LOGIN_FAILURE_LIMIT failures
# for a username from one address, or LOGIN_ADDRESS_FAILURE_LIMIT failures from one address
# whatever the usernames, further attempts are refused until the cool-off passes.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "sellercloud.login_throttle.LoginThrottleHandler"
AXES_CLIENT_IP_CALLABLE = "sellercloud.login_throttle.client_ip_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="oms@localhost")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "Europe/Paris"  # shown where no company applies; each company has its own
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Cdiscount (Octopia Seller API v2). The production hosts are the account's defaults; the local
# sandbox is what "Environment: Local sandbox" points at.
CDISCOUNT_API_BASE_URL = env("CDISCOUNT_API_BASE_URL", default="https://api.octopia-io.net/seller/v2")
CDISCOUNT_TOKEN_URL = env(
    "CDISCOUNT_TOKEN_URL",
    default="https://auth.octopia-io.net/auth/realms/maas/protocol/openid-connect/token",
)
CDISCOUNT_SANDBOX_URL = env("CDISCOUNT_SANDBOX_URL", default="http://127.0.0.1:8100")
CDISCOUNT_HTTP_TIMEOUT = env.float("CDISCOUNT_HTTP_TIMEOUT", default=30.0)
# Private networks the marketplace client may connect to (loopback, private, link-local and
# metadata addresses are refused otherwise, on every connection). Production lists none;
# `make run` and the tests list 127.0.0.0/8 for the local sandbox.
CDISCOUNT_ALLOWED_PRIVATE_NETWORKS = env.list("CDISCOUNT_ALLOWED_PRIVATE_NETWORKS", default=[])
try:
    for _network in CDISCOUNT_ALLOWED_PRIVATE_NETWORKS:
        ipaddress.ip_network(_network, strict=False)
except ValueError as _error:
    raise ImproperlyConfigured(f"CDISCOUNT_ALLOWED_PRIVATE_NETWORKS: {_error}") from None
# Download window overlap (SPEC S6) and retention of sync runs.
DOWNLOAD_OVERLAP_MINUTES = env.int("DOWNLOAD_OVERLAP_MINUTES", default=60)
SYNC_RUN_RETENTION_DAYS = env.int("SYNC_RUN_RETENTION_DAYS", default=90)

# Celery: Redis broker; acks_late so a killed worker's task is delivered again, and a visibility
# timeout of minutes (not the default hour) so that happens soon. Tasks are safe to run twice.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600)}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=540)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=570)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = "UTC"
# The beat's tick and a worker's heartbeat for /healthz (sellercloud.heartbeat); not ok after two.
HEALTH_HEARTBEAT_SECONDS = env.int("HEALTH_HEARTBEAT_SECONDS", default=30)
# The scheduler's tick: each tick claims the runs falling due before the next one and starts each
# at its due time (channels.runs.accounts_claim_due).
SCHEDULE_TICK_SECONDS = 60
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "sellercloud.heartbeat_task", "schedule": float(HEALTH_HEARTBEAT_SECONDS)},
    "download-due-accounts": {"task": "channels.tasks.download_tick_task", "schedule": float(SCHEDULE_TICK_SECONDS)},
    "upload-due-accounts": {"task": "channels.upload_tasks.upload_tick_task", "schedule": float(SCHEDULE_TICK_SECONDS)},
    "invoice-upload-due-accounts": {
        "task": "channels.tasks.invoice_upload_tick_task",
        "schedule": float(SCHEDULE_TICK_SECONDS),
    },
    # Orders compared with Cdiscount's (issue 23), at night when the API is quiet.
    "reconcile-nightly": {"task": "channels.tasks.reconcile_nightly_task", "schedule": crontab(hour=2, minute=41)},
    "purge-old-sync-runs": {
        "task": "channels.tasks.sync_runs_purge",
        "schedule": crontab(hour=3, minute=17),
    },
}

# Bulk Print Invoices: orders rendered per task (a worker's processes take chunks side by side),
# and how long one task works before it lists the orders left (well under the task time limit).
INVOICES_BULK_PRINT_CHUNK = env.int("INVOICES_BULK_PRINT_CHUNK", default=10)
INVOICES_BULK_PRINT_SECONDS = env.int("INVOICES_BULK_PRINT_SECONDS", default=420)

# The dashboard's two charts are drawn at most once a minute per set of companies (orders.dashboard).
DASHBOARD_CHARTS_SECONDS = env.int("DASHBOARD_CHARTS_SECONDS", default=60)

LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        # key=value lines, easy for log tools to parse; ids go in the message.
        "kv": {"format": "ts=%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "kv"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # WeasyPrint logs seven progress lines per PDF at INFO: noise, and time, on every invoice.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}},
}

# Marketplace call retries (GETs only): attempts and the first backoff delay in seconds. Tests
# and the CI chaos runs use small values so faults cost milliseconds.
CDISCOUNT_MAX_ATTEMPTS = env.int("CDISCOUNT_MAX_ATTEMPTS", default=5)
CDISCOUNT_BACKOFF_BASE = env.float("CDISCOUNT_BACKOFF_BASE", default=0.5)
# A download or an upload run holds its account's lock of its kind this long and renews it as it
# goes; a run whose heartbeat is older than DOWNLOAD_STALE_SECONDS is taken for dead (a killed worker).
DOWNLOAD_LOCK_TTL_SECONDS = env.int("DOWNLOAD_LOCK_TTL_SECONDS", default=120)
UPLOAD_LOCK_TTL_SECONDS = env.int("UPLOAD_LOCK_TTL_SECONDS", default=120)
DOWNLOAD_STALE_SECONDS = env.int("DOWNLOAD_STALE_SECONDS", default=300)
# Reconciliation: the period of `updatedAt` it compares, in days back from its start (issue 23).
RECONCILE_DAYS = env.int("RECONCILE_DAYS", default=14)
# Fulfillment upload: threads per run, the backoff of a temporary failure (doubling up to the
# max), attempts before a package is Failed, when a claim is taken for dead, packages per run, and
# how long Cdiscount's carrier list is cached.
UPLOAD_THREADS = env.int("UPLOAD_THREADS", default=8)
UPLOAD_BACKOFF_BASE_SECONDS = env.int("UPLOAD_BACKOFF_BASE_SECONDS", default=60)
UPLOAD_BACKOFF_MAX_SECONDS = env.int("UPLOAD_BACKOFF_MAX_SECONDS", default=3600)
UPLOAD_MAX_ATTEMPTS = env.int("UPLOAD_MAX_ATTEMPTS", default=20)
UPLOAD_CLAIM_STALE_SECONDS = env.int("UPLOAD_CLAIM_STALE_SECONDS", default=600)
UPLOAD_MAX_PACKAGES_PER_RUN = env.int("UPLOAD_MAX_PACKAGES_PER_RUN", default=5000)
UPLOAD_CARRIERS_CACHE_SECONDS = env.int("UPLOAD_CARRIERS_CACHE_SECONDS", default=6 * 3600)

# Word to PDF (issue 20): one LibreOffice converter (unoserver) kept running on loopback and
# reused, started by `manage.py run_converter` (make run; its own supervised process in
# production) or by the next print when it died. unoserver's server runs under the system Python
# that has LibreOffice's `uno` (apt-get install python3-uno); our processes talk to it over XML-RPC.
WORD_CONVERTER_PORT = env.int("WORD_CONVERTER_PORT", default=2003)
WORD_CONVERTER_UNO_PORT = env.int("WORD_CONVERTER_UNO_PORT", default=2002)
WORD_CONVERTER_PYTHON = env.str("WORD_CONVERTER_PYTHON", default="/usr/bin/python3")
WORD_CONVERTER_STATE_DIR = env.path("WORD_CONVERTER_STATE_DIR", default=BASE_DIR / "var")
# A conversion taking longer is taken for hung: the converter is killed (and restarts on the next print).
WORD_CONVERSION_TIMEOUT = env.int("WORD_CONVERSION_TIMEOUT", default=30)
WORD_TEMPLATE_MAX_BYTES = env.int("WORD_TEMPLATE_MAX_BYTES", default=5 * 1024 * 1024)
# Invoice plugins (SPEC S9): import paths of renderer classes, besides those installed packages
# declare in the `sellercloud.invoice_plugins` entry-point group.
INVOICE_PLUGINS = env.list("INVOICE_PLUGINS", default=[])
# Invoice upload (issue 21), on the fulfillment upload's interval, backoff, attempts and claims:
# invoices one run takes, how soon a Running import is read again, and when a run gives up on an
# import Cdiscount never finished.
INVOICE_UPLOAD_MAX_PER_RUN = env.int("INVOICE_UPLOAD_MAX_PER_RUN", default=500)
INVOICE_IMPORT_POLL_SECONDS = env.int("INVOICE_IMPORT_POLL_SECONDS", default=60)
INVOICE_IMPORT_GIVE_UP_HOURS = env.int("INVOICE_IMPORT_GIVE_UP_HOURS", default=48)

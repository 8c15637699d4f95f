"""Settings for the favorites service.

Every value comes from the environment (a `.env` file beside manage.py is read
when present; the real environment wins). With nothing set the service runs on
the embedded default: SQLite, the bundled demo catalog and the local-memory
cache. The README's Configuration table lists the variables.
"""

from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default="django-insecure-local-development-only")
else:
    SECRET_KEY = env("SECRET_KEY", default="")
    if not SECRET_KEY:
        raise SystemExit(
            "SECRET_KEY is not set: set the SECRET_KEY environment variable "
            "(or DEBUG=true for local development)."
        )

# The loopback names are always allowed so that a container's own health check
# (and an operator on the host) can reach the probes.
ALLOWED_HOSTS = [*env.list("ALLOWED_HOSTS", default=[]), "localhost", "127.0.0.1", "[::1]"]

INSTALLED_APPS = [
    "customers.admin_apps.AdminConfig",  # Django's admin, its login throttled
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "customers",
    "catalog",
    "favorites",
    "events",
    "audit",
    "analytics",
]

# Sessions, users and messages run for the admin's paths only (the API is
# token-authenticated and sessionless): favorites_project/admin_middleware.py.
MIDDLEWARE = [
    "favorites_project.middleware.RequestIdMiddleware",
    "favorites_project.metrics.MetricsMiddleware",
    "favorites_project.middleware.NoStoreMiddleware",
    "favorites_project.exceptions.ProblemDetailsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "favorites_project.admin_middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "favorites_project.admin_middleware.AuthenticationMiddleware",
    "favorites_project.admin_middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "favorites_project.urls"
WSGI_APPLICATION = "favorites_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "favorites_project" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite in the repo folder by default, PostgreSQL in production.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, with a health check that looks at the socket instead of sending
    # a `SELECT 1` before every request's first query (favorites_project/postgresql/).
    DATABASES["default"]["ENGINE"] = "favorites_project.postgresql"
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # The hot paths' statements, written once, are kept prepared by PostgreSQL once they
    # have run this many times on a connection (favorites_project/postgresql/); 0 turns
    # preparing off, for a pooler in transaction mode that cannot keep prepared statements.
    _prepare_threshold = env.int("DATABASE_PREPARE_THRESHOLD", default=5)
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = _prepare_threshold or None
# While the database cannot be reached requests answer 503 with this Retry-After (seconds).
DATABASE_RETRY_AFTER = env.int("DATABASE_RETRY_AFTER", default=5)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "customers.Customer"

# Cache: Redis (shared by every app server) when configured, local memory otherwise.
_cache_url = env.str("CACHE_URL", default="") or env.str("REDIS_URL", default="")
if _cache_url:
    CACHES = {"default": env.cache_url_config(_cache_url)}
    if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        CACHES["default"]["BACKEND"] = "favorites_project.caching.RedisCache"
    # A Redis that stops answering fails fast instead of holding a worker.
    CACHES["default"]["OPTIONS"] = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            # Room for a whole catalog's worth of product lookups (Django's default is 300).
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "customers.validators.NotOnlyWhitespaceValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
# Served by WhiteNoise from STATIC_ROOT (filled by collectstatic in the image).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Security: safe by default once DEBUG is off; TLS is usually ended at the load balancer.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
# The admin's messages (a new webhook secret among them) stay on the server, in the
# session, instead of a signed but readable cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# A CSRF failure (only the admin's forms and plain views check) is a problem, not HTML.
CSRF_FAILURE_VIEW = "favorites_project.exceptions.csrf_failure"
X_FRAME_OPTIONS = "DENY"

CORS_ALLOWED_ORIGINS = env.list(
    "CORS_ALLOWED_ORIGINS",
    default=["http://localhost:3000", "http://127.0.0.1:3000"] if DEBUG else [],
)
CORS_URLS_REGEX = r"^/api/.*$"
# A browser client can then quote a failed request's id (favorites_project/middleware.py).
CORS_EXPOSE_HEADERS = ["X-Request-ID"]

# The API.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "customers.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["favorites_project.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["favorites_project.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "favorites_project.negotiation.ContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "favorites_project.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "favorites_project.schema.AutoSchema",
    "EXCEPTION_HANDLER": "favorites_project.exceptions.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "login": env.str("LOGIN_THROTTLE_RATE", default="10/min"),
        "register": env.str("REGISTER_THROTTLE_RATE", default="5/min"),
    },
    # The client address is the socket peer unless the operator says how many
    # proxies in front of the service append to X-Forwarded-For.
    "NUM_PROXIES": env.int("TRUSTED_PROXY_COUNT", default=0),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# Request bodies: larger ones are refused with a 413 before they are read (Django's
# setting, read by the JSON parser too); JSON nested deeper is a 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
JSON_MAX_DEPTH = env.int("JSON_MAX_DEPTH", default=32)

REGISTRATION_OPEN = env.bool("REGISTRATION_OPEN", default=True)

# Failed password logins per account (its email), from any number of addresses;
# a lock lifts by itself when the period passes (customers/throttling.py).
LOGIN_ACCOUNT_THROTTLE_RATE = env.str("LOGIN_ACCOUNT_THROTTLE_RATE", default="20/hour")

# /metrics is open unless a token is set (or the load balancer keeps it internal).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env.str("JWT_SIGNING_KEY", default=SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "TOKEN_REFRESH_SERIALIZER": "customers.serializers.TokenRefreshSerializer",
    # Tokens carry a digest of the password hash: a password change revokes every
    # access token at once, not when it expires (checked in customers/authentication.py).
    "CHECK_REVOKE_TOKEN": True,
}

# How long an authenticated request may use a cached customer. Changes through the
# ORM drop it at once; this bounds the rest (customers/cache.py).
AUTH_CACHE_SECONDS = env.int("AUTH_CACHE_SECONDS", default=5)

# Seconds the demand analytics (GET /api/v1/stats/products/) may be old before a read
# recomputes them (analytics/selectors.py).
STATS_MAX_AGE = env.int("STATS_MAX_AGE", default=300)

# A customer's data version (the ETag of its lists) lives until a write retires it, or this long.
ETAG_VERSION_TTL = env.int("ETAG_VERSION_TTL", default=600)
# ETags need the one cache every process shares (Redis): with each process's own memory,
# one worker could answer 304 for a list that another has just changed.
ETAGS_ENABLED = env.bool("ETAGS_ENABLED", default=bool(_cache_url))
# Entries of the shared cache each process keeps in memory while Redis says they are
# unchanged (favorites_project/near_cache.py): customers, data versions, catalog answers.
# 0 turns it off. Each lives no longer than its key in Redis, nor CACHE_NEAR_SECONDS (what
# a message from Redis lost on the way could cost).
CACHE_NEAR_ENTRIES = env.int("CACHE_NEAR_ENTRIES", default=10_000)
CACHE_NEAR_SECONDS = env.float("CACHE_NEAR_SECONDS", default=5.0)

# Favorites (favorites/): the most one customer's list may hold; the rate of on-demand
# re-syncs of one favorite, per caller; bulk changes' catalog lookups (in flight at once,
# and one time budget for all of them, in seconds); how long an Idempotency-Key's answer
# is kept, and after how long a request still marked in progress is taken as abandoned.
FAVORITES_MAX_PER_CUSTOMER = env.int("FAVORITES_MAX_PER_CUSTOMER", default=1000)
FAVORITE_REFRESH_THROTTLE_RATE = env.str("FAVORITE_REFRESH_THROTTLE_RATE", default="30/min")
FAVORITES_BATCH_CATALOG_WORKERS = env.int("FAVORITES_BATCH_CATALOG_WORKERS", default=8)
FAVORITES_BATCH_CATALOG_BUDGET = env.float("FAVORITES_BATCH_CATALOG_BUDGET", default=5.0)
IDEMPOTENCY_KEY_TTL = env.int("IDEMPOTENCY_KEY_TTL", default=24 * 60 * 60)
IDEMPOTENCY_LOCK_SECONDS = env.int("IDEMPOTENCY_LOCK_SECONDS", default=60)

SPECTACULAR_SETTINGS = {
    "TITLE": "Favorites API",
    "DESCRIPTION": (
        "Each customer's list of favorite products, validated against the product "
        "catalog and snapshotted locally. Errors are RFC 9457 problem details "
        "(`application/problem+json`) with a stable `code`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Nothing leaves the machine: no validator badge (Swagger UI asks an outside host by
    # default); the token entered under "Authorize" survives a reload.
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None, "persistAuthorization": True},
    "REDOC_UI_SETTINGS": {"hideDownloadButton": False, "expandResponses": "200,201"},
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {"EventTypeEnum": "events.models.EventType"},
}

# The product catalog (see catalog/).
CATALOG_URL = env.str("CATALOG_URL", default="")
CATALOG_FORMAT = env.str("CATALOG_FORMAT", default="luizalabs")
CATALOG_CONNECT_TIMEOUT = env.float("CATALOG_CONNECT_TIMEOUT", default=0.5)
CATALOG_READ_TIMEOUT = env.float("CATALOG_READ_TIMEOUT", default=2.0)
CATALOG_CACHE_TTL = env.int("CATALOG_CACHE_TTL", default=300)
# Not-found answers are cached briefly, so a product added to the catalog shows up soon.
CATALOG_NOT_FOUND_TTL = env.int("CATALOG_NOT_FOUND_TTL", default=30)
# One lookup never takes longer than this, retries and backoff included (seconds).
CATALOG_TOTAL_TIMEOUT = env.float("CATALOG_TOTAL_TIMEOUT", default=3.0)
# Extra attempts on connection errors and 502/503/504, with exponential backoff.
CATALOG_RETRIES = env.int("CATALOG_RETRIES", default=2)
CATALOG_RETRY_BACKOFF = env.float("CATALOG_RETRY_BACKOFF", default=0.1)
# After this many failed lookups in a row, fail fast for the cool-down (seconds).
CATALOG_BREAKER_THRESHOLD = env.int("CATALOG_BREAKER_THRESHOLD", default=5)
CATALOG_BREAKER_COOLDOWN = env.float("CATALOG_BREAKER_COOLDOWN", default=30.0)
# Responses larger than this are refused; the fakestore list (unpaged) has its own cap.
CATALOG_MAX_RESPONSE_BYTES = env.int("CATALOG_MAX_RESPONSE_BYTES", default=1024 * 1024)
CATALOG_MAX_LIST_RESPONSE_BYTES = env.int(
    "CATALOG_MAX_LIST_RESPONSE_BYTES", default=8 * 1024 * 1024
)
CATALOG_POOL_SIZE = env.int("CATALOG_POOL_SIZE", default=20)

# Events (docs/events.md): a favorite.price_dropped event is written when a price falls at
# least this many percent below the price last announced for that favorite.
PRICE_DROP_MIN_PERCENT = env.float("PRICE_DROP_MIN_PERCENT", default=5.0)

# Background work on Celery (favorites_project/celery.py), Redis as the broker. Without a
# broker (the embedded default, `make run`) tasks run in the process that sends them.
_broker_url = env.str("CELERY_BROKER_URL", default="") or env.str("REDIS_URL", default="")
CELERY_BROKER_URL = _broker_url or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not _broker_url)
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="favorites")
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged when it ends, so a worker that dies mid-task loses nothing; every
# task is idempotent (deliveries and refresh chunks claim their rows).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A broker that does not answer fails fast: the outbox keeps the event for the sweeper.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=1.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Every key the broker writes starts with this (several deployments on one Redis).
    "global_keyprefix": env.str("CELERY_BROKER_KEY_PREFIX", default=""),
    "socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT,
    "socket_timeout": 5,
    # Longer than any countdown the service gives a task (WEBHOOK_RETRY_QUEUE_LIMIT).
    "visibility_timeout": 3600,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 0}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Workers and beat log as the service does (LOG_FORMAT, request ids, secrets redacted):
# Celery keeps its hands off the root logger that Django configured.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# While the broker refused a task, senders do not try again for this long (seconds).
CELERY_PUBLISH_PAUSE = env.float("CELERY_PUBLISH_PAUSE", default=10.0)
# The Celery worker serves its own /metrics on this port when set (docs/operations.md).
CELERY_WORKER_METRICS_PORT = env.int("CELERY_WORKER_METRICS_PORT", default=0)

# Webhooks (docs/events.md).
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=False)
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
WEBHOOK_CONNECT_TIMEOUT = env.float("WEBHOOK_CONNECT_TIMEOUT", default=3.0)
# The whole request, the answer's first bytes to its last, never takes longer than this.
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10.0)
# At most this much of an answer is read; the rest is never downloaded.
WEBHOOK_MAX_RESPONSE_BYTES = env.int("WEBHOOK_MAX_RESPONSE_BYTES", default=64 * 1024)
# Retries: exponential backoff from the first delay, each delay jittered and capped, for
# this long after the event; then the delivery is marked failed.
WEBHOOK_RETRY_FIRST_DELAY = env.float("WEBHOOK_RETRY_FIRST_DELAY", default=30.0)
WEBHOOK_RETRY_MAX_DELAY = env.float("WEBHOOK_RETRY_MAX_DELAY", default=3600.0)
WEBHOOK_RETRY_FOR = env.float("WEBHOOK_RETRY_FOR", default=24 * 3600.0)
# A retry due within this many seconds is queued with a countdown; later ones are left to
# the sweeper (an ETA task longer than the broker's visibility timeout would run twice).
WEBHOOK_RETRY_QUEUE_LIMIT = env.float("WEBHOOK_RETRY_QUEUE_LIMIT", default=900.0)
# The sweeper (every EVENTS_SWEEP_INTERVAL seconds) takes what no task has picked up for
# EVENTS_SWEEP_AFTER seconds: events never dispatched, deliveries overdue.
EVENTS_SWEEP_INTERVAL = env.float("EVENTS_SWEEP_INTERVAL", default=60.0)
EVENTS_SWEEP_AFTER = env.float("EVENTS_SWEEP_AFTER", default=60.0)
# The events committed in one process within this many seconds go to the workers as one
# task (events/services.py, EventDispatchQueue); 0 sends a task at each commit.
EVENTS_DISPATCH_WINDOW = env.float("EVENTS_DISPATCH_WINDOW", default=0.05)


def _seconds(value: str) -> float:
    """A duration: seconds, or a number with s, m, h or d ("90", "15m", "6h", "7d")."""
    value = value.strip()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if value and value[-1] in units:
        return float(value[:-1]) * units[value[-1]]
    return float(value)


# The scheduled refresh (favorites/refresh.py): every REFRESH_INTERVAL, the products whose
# snapshots are older than REFRESH_STALE_AFTER, in chunks of REFRESH_CHUNK_SIZE product ids.
# REFRESH_STALE_AFTER is half the interval unless set: at the full interval, a product that
# a run refreshed some minutes after it started would not be stale yet when the next run
# starts, and would wait for the one after (a 12-hour cycle on a 6-hour schedule).
REFRESH_INTERVAL = _seconds(env.str("REFRESH_INTERVAL", default="6h"))
_stale_after = env.str("REFRESH_STALE_AFTER", default="")
REFRESH_STALE_AFTER = _seconds(_stale_after) if _stale_after else REFRESH_INTERVAL / 2
REFRESH_CHUNK_SIZE = env.int("REFRESH_CHUNK_SIZE", default=100)
# A run whose chunks made no progress this long has its unfinished ones queued again.
REFRESH_STALL_AFTER = _seconds(env.str("REFRESH_STALL_AFTER", default="10m"))
# Catalog lookups a second by every refresh worker together (0: no limit), paced through
# Redis (the broker's, unless CATALOG_RATE_LIMIT_REDIS_URL says another).
CATALOG_MAX_REQUESTS_PER_SECOND = env.float("CATALOG_MAX_REQUESTS_PER_SECOND", default=20.0)
CATALOG_RATE_LIMIT_REDIS_URL = env.str("CATALOG_RATE_LIMIT_REDIS_URL", default=_broker_url)
CATALOG_RATE_LIMIT_KEY = env.str("CATALOG_RATE_LIMIT_KEY", default="favorites:rate-limit:catalog")

# What beat (`make beat`, one process per deployment) sends, and how often (seconds).
CELERY_BEAT_SCHEDULE = {
    "events-sweep": {"task": "events.sweep", "schedule": EVENTS_SWEEP_INTERVAL},
    "favorites-refresh-requeue": {
        "task": "favorites.refresh_requeue",
        "schedule": EVENTS_SWEEP_INTERVAL,
    },
    "favorites-refresh": {"task": "favorites.refresh", "schedule": REFRESH_INTERVAL},
    "events-purge": {"task": "events.purge", "schedule": 3600.0},
    "favorites-idempotency-purge": {
        "task": "favorites.idempotency_purge",
        "schedule": 3600.0,
    },
}
# Events (and their deliveries) are kept this many days, then purged hourly by beat;
# the replay API reaches back as far. A delivery still pending keeps its event.
EVENTS_RETENTION_DAYS = env.int("EVENTS_RETENTION_DAYS", default=30)
# The replay API shows events this many seconds old or older: every transaction that
# writes events is short (never open during a network call), so none commits later with
# an older id than one already shown.
EVENTS_REPLAY_SETTLE = env.float("EVENTS_REPLAY_SETTLE", default=5.0)


# Logs (favorites_project/logs.py, docs/operations.md): one JSON object a line unless
# DEBUG is on; every line carries its request's id, and secrets are taken out of all of them.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in ("plain", "json"):
    raise SystemExit(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}.")
LOGGING_CONFIG = "favorites_project.logs.configure"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "favorites_project.logs.RequestContextFilter"},
        "redact": {"()": "favorites_project.logs.RedactingFilter"},
    },
    "formatters": {
        "plain": {"()": "favorites_project.logs.PlainFormatter"},
        "json": {"()": "favorites_project.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_context", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own handlers (a second console line with DEBUG on, mail to ADMINS) off:
        # its records go to the root's one handler like every other.
        "django": {"handlers": [], "level": "INFO"},
        "django.request": {"level": "ERROR"},
    },
}

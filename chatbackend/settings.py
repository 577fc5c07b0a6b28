"""Every setting of the project, read once from the environment (and `.env` when present)."""

import hashlib
import warnings
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from chatbackend.configuration import database_settings, logging_config, signing_key

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
EMBEDDED_DB = not env.str("DATABASE_URL", default="")
# Deployment hardening (manage.py check --deploy): on by default outside DEBUG and the embedded database.
PRODUCTION = not DEBUG and not EMBEDDED_DB

# Database: MySQL/MariaDB (or a SQLite file) from DATABASE_URL, or the embedded SQLite file for trying it out.
DATABASES = {"default": database_settings(env.str("DATABASE_URL", default=""), embedded_file=BASE_DIR / "db.sqlite3")}
# The token signing key: JWT_SECRET, else the key file that `make run` writes (see configuration.signing_key).
JWT_SECRET = signing_key(
    env.str("JWT_SECRET", default=""),
    key_file=Path(env.str("JWT_SECRET_FILE", default=str(BASE_DIR / ".jwt_secret"))),
    production=PRODUCTION,
)
# Django's own key (sessions of the admin, password reset tokens): its own secret, or one derived from JWT_SECRET.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=hashlib.sha256(f"django:{JWT_SECRET}".encode()).hexdigest())
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"])
PORT = env.int("PORT", default=3000)

SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
# TLS usually ends at the proxy, which redirects plain HTTP itself; set this to redirect here instead.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = [r"^api/(live|health|ready)/?$"]
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "chatbackend",  # operations commands (wait_for_db), the API docs pages and the demo client
    "accounts",
    "rooms",
    "messaging",
    "presence",
]

MIDDLEWARE = [
    "chatbackend.logcontext.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "chatbackend.urls"
ASGI_APPLICATION = "chatbackend.asgi.application"
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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

DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "accounts.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
BCRYPT_ROUNDS = env.int("BCRYPT_ROUNDS", default=12)
# Django's password validators. "compatible" (the default) asks for PASSWORD_MIN_LENGTH characters and nothing else:
# the contract sets no password rule, and clients written for the original API must keep registering the passwords
# they use (test suites often use ones like "password123"). "strict" adds Django's similarity, common-password and
# all-digits checks (and a minimum of at least 8); production deployments should turn it on.
PASSWORD_MIN_LENGTH = env.int("PASSWORD_MIN_LENGTH", default=6)
_PASSWORD_VALIDATION = "django.contrib.auth.password_validation."
PASSWORD_VALIDATION = env.str("PASSWORD_VALIDATION", default="compatible")
if PASSWORD_VALIDATION == "strict":
    AUTH_PASSWORD_VALIDATORS = [
        {"NAME": _PASSWORD_VALIDATION + "UserAttributeSimilarityValidator"},
        {
            "NAME": _PASSWORD_VALIDATION + "MinimumLengthValidator",
            "OPTIONS": {"min_length": max(8, PASSWORD_MIN_LENGTH)},
        },
        {"NAME": _PASSWORD_VALIDATION + "CommonPasswordValidator"},
        {"NAME": _PASSWORD_VALIDATION + "NumericPasswordValidator"},
    ]
else:
    AUTH_PASSWORD_VALIDATORS = [
        {"NAME": _PASSWORD_VALIDATION + "MinimumLengthValidator", "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH}}
    ]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = True  # serve app static files without collectstatic (make run collects them anyway)
WHITENOISE_ROOT = BASE_DIR / "chatbackend" / "public"  # files served at / itself: favicon.ico
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

# Request bodies: a message is at most 4,000 characters, so 1 MB is generous; more is answered with 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MAX_BODY_BYTES", default=1_000_000)

# Uploads (POST /api/uploads): files go through Django's storage API. By default they are files under MEDIA_ROOT,
# which nothing serves directly: the API serves each one after checking the reader may read its room. Any other
# storage by configuration, e.g. S3-compatible with django-storages (README, "Attachments"):
# STORAGE_BACKEND=storages.backends.s3.S3Storage and its options as JSON in STORAGE_OPTIONS.
MEDIA_ROOT = BASE_DIR / env.str("MEDIA_ROOT", default="media")  # relative to the checkout, or absolute
STORAGES = {
    "default": {
        "BACKEND": env.str("STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"),
        "OPTIONS": env.json("STORAGE_OPTIONS", default={}) or {"location": str(MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# An upload above this many bytes is refused with 413 while it streams in; bigger than FILE_UPLOAD_MAX_MEMORY_SIZE
# (Django's 2.5 MB), it is spooled to a temporary file, never held in memory.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=10_000_000)

# CORS: unset means same origin only; "*" allows any origin.
_cors_origins = env.list("CORS_ORIGIN", default=[])
CORS_ALLOW_ALL_ORIGINS = "*" in _cors_origins
CORS_ALLOWED_ORIGINS = [origin for origin in _cors_origins if origin != "*"]
CORS_URLS_REGEX = r"^/(api|socket\.io)/.*$"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.BearerAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["chatbackend.parsers.LimitedJSONParser"],
    "EXCEPTION_HANDLER": "chatbackend.exception_handler.rest_exception_handler",
    "UNAUTHENTICATED_USER": None,
    # Client addresses for throttling: REMOTE_ADDR unless NUM_PROXIES trusted proxies add X-Forwarded-For.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "DEFAULT_SCHEMA_CLASS": "chatbackend.schema.ChatAutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "chatbackend API",
    "DESCRIPTION": (
        "REST half of the chat backend. Send `Authorization: Bearer <token>` (from register or login) on every"
        " call but register, login, refresh, health and ready. Errors always have the shape"
        ' `{"error": {"code", "message", "details?"}}`. The real-time half (Socket.IO) is described at'
        " [/api/docs/socketio/](/api/docs/socketio/)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "COMPONENT_SPLIT_PATCH": False,  # a PATCH body has the same required fields as its serializer
    "SCHEMA_PATH_PREFIX": "/api",
    "PREPROCESSING_HOOKS": ["chatbackend.schema.drop_trailing_slash_duplicates"],
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "chatbackend.schema.add_examples"],
    # Swagger UI and ReDoc from drf-spectacular-sidecar's files: the docs work offline and without a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "/favicon.ico",
    "REDOC_DIST": "SIDECAR",
    # validatorUrl: null, or Swagger UI fetches a badge from validator.swagger.io on every page view.
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "displayRequestDuration": True, "validatorUrl": None},
    # System fonts: ReDoc's default theme names Montserrat and Roboto, which the page would fetch from Google.
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {"fontFamily": "system-ui, sans-serif", "headings": {"fontFamily": "system-ui, sans-serif"}}
        }
    },
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=env.int("JWT_ACCESS_TTL_SECONDS", default=24 * 3600)),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=env.int("JWT_REFRESH_TTL_SECONDS", default=30 * 24 * 3600)),
    "SIGNING_KEY": JWT_SECRET,
    "ALGORITHM": "HS256",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "UPDATE_LAST_LOGIN": False,
    # Claims of the wrong type are refused as invalid tokens, never a 500 (accounts/tokens.py).
    "AUTH_TOKEN_CLASSES": ("accounts.tokens.ChatAccessToken",),
}

REDIS_URL = env.str("REDIS_URL", default="")

# The cache holds throttle counters: shared through Redis when there are several processes.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("SOCKETIO_CHANNEL", default="chatbackend") + ":cache",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CHAT = {
    # Lengths in characters, after cleaning; the model fields take theirs from here (a change needs a migration).
    "MESSAGE_MAX_LENGTH": 4000,
    "NAME_MAX_LENGTH": 100,
    "REACTION_MAX_LENGTH": 32,
    "CLIENT_MSG_ID_MAX_LENGTH": 64,
    "INVITE_CODE_MAX_LENGTH": 32,
    # Invite links: live ones (neither expired nor used up) per room, and the bounds of their limits.
    "INVITES_PER_ROOM_MAX": env.int("INVITES_PER_ROOM_MAX", default=100),
    "INVITE_MAX_USES": 10_000,
    "INVITE_MAX_SECONDS": 30 * 24 * 3600,
    # Page sizes of history and member lists.
    "HISTORY_DEFAULT_LIMIT": 50,
    "HISTORY_MAX_LIMIT": 100,
    # Distinct emoji on one message, and distinct emoji one user puts on one message (then `too_many_reactions`).
    "REACTIONS_PER_MESSAGE_MAX": env.int("REACTIONS_PER_MESSAGE_MAX", default=50),
    "REACTIONS_PER_USER_MAX": env.int("REACTIONS_PER_USER_MAX", default=10),
    # JSON nested deeper than this is refused before parsing (REST: 400 malformed_request; Socket.IO: closed).
    "JSON_MAX_DEPTH": env.int("JSON_MAX_DEPTH", default=32),
    # Attachments one message carries; uploads nobody attached are purged after ORPHAN_UPLOAD_HOURS
    # (`manage.py purge_uploads`).
    "MESSAGE_MAX_ATTACHMENTS": env.int("MESSAGE_MAX_ATTACHMENTS", default=10),
    "ORPHAN_UPLOAD_HOURS": env.int("ORPHAN_UPLOAD_HOURS", default=24),
    "MESSAGE_RATE_LIMIT": env.int("MESSAGE_RATE_LIMIT", default=5),
    "MESSAGE_RATE_WINDOW_MS": env.int("MESSAGE_RATE_WINDOW_MS", default=10_000),
    # Threads (and so DB connections) that run ORM work for the Socket.IO handlers of one process.
    "DB_THREADS": env.int("DB_THREADS", default=8),
    # Group commit of socket sends: a batch is written once its oldest send waited this long, or once it is full.
    "BATCH_MAX_DELAY_MS": env.float("BATCH_MAX_DELAY_MS", default=2.0),
    "BATCH_MAX_SIZE": env.int("BATCH_MAX_SIZE", default=200),
    # How soon the interpreter hands over from a busy event loop to a DB thread whose statement returned.
    "GIL_SWITCH_INTERVAL_MS": env.float("GIL_SWITCH_INTERVAL_MS", default=1.0),
    "TYPING_TIMEOUT_MS": env.int("TYPING_TIMEOUT_MS", default=5000),
    # `typing` events relayed per connection per second; the rest are acknowledged and dropped quietly.
    "TYPING_RATE_PER_SECOND": env.int("TYPING_RATE_PER_SECOND", default=5),
    # An engine.io session that has not sent its Socket.IO CONNECT (the handshake) by then is closed.
    "SOCKETIO_CONNECT_TIMEOUT_MS": env.int("SOCKETIO_CONNECT_TIMEOUT_MS", default=5000),
    # Presence: each process refreshes its heartbeat; a process silent for PRESENCE_TTL_MS is reaped.
    "PRESENCE_HEARTBEAT_MS": env.int("PRESENCE_HEARTBEAT_MS", default=2000),
    "PRESENCE_TTL_MS": env.int("PRESENCE_TTL_MS", default=6000),
    "SOCKETIO_CHANNEL": env.str("SOCKETIO_CHANNEL", default="chatbackend"),
    "SOCKETIO_MAX_PAYLOAD_BYTES": env.int("SOCKETIO_MAX_PAYLOAD_BYTES", default=1_000_000),
    "MAX_CONNECTIONS_PER_USER": env.int("MAX_CONNECTIONS_PER_USER", default=20),
    # Connections of the event loop's Redis pool (presence, live stats); bursts wait for one beyond that.
    "REDIS_POOL_SIZE": env.int("REDIS_POOL_SIZE", default=16),
    # On SIGTERM, events in flight get this long to finish and be acknowledged before connections close.
    "SHUTDOWN_GRACE_MS": env.int("SHUTDOWN_GRACE_MS", default=10_000),
    # Abuse limits, DRF rate syntax ("N/second|minute|hour|day"): per client IP and per account.
    "THROTTLE_RATES": {
        "login_ip": env.str("THROTTLE_LOGIN_IP", default="30/minute"),
        "login_account": env.str("THROTTLE_LOGIN_ACCOUNT", default="10/minute"),
        "register_ip": env.str("THROTTLE_REGISTER_IP", default="20/hour"),
        "register_account": env.str("THROTTLE_REGISTER_ACCOUNT", default="5/hour"),
        "invite_code_failures": env.str("THROTTLE_INVITE_CODE_FAILURES", default="10/hour"),
        "uploads": env.str("THROTTLE_UPLOADS", default="60/hour"),
    },
}

# Socket.IO fan-out between processes goes through the Channels layer: one Redis pub/sub channel per room, sharded
# by consistent hashing over REDIS_SHARD_URLS (comma-separated; REDIS_URL alone by default). Presence, rate limits
# and the cache stay on REDIS_URL, which may be one of the shards. Changing the list moves rooms between shards:
# restart every process together.
REDIS_SHARD_URLS = env.list("REDIS_SHARD_URLS", default=[REDIS_URL] if REDIS_URL else [])
if REDIS_SHARD_URLS and not REDIS_URL:
    raise ImproperlyConfigured("REDIS_SHARD_URLS needs REDIS_URL too (presence and rate limits live there).")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # channels_redis.pubsub.RedisPubSubChannelLayer with pipelined publishes: chatbackend/channels_layer.py
            "BACKEND": "chatbackend.channels_layer.RedisPubSubLayer",
            "CONFIG": {
                # Timeouts as chatbackend/redis_clients.py's: a hung Redis fails an operation instead of holding it.
                "hosts": [
                    {"address": url, "socket_connect_timeout": 2, "socket_timeout": 5} for url in REDIS_SHARD_URLS
                ],
                # Pub/sub is not separated by database number: the prefix keeps deployments apart.
                "prefix": CHAT["SOCKETIO_CHANNEL"] + ".",
            },
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Operations: /metrics (Prometheus) is served when METRICS_ENABLED; with METRICS_TOKEN it needs that bearer token.
METRICS_ENABLED = env.bool("METRICS_ENABLED", default=True)
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# `manage.py wait_for_db` (run before serving) gives up after this many seconds.
DB_WAIT_SECONDS = env.int("DB_WAIT_SECONDS", default=60)

# Logging: plain lines, or one JSON object per line with LOG_FORMAT=json; every line carries `request_id`, the id
# of the HTTP request (X-Request-ID) or Socket.IO connection (sid) being served, "-" outside of both.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
_ACCESS_LOG_LEVEL = env.str("ACCESS_LOG_LEVEL", default="INFO")
LOGGING = logging_config(
    log_format=LOG_FORMAT,
    level=env.str("LOG_LEVEL", default="INFO"),
    access_level=_ACCESS_LOG_LEVEL,
    event_level=env.str("EVENT_LOG_LEVEL", default=_ACCESS_LOG_LEVEL),
)

"""Every setting of the project, read once from the environment (and `.env` when present)."""

import secrets
import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
EMBEDDED_DB = "DATABASE_URL" not in env


def _jwt_secret() -> str:
    """The token signing key: JWT_SECRET, or a key generated once and kept beside the embedded database."""
    if "JWT_SECRET" in env:
        return env.str("JWT_SECRET")
    if not (DEBUG or EMBEDDED_DB):
        raise ImproperlyConfigured("JWT_SECRET is required when DEBUG is off and DATABASE_URL is set.")
    key_file = BASE_DIR / ".jwt_secret"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


JWT_SECRET = _jwt_secret()
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=JWT_SECRET)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"])
PORT = env.int("PORT", default=3000)

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
    "channels",
    "accounts",
    "rooms",
    "messaging",
    "presence",
]

MIDDLEWARE = [
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

# Database: MySQL/MariaDB from DATABASE_URL, or an embedded SQLite file for trying the project out.
if EMBEDDED_DB:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / "db.sqlite3",
            # Several DB threads write at once; wait for the lock instead of failing at once.
            "OPTIONS": {"timeout": 20},
        }
    }
else:
    _database: dict[str, Any] = dict(env.db("DATABASE_URL"))
    if _database["ENGINE"] == "django.db.backends.mysql":
        _database["OPTIONS"] = {
            **_database.get("OPTIONS", {}),
            "charset": "utf8mb4",
            "init_command": "SET sql_mode='STRICT_TRANS_TABLES'",
        }
        _database["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    DATABASES = {"default": _database}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "accounts.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
BCRYPT_ROUNDS = env.int("BCRYPT_ROUNDS", default=12)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = True  # serve app static files without collectstatic (make run collects them anyway)
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

# Request bodies: a message is at most 4,000 characters, so 1 MB is generous; more is answered with 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MAX_BODY_BYTES", default=1_000_000)

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
    "EXCEPTION_HANDLER": "chatbackend.errors.rest_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "chatbackend API",
    "DESCRIPTION": "REST half of the chat backend; the Socket.IO events are described in README.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api",
    "PREPROCESSING_HOOKS": ["chatbackend.schema.drop_trailing_slash_duplicates"],
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
}

REDIS_URL = env.str("REDIS_URL", default="")

CHAT = {
    "MESSAGE_MAX_LENGTH": 4000,
    "NAME_MAX_LENGTH": 100,
    "HISTORY_DEFAULT_LIMIT": 50,
    "HISTORY_MAX_LIMIT": 100,
    "REACTION_MAX_LENGTH": 32,
    "MESSAGE_RATE_LIMIT": env.int("MESSAGE_RATE_LIMIT", default=5),
    "MESSAGE_RATE_WINDOW_MS": env.int("MESSAGE_RATE_WINDOW_MS", default=10_000),
    # Threads (and so DB connections) that run ORM work for the Socket.IO handlers of one process.
    "DB_THREADS": env.int("DB_THREADS", default=8),
    "TYPING_TIMEOUT_MS": env.int("TYPING_TIMEOUT_MS", default=5000),
    # Presence: each process refreshes its heartbeat; a process silent for PRESENCE_TTL_MS is reaped.
    "PRESENCE_HEARTBEAT_MS": env.int("PRESENCE_HEARTBEAT_MS", default=2000),
    "PRESENCE_TTL_MS": env.int("PRESENCE_TTL_MS", default=6000),
    "SOCKETIO_CHANNEL": env.str("SOCKETIO_CHANNEL", default="chatbackend"),
    "SOCKETIO_MAX_PAYLOAD_BYTES": env.int("SOCKETIO_MAX_PAYLOAD_BYTES", default=100_000),
}

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": CHAT["SOCKETIO_CHANNEL"] + ":channels"},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
    },
}

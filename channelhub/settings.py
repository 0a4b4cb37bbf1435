"""ChannelHub settings, read from the environment (twelve-factor).

SQLite under ``var/`` is the embedded default. ``DATABASE_URL`` switches to PostgreSQL; the URL's
user owns the tables and runs migrations, while the application itself connects as the
non-owner role ``DATABASE_APP_USER`` so that row-level security applies to it.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CHANNELHUB_VAR_DIR", BASE_DIR / "var"))
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)


def env_flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


DEBUG = env_flag("DEBUG")


def local_secret_key() -> str:
    """A random key made once per installation (var/secret_key), never a constant in the code."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        import secrets
        import tempfile

        # Written aside, then hard-linked into place: a second process starting at the same
        # moment either wins the link or reads the complete key of the first.
        with tempfile.NamedTemporaryFile("w", dir=VAR_DIR, delete=False, encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(50))
        try:
            os.link(handle.name, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(handle.name)
    return path.read_text(encoding="ascii").strip()


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if env_flag("CHANNELHUB_PRODUCTION"):
        raise RuntimeError("SECRET_KEY must be set in production (CHANNELHUB_PRODUCTION=1)")
    SECRET_KEY = local_secret_key()
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "channelhub.core",
    "channelhub.tenancy",
    "channelhub.regions",
    "channelhub.rules",
    "channelhub.partners",
    "channelhub.catalog",
    "channelhub.finance",
    "channelhub.orders",
    "channelhub.workflow",
    "channelhub.messaging",
    "channelhub.demo",
    "channelhub.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "channelhub.web.middleware.CookieLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "channelhub.core.middleware.ApiErrorShapeMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "channelhub.urls"
WSGI_APPLICATION = "channelhub.wsgi.application"
AUTH_USER_MODEL = "tenancy.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "channelhub.web.context_processors.tenant",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    owner = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
    parts = urlsplit(DATABASE_URL)
    app_user = os.environ.get("DATABASE_APP_USER", "channelhub_app")
    app = {**owner, "USER": app_user, "PASSWORD": os.environ.get("DATABASE_APP_PASSWORD", "")}
    # A connection pool per process (psycopg_pool), shared by the web server's threads: each
    # request takes a connection and hands it back at its end, so idle threads hold none. The
    # brand scope is per transaction, so nothing leaks between users.
    # The statements every order runs go through core.sql.cursor(), which binds parameters on the
    # server: one a connection has run five times is prepared, and PostgreSQL no longer parses
    # and plans it (a third of its work per order). Prepared statements live in a connection; the
    # pool is in-process, never a transaction-mode pooler. The ORM keeps client-side binding.
    app["OPTIONS"] = {
        "pool": {
            "min_size": env_int("DATABASE_POOL_MIN", 1),
            "max_size": env_int("DATABASE_POOL_MAX", 10),
            "timeout": 10,
        },
        "prepare_threshold": 5,
    }
    # The application role never creates databases: in tests it uses the owner's test database.
    app["TEST"] = {"MIRROR": "owner"}
    owner["TEST"] = {"DEPENDENCIES": []}
    # Row-level security reads a per-transaction setting, so every request is one transaction.
    app["ATOMIC_REQUESTS"] = True
    DATABASES = {"default": app, "owner": owner}
    DATABASE_ROUTERS = ["channelhub.tenancy.rls.OwnerMigratesRouter"]
    MIGRATION_DATABASE = "owner"
    POSTGRES_HOST_URL = urlunsplit(parts._replace(path="/postgres"))
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(VAR_DIR / "channelhub.sqlite3")),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": ("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"),
            },
        }
    }
    MIGRATION_DATABASE = "default"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, tasks -------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Auth ---------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_flag("SECURE_COOKIES")
CSRF_COOKIE_SECURE = env_flag("SECURE_COOKIES")

# --- I18N ---------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "channelhub" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static -------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/bpmn-js", BASE_DIR / "node_modules" / "bpmn-js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # SpiffWorkflow logs every task state change at INFO: far too much for a busy approval system.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "spiff": {"level": "WARNING"}},
}

# API page size: lists are paged, never unbounded.
API_PAGE_SIZE = 50
API_MAX_PAGE_SIZE = 200
NINJA_PAGINATION_PER_PAGE = API_PAGE_SIZE
NINJA_PAGINATION_MAX_LIMIT = API_MAX_PAGE_SIZE

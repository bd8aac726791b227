"""Settings shared by every environment.

Why these choices:
- SQLite is the embedded default so that one command runs a ward on a laptop in a commune
  office with no server; production sets DATABASE_URL to PostgreSQL.
- Uploaded documents live under VAR_DIR/uploads, outside any web root, and are served only by
  a view that checks the reader may see the dossier (no MEDIA_URL is routed).
- Vietnamese is the default language and Asia/Ho_Chi_Minh the zone: deadlines are in local
  working days, so "today" must be the commune's today.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF

BASE_DIR = Path(__file__).resolve().parents[3]
VAR_DIR = Path(os.environ.get("MOTCUA_VAR_DIR", BASE_DIR / "var"))

SECRET_KEY = os.environ.get("MOTCUA_SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = os.environ.get("MOTCUA_DEBUG", "0") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("MOTCUA_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "motcua.core",
    "motcua.geo",
    "motcua.org",
    "motcua.calendar",
    "motcua.catalog",
    "motcua.dossiers",
    "motcua.portal",
    "motcua.registers",
    "motcua.queueing",
    "motcua.feedback",
    "motcua.notify",
    "motcua.quality",
    "motcua.staffing",
    "motcua.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "motcua.org.middleware.ForcePasswordChangeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "motcua.core.middleware.StaffIdleTimeoutMiddleware",
    "motcua.core.middleware.HtmxLoginRedirectMiddleware",
    "motcua.core.middleware.NoStoreMiddleware",
    "motcua.core.middleware.DomainErrorMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "motcua.config.urls"
WSGI_APPLICATION = "motcua.config.wsgi.application"

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
                "motcua.core.context_processors.site",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'motcua.sqlite3'}",
        conn_max_age=int(os.environ.get("MOTCUA_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # Server-side binding lets psycopg prepare a statement run 5 times on a connection, so
    # PostgreSQL stops re-planning the same queries on every request.
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets readers (status lookups) run while an officer writes; the busy timeout makes a
    # second writer wait instead of failing with "database is locked". synchronous=FULL syncs the
    # WAL at every commit: with NORMAL a power cut can roll back a committed receipt, and its code
    # would be handed to the next dossier while the resident holds the printed slip.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Wrong passwords (django-axes, counted in the database so every worker sees them): 5 per account
# or 20 per client address lock the login for 15 minutes; see motcua/core/login_guard.py. The
# guard backend comes first; it has no get_user, so test clients' force_login uses ModelBackend.
# The API's bearer tokens never go through authenticate() and are not counted.
AUTHENTICATION_BACKENDS = [
    "motcua.core.login_guard.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "motcua.core.login_guard.ThrottlingHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = int(os.environ.get("MOTCUA_LOGIN_ACCOUNT_FAILURE_LIMIT", "5"))
MOTCUA_LOGIN_CLIENT_FAILURE_LIMIT = int(os.environ.get("MOTCUA_LOGIN_CLIENT_FAILURE_LIMIT", "20"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("MOTCUA_LOGIN_LOCK_MINUTES", "15")))
AXES_CLIENT_IP_CALLABLE = "motcua.core.login_guard.client_ip"
AXES_USERNAME_CALLABLE = "motcua.core.login_guard.username_of"
AXES_LOCKOUT_CALLABLE = "motcua.core.login_guard.lockout_response"
# A successful login does not wipe the client's count (one valid account would otherwise reset
# the per-address counter of someone guessing other accounts); the lock ends with the cool-off.
AXES_RESET_ON_SUCCESS = False

# Staff sessions end after 8 hours without a request. The idle-timeout middleware renews the
# session at most every MOTCUA_SESSION_RENEW_SECONDS instead of writing it on every request
# (docs/decisions.md, "Staff sessions end after 8 hours idle").
SESSION_COOKIE_AGE = 8 * 3600
SESSION_SAVE_EVERY_REQUEST = False
MOTCUA_SESSION_IDLE_SECONDS = SESSION_COOKIE_AGE
MOTCUA_SESSION_RENEW_SECONDS = 300

# Content-Security-Policy (django-csp): everything from this origin, no inline script at all.
# The printed forms' one <style> (the @page size of A5 or A4) carries the request's nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "motcua" / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"

UPLOAD_ROOT = VAR_DIR / "uploads"
# The old wards' registers a data officer uploads, and what the merge makes of them: one folder
# per merge job, outside any web root, served only through the job's view (commune check).
REGISTERS_ROOT = VAR_DIR / "registers"
# A ward's register in CSV is ~120 bytes a row: 50 MB is ~400,000 rows per file.
MOTCUA_MAX_REGISTER_BYTES = int(os.environ.get("MOTCUA_MAX_REGISTER_BYTES", str(50 * 1024 * 1024)))

# Background work (the register merge): Django's task framework (the django-tasks backport
# until Django 6), queued in the database and run by `motcua db_worker`, which `motcua serve`
# starts beside gunicorn unless MOTCUA_TASK_WORKER=0 (then run it as its own service).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Scans of one paper document are rarely above a few MB; 10 MB stops abuse without refusing
# a phone photo of a land certificate.
MOTCUA_MAX_UPLOAD_BYTES = int(os.environ.get("MOTCUA_MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# The public status lookup is the one page an outsider can hammer with guesses: a code is
# guessable, the 4 phone digits are 1 in 10,000. Limit attempts per client address; the counters
# live in the database, shared by every worker (motcua.core.ratelimit), and a code is also
# locked after wrong digits from any address (MOTCUA_LOOKUP_CODE_* at the end of this file).
MOTCUA_LOOKUP_RATE = os.environ.get("MOTCUA_LOOKUP_RATE", "20/600")  # attempts / seconds

# Base URL printed in the QR code on the receipt (Mẫu 01): the resident's status page. In
# development it follows the bind address when unset (`motcua serve`, hence tools/run, passes it
# as MOTCUA_SERVE_URL); production has no default at all (the deploy check motcua.E001 refuses
# to start without it, see production.py).
MOTCUA_PUBLIC_URL = (
    os.environ.get("MOTCUA_PUBLIC_URL") or os.environ.get("MOTCUA_SERVE_URL") or "http://127.0.0.1:8000"
).rstrip("/")

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "motcua",
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("MOTCUA_LOG_LEVEL", "WARNING")},
}

# Online submission and intake files (issue 7 §3.4): an anonymous client may submit a few
# dossiers an hour; one submission carries at most so many files and bytes. Files are staged
# beside UPLOAD_ROOT ("<UPLOAD_ROOT>-staging" unless MOTCUA_UPLOAD_STAGING_ROOT is set) and moved
# in when the transaction commits; the intake form keeps the scans of a rejected attempt there
# for MOTCUA_PENDING_UPLOAD_SECONDS.
MOTCUA_SUBMIT_RATE = os.environ.get("MOTCUA_SUBMIT_RATE", "5/3600")  # submissions / seconds per client
MOTCUA_SUBMIT_MAX_FILES = int(os.environ.get("MOTCUA_SUBMIT_MAX_FILES", "10"))
MOTCUA_SUBMIT_MAX_BYTES = int(os.environ.get("MOTCUA_SUBMIT_MAX_BYTES", str(30 * 1024 * 1024)))
MOTCUA_UPLOAD_STAGING_ROOT = os.environ.get("MOTCUA_UPLOAD_STAGING_ROOT", "")
MOTCUA_PENDING_UPLOAD_SECONDS = int(os.environ.get("MOTCUA_PENDING_UPLOAD_SECONDS", "7200"))

# ---- Residents' status lookup: shared limiter, trusted proxy, code lockout (issue 7 §3.3) ----
# The client address behind a reverse proxy: the request header the proxy appends the client's
# address to (e.g. HTTP_X_FORWARDED_FOR with nginx's proxy_add_x_forwarded_for), and how many
# proxies of ours append to it (the address that many entries from the right is used, so what a
# client writes in the header itself is ignored). Empty: the socket's address (REMOTE_ADDR).
MOTCUA_TRUSTED_PROXY_HEADER = os.environ.get("MOTCUA_TRUSTED_PROXY_HEADER", "")
MOTCUA_TRUSTED_PROXY_COUNT = int(os.environ.get("MOTCUA_TRUSTED_PROXY_COUNT", "1"))
# A dossier code is locked for lookups by phone digits after this many wrong second factors
# from any address, for this many seconds (the QR link keeps working).
MOTCUA_LOOKUP_CODE_FAILURES = int(os.environ.get("MOTCUA_LOOKUP_CODE_FAILURES", "5"))
MOTCUA_LOOKUP_CODE_LOCK_SECONDS = int(os.environ.get("MOTCUA_LOOKUP_CODE_LOCK_SECONDS", "900"))
# The QR secret in residents' status links (and the phone digits in lookup queries) never reach
# the logs: redacted in every record of Django's request logger and of the console handler.
from typing import Any  # noqa: E402

_logging: dict[str, Any] = LOGGING
_logging.setdefault("filters", {})["redact_secrets"] = {"()": "motcua.portal.redact.RedactSecrets"}
_logging["handlers"]["console"].setdefault("filters", []).append("redact_secrets")
_logging.setdefault("loggers", {}).setdefault("django.request", {}).setdefault("filters", []).append(
    "redact_secrets"
)

# Register merge (motcua/registers): caps on an uploaded register, checked at upload and before
# reading (a small .xlsx may declare a billion rows or unzip to gigabytes), and the time a merge
# may run before its child process is stopped (docs/registers-contract.md).
MOTCUA_REGISTER_MAX_ROWS = int(os.environ.get("MOTCUA_REGISTER_MAX_ROWS", "1000000"))
MOTCUA_REGISTER_MAX_COLUMNS = int(os.environ.get("MOTCUA_REGISTER_MAX_COLUMNS", "60"))
MOTCUA_REGISTER_MAX_UNCOMPRESSED_BYTES = int(
    os.environ.get("MOTCUA_REGISTER_MAX_UNCOMPRESSED_BYTES", str(512 * 1024 * 1024))
)
MOTCUA_MERGE_TIME_LIMIT_SECONDS = int(os.environ.get("MOTCUA_MERGE_TIME_LIMIT_SECONDS", "3600"))

# ---- The hall's queue (issue 8) ----
# Anonymous ticket requests per client address: a phone holds a few live tickets, but the
# hall's own Wi-Fi puts many phones behind one address, hence a generous window.
MOTCUA_TICKET_RATE = os.environ.get("MOTCUA_TICKET_RATE", "30/600")  # tickets / seconds per client
# The average service time used by the placeholder wait estimate (position × this) until the
# estimator of motcua/queueing/estimate.py replaces it.
MOTCUA_QUEUE_AVG_SERVICE_SECONDS = int(os.environ.get("MOTCUA_QUEUE_AVG_SERVICE_SECONDS", "300"))
# A called ticket may be recalled this many times; the next press of «Gọi lại» marks it no-show.
MOTCUA_QUEUE_MAX_RECALLS = int(os.environ.get("MOTCUA_QUEUE_MAX_RECALLS", "3"))
# Live (not yet finished) tickets one phone may hold at a center on a day; kiosks have no cap.
MOTCUA_QUEUE_PHONE_MAX_LIVE = int(os.environ.get("MOTCUA_QUEUE_PHONE_MAX_LIVE", "3"))
# Live tickets, and future bookings, one client address may hold at a center (a phone that drops
# its cookie, a script on the anonymous API). Loose: a carrier's NAT puts many phones behind one.
MOTCUA_QUEUE_ADDRESS_MAX_LIVE = int(os.environ.get("MOTCUA_QUEUE_ADDRESS_MAX_LIVE", "20"))
MOTCUA_QUEUE_ADDRESS_MAX_BOOKINGS = int(os.environ.get("MOTCUA_QUEUE_ADDRESS_MAX_BOOKINGS", "10"))
# Appointments (issue 8 §7): the center's sessions cut into each group's slots (local time), how
# far ahead residents may book, how early before the slot they may check in, and how many future
# bookings one phone may hold at a center.
MOTCUA_QUEUE_SESSIONS = os.environ.get("MOTCUA_QUEUE_SESSIONS", "07:30-11:30,13:30-17:00")
MOTCUA_QUEUE_BOOKING_DAYS = int(os.environ.get("MOTCUA_QUEUE_BOOKING_DAYS", "14"))
MOTCUA_QUEUE_CHECKIN_EARLY_MINUTES = int(os.environ.get("MOTCUA_QUEUE_CHECKIN_EARLY_MINUTES", "15"))
MOTCUA_QUEUE_MAX_BOOKINGS = int(os.environ.get("MOTCUA_QUEUE_MAX_BOOKINGS", "2"))

# ---- Pushed events: the hall's event streams (issue 8 §6; motcua/queueing/streams.py) ----
# `motcua serve` runs uvicorn workers under gunicorn: the event stream is an asyncio task, every
# other request runs Django's WSGI handler in a pool of this many threads per worker process.
MOTCUA_THREADS = int(os.environ.get("MOTCUA_THREADS", "4"))
# A stream closes after this many seconds (the browser reconnects with Last-Event-ID).
MOTCUA_SSE_MAX_SECONDS = int(os.environ.get("MOTCUA_SSE_MAX_SECONDS", "3600"))
# Open streams of the stream server (or of each uvicorn worker when those are chosen); one more
# is refused with 503 and Retry-After. Keep it below the process's open-file limit (LimitNOFILE).
MOTCUA_SSE_MAX_STREAMS = int(os.environ.get("MOTCUA_SSE_MAX_STREAMS", "2000"))
# A comment line this often keeps proxies and phones from closing an idle stream.
MOTCUA_SSE_HEARTBEAT_SECONDS = float(os.environ.get("MOTCUA_SSE_HEARTBEAT_SECONDS", "15"))
# Events waiting for one slow client; beyond that it is dropped and reconnects with Last-Event-ID.
MOTCUA_SSE_QUEUE_SIZE = int(os.environ.get("MOTCUA_SSE_QUEUE_SIZE", "256"))
# Events replayed to a client that reconnects with Last-Event-ID (the newest ones of the day).
MOTCUA_SSE_REPLAY = int(os.environ.get("MOTCUA_SSE_REPLAY", "200"))
# SQLite has no NOTIFY: the process reads new events this often (one query for all its streams).
MOTCUA_SSE_POLL_SECONDS = float(os.environ.get("MOTCUA_SSE_POLL_SECONDS", "0.5"))

# The hall board's spoken call (issue 8 §5): the clips shipped in
# motcua/queueing/static/queueing/voice/ (made by tools/make_voice.sh). A ward that recorded its
# own puts files of the same names (e.g. moi-cong-dan-co-so.ogg, chu-b.ogg, quay-3.ogg) in this
# folder: it is searched ahead of the shipped clips, so any file it lacks keeps the shipped one.
# Run `motcua collectstatic --noinput` after changing it (production serves collected files).
MOTCUA_VOICE_DIR = os.environ.get("MOTCUA_VOICE_DIR", "").strip()
STATICFILES_DIRS = [("queueing/voice", MOTCUA_VOICE_DIR)] if MOTCUA_VOICE_DIR else []

# Open event streams of one client address (motcua.core.ratelimit.client_key) in the stream
# server: a hall's TV, a few phones behind one NAT, the officers' consoles. One more: 429 with
# Retry-After (issue 8 hardening; MOTCUA_SSE_MAX_STREAMS caps them all).
MOTCUA_SSE_MAX_STREAMS_PER_CLIENT = int(os.environ.get("MOTCUA_SSE_MAX_STREAMS_PER_CLIENT", "20"))

# Feedback (issue 9): the reporter may reopen a resolved item within this many days; an open
# item is flagged this many working days before its deadline.
MOTCUA_FEEDBACK_REOPEN_DAYS = int(os.environ.get("MOTCUA_FEEDBACK_REOPEN_DAYS", "7"))
MOTCUA_FEEDBACK_NEAR_DAYS = int(os.environ.get("MOTCUA_FEEDBACK_NEAR_DAYS", "1"))

# ---- Notifications (issue 9 §6; motcua/notify, docs/operations.md «Thông báo») ----
# The channel for a resident's phone: CONSOLE (written to the motcua.notify log: development, the
# demo), SMS (a brandname gateway) or ZALO (ZNS, falling back to SMS when Zalo cannot deliver).
MOTCUA_NOTIFY_PHONE_CHANNEL = os.environ.get("MOTCUA_NOTIFY_PHONE_CHANNEL", "CONSOLE").upper()
MOTCUA_SMS_URL = os.environ.get("MOTCUA_SMS_URL", "")
MOTCUA_SMS_KEY = os.environ.get("MOTCUA_SMS_KEY", "")
MOTCUA_SMS_BRANDNAME = os.environ.get("MOTCUA_SMS_BRANDNAME", "")
MOTCUA_ZALO_URL = os.environ.get("MOTCUA_ZALO_URL", "")
MOTCUA_ZALO_TOKEN = os.environ.get("MOTCUA_ZALO_TOKEN", "")
MOTCUA_ZALO_TEMPLATE_ID = os.environ.get("MOTCUA_ZALO_TEMPLATE_ID", "")
# Tries of one message before it is FAILED (or, on Zalo, sent by SMS instead), the waits between
# them (seconds: 1, 5, 15, 60 min, 3 h…), a gateway's time to answer, and how long a worker holds
# a message it is sending before another may take it again (the first one died).
MOTCUA_NOTIFY_MAX_ATTEMPTS = int(os.environ.get("MOTCUA_NOTIFY_MAX_ATTEMPTS", "6"))
MOTCUA_NOTIFY_BACKOFF_SECONDS = [
    int(s) for s in os.environ.get("MOTCUA_NOTIFY_BACKOFF_SECONDS", "60,300,900,3600,10800").split(",")
]
MOTCUA_NOTIFY_HTTP_TIMEOUT = float(os.environ.get("MOTCUA_NOTIFY_HTTP_TIMEOUT", "10"))
MOTCUA_NOTIFY_LEASE_SECONDS = int(os.environ.get("MOTCUA_NOTIFY_LEASE_SECONDS", "60"))
# Opt-out link requests per client address (each sends one message to the address typed).
MOTCUA_NOTIFY_OPT_OUT_RATE = os.environ.get("MOTCUA_NOTIFY_OPT_OUT_RATE", "5/3600")
# A queue ticket with a phone gets one SMS when this many people are ahead of it.
MOTCUA_NOTIFY_QUEUE_AHEAD = int(os.environ.get("MOTCUA_NOTIFY_QUEUE_AHEAD", "3"))
EMAIL_BACKEND = os.environ.get("MOTCUA_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("MOTCUA_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("MOTCUA_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("MOTCUA_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("MOTCUA_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("MOTCUA_EMAIL_TLS", "") == "1"
# Below MOTCUA_NOTIFY_LEASE_SECONDS: a send never outlasts the claim on its message (notify.sending).
EMAIL_TIMEOUT = float(os.environ.get("MOTCUA_EMAIL_TIMEOUT", "20"))
DEFAULT_FROM_EMAIL = os.environ.get("MOTCUA_EMAIL_FROM", "motcua@localhost")

# Issue 9's remaining knobs, said out loud (the code reads them with these same defaults).
MOTCUA_FEEDBACK_PHOTO_MAX_BYTES = int(os.environ.get("MOTCUA_FEEDBACK_PHOTO_MAX_BYTES", str(5 * 1024 * 1024)))
MOTCUA_FEEDBACK_PHOTO_MAX_SIDE = int(os.environ.get("MOTCUA_FEEDBACK_PHOTO_MAX_SIDE", "8000"))
# An opt-out link works this many days; a resident asks for a new one after that.
MOTCUA_NOTIFY_OPT_OUT_MAX_AGE_DAYS = int(os.environ.get("MOTCUA_NOTIFY_OPT_OUT_MAX_AGE_DAYS", "90"))
# «Nhắn tin khi sắp đến lượt»: phone numbers set per client, and queue notices per number a day.
MOTCUA_QUEUE_NOTIFY_PHONE_RATE = os.environ.get("MOTCUA_QUEUE_NOTIFY_PHONE_RATE", "5/600")
MOTCUA_NOTIFY_QUEUE_DAILY_CAP = int(os.environ.get("MOTCUA_NOTIFY_QUEUE_DAILY_CAP", "3"))

# Residents' ratings (issue 10): a counter tablet offers the service finished at its counter
# within this many minutes; rating pages take at most MOTCUA_RATING_RATE posts per client address,
# a counter tablet MOTCUA_RATING_TABLET_RATE per tablet (not per address: the office's one NAT).
MOTCUA_RATING_TABLET_WINDOW_MINUTES = int(os.environ.get("MOTCUA_RATING_TABLET_WINDOW_MINUTES", "15"))
MOTCUA_RATING_RATE = os.environ.get("MOTCUA_RATING_RATE", "20/600")
MOTCUA_RATING_TABLET_RATE = os.environ.get("MOTCUA_RATING_TABLET_RATE", "120/600")

# Live imbalance alerts (issue 11 §5, staffing.alerts): a group's line is "building" beyond this
# many people waiting or this oldest wait; a counter is idle after this many minutes without a
# call; a line of at most MOTCUA_STAFFING_ALERT_SHORT_LINE is short; a department's backlog beyond
# MOTCUA_STAFFING_ALERT_BACKLOG open dossiers (0: 1.5× its 8-week average); a move lasts this long.
MOTCUA_STAFFING_ALERT_WAITING = int(os.environ.get("MOTCUA_STAFFING_ALERT_WAITING", "10"))
MOTCUA_STAFFING_ALERT_OLDEST_MINUTES = int(os.environ.get("MOTCUA_STAFFING_ALERT_OLDEST_MINUTES", "20"))
MOTCUA_STAFFING_ALERT_IDLE_MINUTES = int(os.environ.get("MOTCUA_STAFFING_ALERT_IDLE_MINUTES", "10"))
MOTCUA_STAFFING_ALERT_SHORT_LINE = int(os.environ.get("MOTCUA_STAFFING_ALERT_SHORT_LINE", "2"))
MOTCUA_STAFFING_ALERT_BACKLOG = int(os.environ.get("MOTCUA_STAFFING_ALERT_BACKLOG", "0"))
MOTCUA_STAFFING_ALERT_SMALL_BACKLOG = int(os.environ.get("MOTCUA_STAFFING_ALERT_SMALL_BACKLOG", "5"))
MOTCUA_STAFFING_ALERT_MOVE_MINUTES = int(os.environ.get("MOTCUA_STAFFING_ALERT_MOVE_MINUTES", "60"))

# The staffing advisor (issue 11 §4): counters are recommended so that this share of residents is
# called within this wait.
MOTCUA_STAFFING_TARGET_WAIT_SECONDS = int(os.environ.get("MOTCUA_STAFFING_TARGET_WAIT_SECONDS", "900"))
MOTCUA_STAFFING_SERVICE_LEVEL = float(os.environ.get("MOTCUA_STAFFING_SERVICE_LEVEL", "0.8"))
# Alert detection on reading the alerts page or an officer's banner: at most once per this many
# seconds per commune and process (the pages poll every 20 s).
MOTCUA_STAFFING_ALERT_DETECT_SECONDS = int(os.environ.get("MOTCUA_STAFFING_ALERT_DETECT_SECONDS", "15"))

"""Production: PostgreSQL through DATABASE_URL, HTTPS behind a reverse proxy.

Every value that differs between installations is read from the environment (see
.env.example); nothing secret has a default here, so a forgotten variable fails loudly.
"""

import os

from .base import *  # noqa: F403

# Never on in production, whatever MOTCUA_DEBUG says: DEBUG pages show settings and source.
DEBUG = False
# The address residents reach (QR code and link on Mẫu 01). No default: a receipt printed with
# 127.0.0.1 sends every resident nowhere; `motcua check --deploy` fails without it (motcua.E001).
MOTCUA_PUBLIC_URL = os.environ.get("MOTCUA_PUBLIC_URL", "").strip().rstrip("/")
SECRET_KEY = os.environ["MOTCUA_SECRET_KEY"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = os.environ.get("MOTCUA_SSL_REDIRECT", "1") == "1"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("MOTCUA_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("MOTCUA_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

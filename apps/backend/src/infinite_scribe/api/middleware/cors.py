"""CORS for frontends on another origin (Starlette's CORSMiddleware, configured from Settings).

Bearer tokens travel in the Authorization header, never in cookies, so credentials stay off
and `*` is a safe choice for a public API. See docs/decisions/0900-browser-api-surface.md.
"""

from typing import Any

from starlette.middleware.cors import CORSMiddleware

from infinite_scribe.settings.settings import Settings

#: Any port on the loopback names (a Vite/Next dev server beside `scribe up`).
LOCALHOST_ORIGINS = r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$"
ALLOWED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
#: What a browser client sends beyond the CORS-safelisted headers.
ALLOWED_HEADERS = (
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "X-Idempotency-Key",
    "X-Request-ID",
    "traceparent",
)
#: What a browser client may read from an answer beyond the safelisted ones.
EXPOSED_HEADERS = ("X-Request-ID", "Location", "Idempotent-Replayed", "Retry-After")
PREFLIGHT_MAX_AGE_SECONDS = 600


def cors_middleware(settings: Settings) -> tuple[type[CORSMiddleware], dict[str, Any]] | None:
    """The middleware and its options, or None when no origin is allowed (then a preflight is
    answered like any OPTIONS request: 405, and browsers refuse the cross-origin call)."""
    localhost = settings.allows_localhost_origins()
    if not settings.cors_origins and not localhost:
        return None
    return CORSMiddleware, {
        "allow_origins": list(settings.cors_origins),
        "allow_origin_regex": LOCALHOST_ORIGINS if localhost else None,
        "allow_methods": list(ALLOWED_METHODS),
        "allow_headers": list(ALLOWED_HEADERS),
        "expose_headers": list(EXPOSED_HEADERS),
        "allow_credentials": False,
        "max_age": PREFLIGHT_MAX_AGE_SECONDS,
    }

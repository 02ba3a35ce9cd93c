"""Idempotency keys: validation, the request fingerprint, the server-side `auto:` key, scopes.

The store itself is a port, with its types: `application/ports/idempotency.py`.
"""

import hashlib
from urllib.parse import parse_qsl, urlencode

MAX_KEY_LENGTH = 255
AUTO_KEY_PREFIX = "auto:"


def valid_key(key: str) -> bool:
    """1-255 printable ASCII characters (space included, control characters not): the ASCII
    characters `isprintable` accepts are exactly " " to "~" (a C loop, not a Python one)."""
    return 0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()


def fingerprint(method: str, path: str, query_string: bytes, body: bytes) -> str:
    """SHA-256 over method, path, the query with its parameters sorted, and the raw body."""
    query = ""
    if query_string:
        pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
        query = urlencode(sorted(pairs))
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), query.encode("latin-1")):
        digest.update(part)
        digest.update(b"\n")
    digest.update(body)
    return digest.hexdigest()


def auto_key(request_fingerprint: str) -> str:
    """The server-side key for routes that opt in: `auto:` + 32 hex digits."""
    return AUTO_KEY_PREFIX + hashlib.sha256(request_fingerprint.encode()).hexdigest()[:32]


def user_scope(user_id: object) -> str:
    """Keys are scoped to the authenticated user: two users never share a key."""
    return f"user:{user_id}"

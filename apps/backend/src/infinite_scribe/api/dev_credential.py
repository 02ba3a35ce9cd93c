"""The development operator's credential on the embedded default (issue 41, C1; decision 3100).

The embedded default signs tokens with `DEV_JWT_SECRET`, which is in the source: anyone can sign
a token for any user with it, and the console hands the development writer one. So a token
signed with it proves nothing by itself. The token `scribe up` prints also carries a random key
kept in `$SCRIBE_DATA_DIR/dev-operator-key` (mode 0600, made once); on the embedded default an
operator is only an operator with that key, which only the machine's own user can read.
"""

import hmac
import os
import secrets
from pathlib import Path
from uuid import UUID

import jwt

from infinite_scribe.api.auth import OPERATOR_ROLE, create_access_token
from infinite_scribe.settings.settings import DEV_JWT_SECRET, Settings

#: The user of `scribe up`'s development token.
DEV_USER_ID = UUID("00000000-0000-4000-8000-000000000001")
DEV_TOKEN_TTL = 7 * 24 * 3600
#: The development writer's name (the console's header says it, in the page's language).
DEV_NAME = "Development writer"
KEY_CLAIM = "dev_key"
KEY_FILE = "dev-operator-key"


def offers_dev_token(settings: Settings) -> bool:
    """Only the embedded default signs with the development secret: every other run refuses
    to start with it (Settings.check_serving_secret), so this is the embedded-default test."""
    return (
        settings.jwt_algorithm == "HS256"
        and settings.jwt_secret_key.get_secret_value() == DEV_JWT_SECRET
    )


def dev_key(data_dir: Path) -> str:
    """The data directory's development key, made on first use (O_EXCL: two processes that
    start together agree on one key)."""
    path = data_dir / KEY_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as file:
        file.write(key)
    return key


def development_token(settings: Settings, *, operator: bool = False) -> str:
    """The token `scribe up` prints (and the console's development operator keeps)."""
    roles = [OPERATOR_ROLE] if operator else []
    extra = {KEY_CLAIM: dev_key(settings.scribe_data_dir), "name": DEV_NAME}
    return create_access_token(settings, DEV_USER_ID, DEV_TOKEN_TTL, roles=roles, extra=extra)


def carries_dev_key(settings: Settings, verified_token: str) -> bool:
    """Whether a token that passed verification holds this data directory's key."""
    claims = jwt.decode(verified_token, options={"verify_signature": False})
    held = claims.get(KEY_CLAIM)
    if not isinstance(held, str):
        return False
    return hmac.compare_digest(held.encode(), dev_key(settings.scribe_data_dir).encode())

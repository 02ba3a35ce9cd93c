"""Migration 0036 on a populated inbox (decision 7204): a key a user reused on two sessions
(possible before, once its 24 h record expired) keeps its newest command and the older rows
are renamed, so the key's index can be the user's; the downgrade brings the session's back."""

import asyncpg
import pytest

from infinite_scribe.persistence import migrate
from tests.support.one_value import one_value

BEFORE = "0035_continuity_backlog"
_USER = "11111111-1111-1111-1111-111111111111"
_SEED = f"""
INSERT INTO command_inbox (session_id, user_id, command_type, idempotency_key, created_at)
VALUES (gen_random_uuid(), '{_USER}', 'ConfirmStage', 'reused', now() - interval '2 days'),
       (gen_random_uuid(), '{_USER}', 'ConfirmStage', 'reused', now() - interval '1 day'),
       (gen_random_uuid(), '{_USER}', 'ConfirmStage', 'once', now()),
       (gen_random_uuid(), NULL, 'ConfirmStage', 'no-user', now()),
       (gen_random_uuid(), NULL, 'ConfirmStage', 'no-user', now())
"""
_KEYS = (
    "SELECT string_agg(split_part(idempotency_key, ':', 1) || '/' || "
    "(idempotency_key LIKE '%:superseded:%')::text, ',' ORDER BY created_at, idempotency_key) "
    "FROM command_inbox"
)
_SAME_KEY = (
    f"INSERT INTO command_inbox (session_id, user_id, command_type, idempotency_key) "
    f"VALUES (gen_random_uuid(), '{_USER}', 'ConfirmStage', 'once')"
)


def test_reused_keys_are_renamed_and_the_key_becomes_the_users(fresh_database: object) -> None:
    url = str(fresh_database())  # type: ignore[operator]
    migrate.upgrade(url, BEFORE)
    one_value(url, _SEED)

    migrate.upgrade(url)

    # The older "reused" row is renamed; the newest keeps the key; rows of no user are left.
    assert one_value(url, _KEYS) == (
        "reused/true,reused/false,no-user/false,no-user/false,once/false"
    )
    with pytest.raises(asyncpg.UniqueViolationError):
        one_value(url, _SAME_KEY)  # another session of the same user: the user's key
    assert (
        one_value(url, "SELECT count(*) FROM command_inbox WHERE request_fingerprint IS NULL") == 5
    )

    migrate.downgrade(url, BEFORE)
    one_value(url, _SAME_KEY)  # the session's key again: another session may use it

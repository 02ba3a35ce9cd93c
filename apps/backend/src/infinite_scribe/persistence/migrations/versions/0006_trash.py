"""Trash: indexes for the trash list and the retention sweeper, and the one sanctioned
mutation of `domain_events`: erasing the payloads of a purged aggregate.

The append-only trigger still refuses every DELETE and every UPDATE but this one: the payload
of an event (never of the `...Purged` tombstone itself) set to `{}`, every other column
unchanged, for an aggregate that has a `...Purged` event, while `erase_purged_aggregate()` has
named that aggregate in the transaction-local setting `scribe.erase_aggregate`. The tombstone
records who purged, when, why and which versions were erased: it is the audit record, and it
cannot be erased (docs/trash.md, docs/decisions/0810-trash-and-purge.md).

Revision ID: 0006_trash
Revises: 0004_agent_tasks
"""

from alembic import op

revision = "0006_trash"
down_revision = "0004_agent_tasks"
branch_labels = None
depends_on = None

_GUARD = """
CREATE OR REPLACE FUNCTION forbid_domain_event_mutation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND current_setting('scribe.erase_aggregate', true)
           = OLD.aggregate_type || '/' || OLD.aggregate_id
       AND NEW.payload = '{}'::jsonb
       AND OLD.event_type NOT LIKE '%.Purged'
       AND (NEW.id, NEW.event_id, NEW.correlation_id, NEW.causation_id, NEW.event_type,
            NEW.event_version, NEW.aggregate_type, NEW.aggregate_id, NEW.aggregate_version,
            NEW.metadata, NEW.created_at)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.event_id, OLD.correlation_id, OLD.causation_id, OLD.event_type,
            OLD.event_version, OLD.aggregate_type, OLD.aggregate_id, OLD.aggregate_version,
            OLD.metadata, OLD.created_at)
       AND EXISTS (
           SELECT 1 FROM domain_events p
           WHERE p.aggregate_type = OLD.aggregate_type AND p.aggregate_id = OLD.aggregate_id
             AND p.event_type LIKE '%.Purged')
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'domain_events is append-only (% refused)', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$
"""

_ERASE = """
CREATE FUNCTION erase_purged_aggregate(p_type TEXT, p_id TEXT) RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
    erased INTEGER;
BEGIN
    PERFORM set_config('scribe.erase_aggregate', p_type || '/' || p_id, true);
    UPDATE domain_events SET payload = '{}'::jsonb
    WHERE aggregate_type = p_type AND aggregate_id = p_id
      AND event_type NOT LIKE '%.Purged' AND payload <> '{}'::jsonb;
    GET DIAGNOSTICS erased = ROW_COUNT;
    PERFORM set_config('scribe.erase_aggregate', '', true);
    RETURN erased;
END;
$$
"""

_ORIGINAL_GUARD = """
CREATE OR REPLACE FUNCTION forbid_domain_event_mutation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'domain_events is append-only (% refused)', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$
"""

UPGRADE = (
    _GUARD,
    _ERASE,
    # The user's trash, newest first; and the sweeper's scan for expired ones.
    "CREATE INDEX idx_genesis_sessions_trash ON genesis_sessions (user_id, trashed_at DESC, id) "
    "WHERE trashed_at IS NOT NULL",
    "CREATE INDEX idx_genesis_sessions_trashed_at ON genesis_sessions (trashed_at) "
    "WHERE trashed_at IS NOT NULL",
    # Listing a user's live sessions skips the trashed ones.
    "CREATE INDEX idx_genesis_sessions_live ON genesis_sessions (user_id, created_at DESC, id) "
    "WHERE trashed_at IS NULL",
)

DOWNGRADE = (
    "DROP INDEX IF EXISTS idx_genesis_sessions_live",
    "DROP INDEX IF EXISTS idx_genesis_sessions_trashed_at",
    "DROP INDEX IF EXISTS idx_genesis_sessions_trash",
    "DROP FUNCTION IF EXISTS erase_purged_aggregate(TEXT, TEXT)",
    _ORIGINAL_GUARD,
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)

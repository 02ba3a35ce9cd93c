"""Hot and archived events (issue 51, decision 5101): `domain_events` list-partitioned by
`archived`, so a writer's statements never touch the rows of books archived years ago.

On a populated database the table is not copied: it becomes the hot partition as it is. It gets
the `archived` column (a constant default: no rewrite) and a CHECK that lets ATTACH skip its
scan. Its plain indexes have the parent's definitions, so the parent's indexes adopt them
instead of building them again; only the three unique ones are rebuilt, because a unique index
of a partitioned table must hold the partition key.

Uniqueness across the two partitions is kept by the streams' rows, not by an index: every
append is version-checked on its stream's row (genesis_sessions, novels, story_memory: PKs of
unpartitioned tables), and a session's archive row-locks those rows (persistence/archive).

The append-only trigger lets one more mutation through: the move of a stream's rows between
the partitions by `move_stream_events()` (an UPDATE of `archived` alone, which PostgreSQL runs
as a DELETE from one partition and an INSERT into the other).

Revision ID: 0033_archived_events
Revises: 0032_novel_status
"""

from alembic import op

revision = "0033_archived_events"
down_revision = "0032_novel_status"
branch_labels = None
depends_on = None

_COLUMNS = (
    "id, event_id, correlation_id, causation_id, event_type, event_version, aggregate_type, "
    "aggregate_id, aggregate_version, payload, metadata, created_at"
)

#: The unpartitioned table's unique keys, dropped there and made again on the parent with
#: `archived` (the only indexes the conversion builds).
_UNIQUE = ("domain_events_pkey", "domain_events_event_id_key", "uq_domain_events_aggregate_version")

_GUARD = """
CREATE OR REPLACE FUNCTION forbid_domain_event_mutation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The archive's move (move_stream_events): only `archived` changes; the DELETE half of the
    -- move fires this trigger on the partition the row leaves.
    IF current_setting('scribe.move_stream', true)
           = OLD.aggregate_type || '/' || OLD.aggregate_id
       AND (TG_OP = 'DELETE'
            OR (to_jsonb(NEW) - 'archived') = (to_jsonb(OLD) - 'archived'))
    THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'UPDATE'
       AND current_setting('scribe.erase_aggregate', true)
           = OLD.aggregate_type || '/' || OLD.aggregate_id
       AND NEW.payload = '{}'::jsonb
       AND OLD.event_type NOT LIKE '%.Purged'
       AND (to_jsonb(NEW) - 'payload') = (to_jsonb(OLD) - 'payload')
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

_MOVE = """
CREATE FUNCTION move_stream_events(p_type TEXT, p_id TEXT, p_archived BOOLEAN)
RETURNS INTEGER LANGUAGE plpgsql AS $$
DECLARE
    moved INTEGER;
BEGIN
    PERFORM set_config('scribe.move_stream', p_type || '/' || p_id, true);
    UPDATE domain_events SET archived = p_archived
    WHERE aggregate_type = p_type AND aggregate_id = p_id AND archived = NOT p_archived;
    GET DIAGNOSTICS moved = ROW_COUNT;
    PERFORM set_config('scribe.move_stream', '', true);
    RETURN moved;
END;
$$
"""

_PARENT = """
CREATE TABLE domain_events (
    id                BIGINT NOT NULL DEFAULT nextval('domain_events_id_seq'),
    event_id          UUID NOT NULL DEFAULT gen_random_uuid(),
    correlation_id    UUID,
    causation_id      UUID,
    event_type        TEXT NOT NULL,
    event_version     INTEGER NOT NULL DEFAULT 1
        CONSTRAINT domain_events_event_version_check CHECK (event_version >= 1),
    aggregate_type    TEXT NOT NULL,
    aggregate_id      TEXT NOT NULL,
    aggregate_version INTEGER NOT NULL
        CONSTRAINT domain_events_aggregate_version_check CHECK (aggregate_version >= 1),
    payload           JSONB NOT NULL DEFAULT '{}'::jsonb,
    metadata          JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    archived          BOOLEAN NOT NULL DEFAULT false
) PARTITION BY LIST (archived)
"""

_TRIGGER = (
    "CREATE TRIGGER domain_events_append_only BEFORE UPDATE OR DELETE ON domain_events "
    "FOR EACH ROW EXECUTE FUNCTION forbid_domain_event_mutation()"
)


# The archive's flag is not a change of the book: `updated_at` (the reads', and the archive's
# "idle since") stays as it was when only `archived_at` moves.
_TIMESTAMPED = ("genesis_sessions", "novels")


def _timestamp_trigger(table: str, *, skip_archive: bool) -> None:
    when = " WHEN (OLD.archived_at IS NOT DISTINCT FROM NEW.archived_at)" if skip_archive else ""
    op.execute(f"DROP TRIGGER set_timestamp_{table} ON {table}")
    op.execute(
        f"CREATE TRIGGER set_timestamp_{table} BEFORE UPDATE ON {table} FOR EACH ROW{when} "
        "EXECUTE FUNCTION trigger_set_timestamp()"
    )


# The plain indexes are read from the catalog by the server (DO blocks), so `scribe db sql`
# prints a script that works offline too. First each is renamed `<name>_hot`: the partition keeps
# it; then the parent gets the same definition under the old name, and PostgreSQL attaches the
# partition's index to it instead of building one.


def _each_plain_index(table: str, action: str, *, renamed_only: bool) -> str:
    """A DO block running `action` (plpgsql over `r.indexname`, `r.indexdef`) for each plain
    index of `table` (`renamed_only`: those renamed `<name>_hot`)."""
    renamed = " AND i.indexname LIKE '%\\_hot'" if renamed_only else ""
    return f"""
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT i.indexname, i.indexdef FROM pg_indexes i
        JOIN pg_class c ON c.relname = i.indexname JOIN pg_index x ON x.indexrelid = c.oid
        WHERE i.schemaname = current_schema() AND i.tablename = '{table}'
          AND NOT x.indisunique{renamed}
    LOOP
        {action};
    END LOOP;
END
$$
"""


_RENAME_PLAIN = _each_plain_index(
    "domain_events_hot",
    "EXECUTE format('ALTER INDEX %I RENAME TO %I', r.indexname, r.indexname || '_hot')",
    renamed_only=False,
)
_ADOPT_PLAIN = _each_plain_index(
    "domain_events_hot",
    "EXECUTE regexp_replace(r.indexdef, '^CREATE INDEX \\S+ ON \\S+ ', "
    "'CREATE INDEX ' || quote_ident(left(r.indexname, -4)) || ' ON domain_events ')",
    renamed_only=True,
)
_RESTORE_PLAIN = _each_plain_index(
    "domain_events",
    "EXECUTE format('ALTER INDEX %I RENAME TO %I', r.indexname, left(r.indexname, -4))",
    renamed_only=True,
)


def upgrade() -> None:
    op.execute("ALTER TABLE domain_events RENAME TO domain_events_hot")
    op.execute("DROP TRIGGER domain_events_append_only ON domain_events_hot")
    for name in _UNIQUE:
        op.execute(f"ALTER TABLE domain_events_hot DROP CONSTRAINT IF EXISTS {name}")
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute(_RENAME_PLAIN)
    op.execute("ALTER TABLE domain_events_hot ADD COLUMN archived BOOLEAN NOT NULL DEFAULT false")
    op.execute(
        "ALTER TABLE domain_events_hot ADD CONSTRAINT domain_events_hot_only CHECK (NOT archived)"
    )
    op.execute(_PARENT)
    op.execute("ALTER SEQUENCE domain_events_id_seq OWNED BY domain_events.id")
    op.execute("ALTER TABLE domain_events ATTACH PARTITION domain_events_hot FOR VALUES IN (false)")
    op.execute("ALTER TABLE domain_events_hot DROP CONSTRAINT domain_events_hot_only")
    op.execute(
        "ALTER TABLE domain_events ADD CONSTRAINT domain_events_pkey PRIMARY KEY (id, archived)"
    )
    op.execute(
        "ALTER TABLE domain_events ADD CONSTRAINT domain_events_event_id_key "
        "UNIQUE (event_id, archived)"
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_domain_events_aggregate_version ON domain_events "
        "(aggregate_type, aggregate_id, aggregate_version, archived)"
    )
    op.execute(_ADOPT_PLAIN)
    op.execute(
        "CREATE TABLE domain_events_archived PARTITION OF domain_events FOR VALUES IN (true)"
    )
    op.execute(_TRIGGER)
    op.execute(_GUARD)
    op.execute(_MOVE)
    for table in _TIMESTAMPED:
        op.execute(f"ALTER TABLE {table} ADD COLUMN archived_at TIMESTAMPTZ")
        _timestamp_trigger(table, skip_archive=True)


def downgrade() -> None:
    for table in _TIMESTAMPED:
        _timestamp_trigger(table, skip_archive=False)
        op.execute(f"ALTER TABLE {table} DROP COLUMN archived_at")
    op.execute("DROP FUNCTION move_stream_events(TEXT, TEXT, BOOLEAN)")
    op.execute("ALTER TABLE domain_events DETACH PARTITION domain_events_hot")
    op.execute("ALTER TABLE domain_events DETACH PARTITION domain_events_archived")
    op.execute("DROP TRIGGER IF EXISTS domain_events_append_only ON domain_events_hot")
    op.execute(
        f"INSERT INTO domain_events_hot ({_COLUMNS}, archived) "
        f"SELECT {_COLUMNS}, false FROM domain_events_archived"
    )
    op.execute("ALTER SEQUENCE domain_events_id_seq OWNED BY NONE")
    op.execute("DROP TABLE domain_events")
    op.execute("DROP TABLE domain_events_archived")
    # Dropping the column drops the unique keys that held it.
    op.execute("ALTER TABLE domain_events_hot DROP COLUMN archived")
    op.execute("ALTER TABLE domain_events_hot RENAME TO domain_events")
    op.execute("ALTER SEQUENCE domain_events_id_seq OWNED BY domain_events.id")
    op.execute(_RESTORE_PLAIN)
    op.execute("ALTER TABLE domain_events ADD PRIMARY KEY (id)")
    op.execute(
        "ALTER TABLE domain_events ADD CONSTRAINT domain_events_event_id_key UNIQUE (event_id)"
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_domain_events_aggregate_version "
        "ON domain_events (aggregate_type, aggregate_id, aggregate_version)"
    )
    op.execute(_TRIGGER)

"""The logical outbox's message (decision 2600): `outbox_message(topic, envelope)`, what a
writer emits with `pg_logical_emit_message` for one event, in one place for every writer.

A header line, a JSON array [topic, key, {CloudEvents header: value}], then the envelope text
exactly as the table mode publishes it. The headers are built here, once per event at write
time, so that the relay only parses them (relay/slot_source.py): building them in Python per
published event was a third of the reader's CPU.

Revision ID: 0015_outbox_message
Revises: 0014_relay_shares
"""

from alembic import op

revision = "0015_outbox_message"
down_revision = "0014_relay_shares"
branch_labels = None
depends_on = None

FUNCTION = r"""
CREATE OR REPLACE FUNCTION outbox_message(topic text, envelope jsonb) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT convert_to(
    jsonb_build_array(
        topic,
        envelope->>'aggregate_id',
        jsonb_strip_nulls(jsonb_build_object(
            'ce_specversion', '1.0',
            'ce_id', envelope->>'event_id',
            'ce_type', coalesce(envelope->>'event_type', ''),
            'ce_source', '/infinite-scribe/'
                         || coalesce(envelope->'metadata'->>'source_service', 'infinite-scribe'),
            'content-type', 'application/json',
            'ce_time', envelope->>'occurred_at',
            'ce_subject', envelope->>'aggregate_id',
            'ce_correlationid', envelope->>'correlation_id',
            'ce_causationid', envelope->>'causation_id',
            'traceparent', envelope->'metadata'->>'traceparent'
        ))
    )::text || E'\n' || envelope::text,
    'UTF8')
$$
"""


def upgrade() -> None:
    op.execute(FUNCTION)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS outbox_message(text, jsonb)")

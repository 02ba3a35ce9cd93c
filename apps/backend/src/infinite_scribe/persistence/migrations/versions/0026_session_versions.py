"""A session's versions as a projection the log keeps itself (issue 54, decision 5402): two
partial indexes over `domain_events`, on the genesis events that are versions (proposals,
confirmations, finishes, rollbacks, branches). PostgreSQL writes them in the transaction that
appends the events, so the history is read a page at a time by keyset (`?before=`) and the
previous version of one stage is one index probe, at version 10 as at version 100,000. A third
index finds the last start or rollback before a version: the state right after any version is
derived from it and the latest version of each stage (a rollback or branch reads 8 rows).

A finish's content is the novel's bible as it was then, and a session that finishes again after
a rollback rewrites its novel: `session_finishes` keeps each finish's bible, written with it
(by the novel's part of the write). Finishes written before this migration get their novel's
bible as it is now (the only copy there is).

The stage expression is the one `persistence/genesis/version_page.py` queries with (an index on
an expression is used only by a query with the same expression); it is frozen here.

Revision ID: 0026_session_versions
Revises: 0025_chapter_rows
"""

from alembic import op

revision = "0026_session_versions"
down_revision = "0025_chapter_rows"
branch_labels = None
depends_on = None

_VERSIONS = """aggregate_type = 'GENESIS_SESSION' AND event_type IN (
    'Genesis.Session.Concept.Proposed', 'Genesis.Session.StageContent.Proposed',
    'Genesis.Session.StageConfirmed', 'Genesis.Session.Finished',
    'Genesis.Session.RolledBack', 'Genesis.Session.Branched')"""

_CHAPTER_VERSIONS = """aggregate_type = 'NOVEL' AND event_type IN (
    'Novel.Chapter.DraftProposed', 'Novel.Chapter.Confirmed', 'Novel.Chapters.RolledBack')"""

_STAGE = """(CASE event_type
    WHEN 'Genesis.Session.Finished' THEN 'FINISHED'
    WHEN 'Genesis.Session.RolledBack' THEN payload ->> 'to_stage'
    WHEN 'Genesis.Session.Branched' THEN payload ->> 'to_stage'
    ELSE payload ->> 'stage' END)"""


def upgrade() -> None:
    _finishes()
    _session_indexes()
    _novel_indexes()


def _finishes() -> None:
    op.execute(
        """
CREATE TABLE session_finishes (
    session_id UUID NOT NULL,
    seq        INT NOT NULL,
    bible      JSONB NOT NULL,
    PRIMARY KEY (session_id, seq)
)
"""
    )
    op.execute(
        """
INSERT INTO session_finishes (session_id, seq, bible)
SELECT e.aggregate_id::uuid, e.aggregate_version, jsonb_build_object(
    'title', n.title, 'logline', n.logline, 'theme', n.theme,
    'writing_style', n.writing_style, 'target_chapters', n.target_chapters, 'story', n.story,
    'worldview', n.worldview, 'characters', n.characters, 'outline', n.outline)
FROM domain_events e JOIN novels n ON n.id = (e.payload ->> 'novel_id')::uuid
WHERE e.aggregate_type = 'GENESIS_SESSION' AND e.event_type = 'Genesis.Session.Finished'
"""
    )


def _session_indexes() -> None:
    op.execute(
        "CREATE INDEX domain_events_session_versions "
        f"ON domain_events (aggregate_id, aggregate_version) WHERE {_VERSIONS}"
    )
    op.execute(
        "CREATE INDEX domain_events_session_stage_versions "
        f"ON domain_events (aggregate_id, {_STAGE}, aggregate_version) WHERE {_VERSIONS}"
    )
    # Where a version's state starts from: the session's start, or the last rollback (a
    # restore carries the whole state it restores), found by one probe.
    op.execute(
        "CREATE INDEX domain_events_session_bases "
        "ON domain_events (aggregate_id, aggregate_version) "
        "WHERE aggregate_type = 'GENESIS_SESSION' AND event_type IN ('Genesis.Session.Created', "
        "'Genesis.Session.RolledBack', 'Genesis.Session.Branched')"
    )


def _novel_indexes() -> None:
    # The novel's chapter versions (its history page) and one chapter's versions (what a
    # chapter's rollback reads), and its rollbacks (a novel-wide one may touch any chapter).
    op.execute(
        "CREATE INDEX domain_events_novel_versions ON domain_events (aggregate_id, "
        f"aggregate_version) WHERE {_CHAPTER_VERSIONS}"
    )
    op.execute(
        "CREATE INDEX domain_events_novel_chapter_versions ON domain_events (aggregate_id, "
        f"(payload ->> 'chapter'), aggregate_version) WHERE {_CHAPTER_VERSIONS}"
    )
    op.execute(
        "CREATE INDEX domain_events_novel_rollbacks ON domain_events (aggregate_id, "
        "aggregate_version) WHERE aggregate_type = 'NOVEL' "
        "AND event_type = 'Novel.Chapters.RolledBack'"
    )


def downgrade() -> None:
    op.execute("DROP INDEX domain_events_novel_rollbacks")
    op.execute("DROP INDEX domain_events_novel_chapter_versions")
    op.execute("DROP INDEX domain_events_novel_versions")
    op.execute("DROP INDEX domain_events_session_bases")
    op.execute("DROP INDEX domain_events_session_stage_versions")
    op.execute("DROP INDEX domain_events_session_versions")
    op.execute("DROP TABLE session_finishes")

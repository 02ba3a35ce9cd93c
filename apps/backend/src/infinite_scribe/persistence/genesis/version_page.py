"""SQL of one page of a session's history (issue 54, decision 5402): keyset reads of the log's
partial indexes of version events (migration 0026), newest first, across a branch's lineage
(the session, then its origin up to the branch point, and so on).

A page costs `limit` index entries, the previous version of each stage it shows (one probe of
the stage index per stage) and the rollbacks' targets by event id, whatever the lineage holds.
"""

from dataclasses import replace
from typing import Any
from uuid import UUID

import asyncpg

from infinite_scribe.domain.genesis import FINISHED as FINISHED_EVENT, VersionTarget, resolved
from infinite_scribe.domain.history import LoggedEvent
from infinite_scribe.domain.version_page import (
    RESTORES,
    PageCursor,
    VersionEvent,
    VersionPage,
    stage_of,
)
from infinite_scribe.domain.version_state import version_target as state_target
from infinite_scribe.persistence.genesis.restores import Reader, restores_of
from shared_types.enums import GenesisStage

#: The events that are versions; the same text as the indexes' predicate (migration 0026).
_VERSIONS = """aggregate_type = 'GENESIS_SESSION' AND event_type IN (
    'Genesis.Session.Concept.Proposed', 'Genesis.Session.StageContent.Proposed',
    'Genesis.Session.StageConfirmed', 'Genesis.Session.Finished',
    'Genesis.Session.RolledBack', 'Genesis.Session.Branched')"""
#: A version's stage; the stage index's expression (a query must use the same one).
_STAGE = """(CASE event_type
    WHEN 'Genesis.Session.Finished' THEN 'FINISHED'
    WHEN 'Genesis.Session.RolledBack' THEN payload ->> 'to_stage'
    WHEN 'Genesis.Session.Branched' THEN payload ->> 'to_stage'
    ELSE payload ->> 'stage' END)"""
#: What a version needs besides its event: a revision's feedback (the event that caused it), a
#: finish's bible (as that finish made it: `session_finishes`), a restore's content (the
#: restored stage's from `session_restores`, every stage's for a finish: decision 5403).
_COLUMNS = """e.event_id, e.event_type, e.payload, e.created_at, e.aggregate_id,
    e.aggregate_version, f.payload ->> 'feedback' AS feedback,
    (SELECT bible FROM session_finishes
     WHERE session_id = e.aggregate_id::uuid AND seq = e.aggregate_version
       AND e.event_type = 'Genesis.Session.Finished') AS bible,
    (SELECT CASE WHEN e.payload ->> 'to_stage' = 'FINISHED' THEN r.confirmed_data
                 WHEN r.last_result IS NOT NULL AND e.payload ->> 'stage' = e.payload ->> 'to_stage'
                 THEN r.last_result
                 ELSE coalesce(r.confirmed_data -> (e.payload ->> 'to_stage'), r.last_result) END
     FROM session_restores r
     WHERE r.session_id = e.aggregate_id::uuid AND r.seq = e.aggregate_version
       AND e.event_type IN ('Genesis.Session.RolledBack', 'Genesis.Session.Branched')
    ) AS restored"""
_FEEDBACK = """LEFT JOIN domain_events f ON f.event_id = e.causation_id
    AND f.event_type = 'Genesis.Session.FeedbackSubmitted'"""


def keyset_page(versions: str, columns: str, joins: str) -> str:
    """The SQL of a page of version events (`versions`: their predicate, an index's): $3 of
    them older than version $2 of stream $1, newest first, cut where their payloads pass $4
    bytes (always at least one: a single version is bounded by the event size limit), with
    `size` and `fetched` (the rows before the cut) besides `columns` of `e` and `joins`."""
    return f"""
WITH page AS (
    SELECT * FROM domain_events
    WHERE aggregate_id = $1 AND aggregate_version < $2 AND {versions}
    ORDER BY aggregate_version DESC LIMIT $3
), sized AS (
    SELECT page.*, octet_length(payload::text) AS size,
           sum(octet_length(payload::text)) OVER (ORDER BY aggregate_version DESC) AS running
    FROM page
)
SELECT {columns}, e.size, (SELECT count(*) FROM page) AS fetched
FROM sized e {joins}
WHERE e.running - e.size <= $4 OR e.running = e.size
ORDER BY e.aggregate_version DESC
"""


_PAGE = keyset_page(_VERSIONS, _COLUMNS, _FEEDBACK)

_PREVIOUS = f"""
SELECT {_COLUMNS}
FROM unnest($2::text[], $3::int[]) AS b (stage, upto)
CROSS JOIN LATERAL (
    SELECT * FROM domain_events
    WHERE aggregate_id = $1 AND {_VERSIONS} AND {_STAGE} = b.stage AND aggregate_version < b.upto
    ORDER BY aggregate_version DESC LIMIT 1
) AS e {_FEEDBACK}
"""

_BY_ID = f"SELECT {_COLUMNS} FROM domain_events e {_FEEDBACK} WHERE e.event_id = ANY($1::uuid[])"

# The lineage: the session, then the session whose log holds its branch point, up to it, and so
# on. That is the origin itself, or the origin's own origin when the branch started from a
# version the origin inherited (then the origin's later versions are not this branch's past).
_LINEAGE = """
WITH RECURSIVE chain (depth, session_id, upto) AS (
    SELECT 0, $1::uuid, 2147483647
    UNION ALL
    SELECT c.depth + 1, e.aggregate_id::uuid, e.aggregate_version
    FROM chain c
    JOIN genesis_sessions s ON s.id = c.session_id AND s.branched_from IS NOT NULL
    JOIN domain_events e ON e.event_id = (s.branched_from ->> 'event_id')::uuid
    WHERE c.depth < $2
)
SELECT session_id, upto FROM chain ORDER BY depth
"""

#: At most this many sessions in a lineage (a branch of a branch of ...): far past any writer's
#: practice; older generations are not shown (docs/history.md).
MAX_DEPTH = 1_000
#: The previous version of a stage is looked for in at most this many older sessions.
_PREVIOUS_DEPTH = 64


async def version_page(
    pool: asyncpg.Pool, session_id: UUID, cursor: PageCursor, limit: int, max_bytes: int
) -> VersionPage:
    """Up to `limit` versions older than `cursor`, newest first, within about `max_bytes` of
    payload (one version more at most), walking from the session into its origins."""
    chain = [
        (r["session_id"], r["upto"]) for r in await pool.fetch(_LINEAGE, session_id, MAX_DEPTH)
    ]
    found: list[tuple[int, VersionEvent]] = []
    depth, upto, budget, more = cursor.depth, cursor.seq, max_bytes, False
    while depth < len(chain):
        segment, last = chain[depth]
        wanted = limit + 1 - len(found)
        rows = await pool.fetch(_PAGE, str(segment), min(upto, last + 1), wanted, budget)
        found += [(depth, _version(row)) for row in rows]
        budget -= sum(row["size"] for row in rows)
        cut = bool(rows) and len(rows) < rows[0]["fetched"]  # the byte budget ended the page
        if len(found) > limit or cut or budget <= 0:
            found, more = found[:limit], True
            break
        depth, upto = depth + 1, 2**31 - 1
    next_before = PageCursor(found[-1][0], found[-1][1].seq) if more and found else None
    versions = [version for _, version in found]
    before = await _before_page(pool, chain, found)
    # One read of the rollbacks' targets for the page and the versions before it.
    completed = await _with_targets(pool, versions + list(before.values()))
    before_page = dict(zip(before, completed[len(versions) :], strict=True))
    return VersionPage(completed[: len(versions)], before_page, next_before)


async def _before_page(
    pool: asyncpg.Pool, chain: list[tuple[UUID, int]], found: list[tuple[int, VersionEvent]]
) -> dict[GenesisStage, VersionEvent]:
    """The previous version of each stage the page shows: older than its oldest on the page,
    in its session, else in the origins (one query per session looked into)."""
    oldest: dict[GenesisStage, tuple[int, int]] = {}
    for depth, version in found:
        stage = stage_of(version.event)
        if stage is not None:
            oldest[stage] = (depth, version.seq)
    if not oldest:
        return {}
    before: dict[GenesisStage, VersionEvent] = {}
    first = min(depth for depth, _ in oldest.values())
    for depth in range(first, min(len(chain), first + _PREVIOUS_DEPTH)):
        asked = {
            stage: seq if start == depth else chain[depth][1] + 1
            for stage, (start, seq) in oldest.items()
            if start <= depth and stage not in before
        }
        if not asked:
            break
        segment = str(chain[depth][0])
        rows = await pool.fetch(_PREVIOUS, segment, [s.value for s in asked], list(asked.values()))
        for row in rows:
            version = _version(row)
            stage = stage_of(version.event)
            if stage is not None:
                before[stage] = version
    return before


async def _with_targets(pool: asyncpg.Pool, versions: list[VersionEvent]) -> list[VersionEvent]:
    """Rollbacks and branches with the version each went back to (one read for the page)."""
    wanted = {v.event.event_id: _target_id(v) for v in versions}
    ids = [target for target in wanted.values() if target is not None]
    if not ids:
        return versions
    targets = {r["event_id"]: _version(r) for r in await pool.fetch(_BY_ID, ids)}
    return [
        replace(v, target=targets.get(wanted[v.event.event_id])) if wanted[v.event.event_id] else v
        for v in versions
    ]


def _target_id(version: VersionEvent) -> UUID | None:
    payload = version.event.payload
    origin = payload.get("branched_from") or {}
    found = payload.get("to_event_id") or (origin.get("event_id") if origin else None)
    if version.event.event_type not in RESTORES or not found:
        return None
    try:
        return UUID(str(found))
    except ValueError:
        return None


def _version(row: asyncpg.Record) -> VersionEvent:
    return VersionEvent(
        logged_event(row),
        row["aggregate_version"],
        row["feedback"],
        row["bible"],
        restored=row["restored"],
    )


_EVENT = """SELECT event_id, event_type, payload, created_at, aggregate_id, aggregate_version
FROM domain_events"""
_TARGET = f"{_EVENT} WHERE event_id = $1 AND aggregate_type = 'GENESIS_SESSION'"
# The last start or restore at or before the version (migration 0026's third index).
_BASE = f"""{_EVENT}
WHERE aggregate_id = $1 AND aggregate_version <= $2 AND aggregate_type = 'GENESIS_SESSION'
  AND event_type IN ('Genesis.Session.Created', 'Genesis.Session.RolledBack',
                     'Genesis.Session.Branched')
ORDER BY aggregate_version DESC LIMIT 1"""
# Each stage's latest version in (base, target], and the latest finish up to the target.
_LATEST = f"""
SELECT e.* FROM unnest($2::text[], $3::int[]) AS b (stage, after)
CROSS JOIN LATERAL (
    {_EVENT}
    WHERE aggregate_id = $1 AND {_VERSIONS} AND {_STAGE} = b.stage
      AND aggregate_version > b.after AND aggregate_version <= $4
      AND (b.stage <> 'FINISHED' OR event_type = 'Genesis.Session.Finished')
    ORDER BY aggregate_version DESC LIMIT 1
) AS e
"""

# The codex's changes in (base, target], oldest first (issue 76): its edits (migration 0037's
# index), the first proposal that read it and the confirmed stages that extended it (the
# versions index): the last one's codex,
# and the renames made since the base, which the state after the target has made everywhere.
_CODEX = f"""
SELECT * FROM (
    ({_EVENT}
     WHERE aggregate_id = $1 AND aggregate_version > $2 AND aggregate_version <= $3
       AND aggregate_type = 'GENESIS_SESSION' AND event_type = 'Genesis.Session.CodexUpdated'
     ORDER BY aggregate_version LIMIT 1000)
    UNION ALL
    ({_EVENT}
     WHERE aggregate_id = $1 AND aggregate_version > $2 AND aggregate_version <= $3
       AND {_VERSIONS} AND event_type IN ('Genesis.Session.StageConfirmed',
           'Genesis.Session.Concept.Proposed', 'Genesis.Session.StageContent.Proposed')
       AND payload ? 'codex')
) AS changes ORDER BY aggregate_version"""


_INPUT = """SELECT payload -> 'initial_user_input' FROM domain_events
WHERE aggregate_type = 'GENESIS_SESSION' AND aggregate_id = $1 AND aggregate_version = 1"""


async def session_input(pool: Reader, session_id: UUID) -> dict[str, Any]:
    """The writer's input at the session's start (Created or Branched carries it)."""
    found = await pool.fetchval(_INPUT, str(session_id))
    return dict(found) if isinstance(found, dict) else {}


async def version_target(
    pool: Reader, session_id: UUID, event_id: UUID, user_id: UUID
) -> VersionTarget | None:
    """The version `event_id` of the session's lineage and the state right after it, from at
    most eight rows and a restore's state (domain/version_state.py); None: not a version of
    this lineage."""
    chain = dict(
        (r["session_id"], r["upto"]) for r in await pool.fetch(_LINEAGE, session_id, MAX_DEPTH)
    )
    row = await pool.fetchrow(_TARGET, event_id)
    if row is None or chain.get(UUID(row["aggregate_id"]), -1) < row["aggregate_version"]:
        return None
    segment, seq = row["aggregate_id"], row["aggregate_version"]
    base = await pool.fetchrow(_BASE, segment, seq)
    if base is None:
        return None
    base_event = logged_event(base)
    if base_event.event_type in RESTORES:
        at = base["aggregate_version"]
        restores = await restores_of(pool, base_event.session_id, [at])
        base_event = replace(base_event, payload=resolved(base_event.payload, restores.get(at)))
    stages = [stage.value for stage in GenesisStage]
    after = [base["aggregate_version"]] * (len(stages) - 1) + [0]  # a finish: any before
    rows = await pool.fetch(_LATEST, segment, stages, after, seq)
    latest = {stage_of(e): e for e in map(logged_event, rows) if e.event_type != FINISHED_EVENT}
    finish = next((e for e in map(logged_event, rows) if e.event_type == FINISHED_EVENT), None)
    found = {stage: event for stage, event in latest.items() if stage is not None}
    codex = [logged_event(e) for e in await pool.fetch(_CODEX, segment, after[0], seq)]
    return state_target(logged_event(row), user_id, base_event, found, finish, codex)


def logged_event(row: asyncpg.Record) -> LoggedEvent:
    """A row with the columns of `LoggedEvent` (its session is `aggregate_id`)."""
    return LoggedEvent(
        row["event_id"],
        UUID(row["aggregate_id"]),
        row["event_type"],
        row["payload"],
        row["created_at"],
    )

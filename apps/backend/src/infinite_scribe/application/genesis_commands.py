"""The genesis session aggregate's handler (the first `AggregateHandler`) and its writer."""

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID, uuid4

from infinite_scribe.application.aggregates import AggregateWriter, DecidedEvent
from infinite_scribe.application.ports.genesis import (
    GENESIS_SESSIONS,
    CommandReads,
    SessionSnapshot,
)
from infinite_scribe.application.ports.storage import RepositoryKey
from infinite_scribe.application.ports.writes import (
    NewNovel,
    NewSession,
    SessionRestore,
    SnapshotSave,
    Supersede,
    Write,
)
from infinite_scribe.domain.commands import (
    PAYLOAD_MODELS,
    CommandIds,
    CommandPayload,
    RegenerateProposal,
    RollbackToVersion,
)
from infinite_scribe.domain.errors import NotFound, SessionTrashed
from infinite_scribe.domain.genesis import (
    AGGREGATE_TYPE,
    BRANCHED,
    FINISHED,
    Decided,
    GenesisState,
    decide,
    evolve,
)
from infinite_scribe.domain.novel import novel_bible


def owned(snapshot: SessionSnapshot | None) -> SessionSnapshot:
    """The session the user may read (a trashed one too); missing or another user's: 404."""
    if snapshot is None:
        raise NotFound("Genesis session not found")
    return snapshot


def visible(snapshot: SessionSnapshot | None) -> GenesisState:
    """The session the user may command: a trashed one answers 409 SESSION_TRASHED until it
    is restored (application/trash.py)."""
    session = owned(snapshot)
    if session.trashed:
        raise SessionTrashed("The session is in the trash; restore it to send commands")
    return session.state


class GenesisCommands:
    """Decides with the stage machine; its snapshot change is the version-checked save of the
    session (or its insert when it is new), plus superseded commands and the novel."""

    aggregate_type = AGGREGATE_TYPE
    commands: Mapping[str, type[CommandPayload]] = PAYLOAD_MODELS
    repository_key: RepositoryKey[Any] = GENESIS_SESSIONS

    def visible(self, snapshot: SessionSnapshot | None) -> GenesisState:
        return visible(snapshot)

    def aggregate_id(self, state: GenesisState) -> str:
        return str(state.session_id)

    def version(self, state: GenesisState) -> int:
        return state.version

    async def resolve(
        self, reads: CommandReads, state: GenesisState, command: CommandPayload
    ) -> CommandPayload:
        """What a command needs beyond the snapshot, read before it decides: a rollback's
        version (the state right after it, from a bounded read of the lineage's log), a
        regeneration's recorded inputs."""
        if isinstance(command, RegenerateProposal):
            recorded = await reads.proposal_input(state.session_id, command.event_id)
            return command.resolved(recorded)
        if not isinstance(command, RollbackToVersion):
            return command
        target = await reads.version_target(state.session_id, command.event_id, state.user_id)
        return command.resolved(target)

    def decide(
        self, state: GenesisState, command: CommandPayload, command_id: UUID
    ) -> Sequence[DecidedEvent]:
        return decide(state, command, CommandIds(command_id=command_id, novel_id=uuid4()))

    def evolve(self, state: GenesisState, decided: Sequence[DecidedEvent]) -> GenesisState:
        for event in decided:
            payload = event.folded() if isinstance(event, Decided) else event.payload
            state = evolve(state, event.event_type, payload)
        return state

    def parts(
        self,
        before: GenesisState,
        after: GenesisState,
        decided: Sequence[DecidedEvent],
        supersede_by: str | None,
    ) -> Write:
        novel, restore = None, _restore(before, decided)
        finish = next((i for i, e in enumerate(decided, 1) if e.event_type == FINISHED), None)
        if after.novel_id is not None and finish is not None:
            bible = novel_bible(after.confirmed_data)
            seq = before.version + finish
            novel = NewNovel(after.novel_id, after.user_id, bible, after.session_id, seq)
        if before.version == 0:  # Created or Branched: the snapshot row is new
            whole = after if decided and decided[0].event_type == BRANCHED else None
            new = NewSession(after.session_id, after.user_id, after.version, whole)
            return Write(session=new, novel=novel, restore=restore)
        supersede = None
        if before.is_pending and supersede_by is not None:
            supersede = Supersede(before.session_id, supersede_by)
        snapshot = SnapshotSave(before.version, after)
        return Write(snapshot=snapshot, supersede=supersede, novel=novel, restore=restore)


def _restore(before: GenesisState, decided: Sequence[DecidedEvent]) -> SessionRestore | None:
    """The row of the change's restore (a rollback or a branch: one per change at most)."""
    for seq, event in enumerate(decided, before.version + 1):
        if isinstance(event, Decided) and event.restored is not None:
            content = event.restored
            return SessionRestore(
                before.session_id, seq, content.confirmed_data, content.last_result
            )
    return None


#: The one writer of genesis session changes.
SESSIONS = AggregateWriter(GenesisCommands())

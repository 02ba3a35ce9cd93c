"""The genesis session aggregate's handler (the first `AggregateHandler`) and its writer."""

from collections.abc import Mapping, Sequence
from uuid import UUID, uuid4

from infinite_scribe.application.aggregates import AggregateWriter, DecidedEvent
from infinite_scribe.application.ports.genesis import SessionSnapshot
from infinite_scribe.application.ports.writes import (
    NewNovel,
    NewSession,
    SnapshotSave,
    Supersede,
    Write,
)
from infinite_scribe.domain.commands import PAYLOAD_MODELS, CommandIds, CommandPayload
from infinite_scribe.domain.errors import NotFound, SessionTrashed
from infinite_scribe.domain.genesis import (
    AGGREGATE_TYPE,
    FINISHED,
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

    def aggregate_id(self, state: GenesisState) -> str:
        return str(state.session_id)

    def version(self, state: GenesisState) -> int:
        return state.version

    def decide(
        self, state: GenesisState, command: CommandPayload, command_id: UUID
    ) -> Sequence[DecidedEvent]:
        return decide(state, command, CommandIds(command_id=command_id, novel_id=uuid4()))

    def evolve(self, state: GenesisState, decided: Sequence[DecidedEvent]) -> GenesisState:
        for event in decided:
            state = evolve(state, event.event_type, event.payload)
        return state

    def parts(
        self,
        before: GenesisState,
        after: GenesisState,
        decided: Sequence[DecidedEvent],
        supersede_by: str | None,
    ) -> Write:
        if before.version == 0:  # Created: the snapshot row is new
            return Write(session=NewSession(after.session_id, after.user_id, after.version))
        supersede = None
        if before.is_pending and supersede_by is not None:
            supersede = Supersede(before.session_id, supersede_by)
        novel = None
        if after.novel_id is not None and any(e.event_type == FINISHED for e in decided):
            novel = NewNovel(after.novel_id, after.user_id, novel_bible(after.confirmed_data))
        return Write(snapshot=SnapshotSave(before.version, after), supersede=supersede, novel=novel)


#: The one writer of genesis session changes.
SESSIONS = AggregateWriter(GenesisCommands())

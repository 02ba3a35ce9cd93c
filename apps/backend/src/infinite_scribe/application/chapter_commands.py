"""The novel aggregate's handler (issue 39): its chapter commands run through the one command
service (application/command_service.py, with NOVEL_REGISTRY) and its agent answers through
the one aggregate writer (`NOVEL_WRITER`)."""

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any
from uuid import UUID

from infinite_scribe.application.aggregates import AggregateWriter, DecidedEvent
from infinite_scribe.application.ports.novels import NOVELS, NovelRepository
from infinite_scribe.application.ports.storage import RepositoryKey
from infinite_scribe.application.ports.writes import ChaptersSave, Supersede, Write
from infinite_scribe.domain.chapter_commands import (
    NOVEL_PAYLOAD_MODELS,
    ConfirmChapter,
    SubmitChapterFeedback,
    WaiveFinding,
)
from infinite_scribe.domain.chapters import (
    AGGREGATE_TYPE,
    NovelState,
    decide,
    evolve,
)
from infinite_scribe.domain.commands import CommandPayload, RollbackToVersion
from infinite_scribe.domain.errors import NotFound, SessionTrashed


def owned_novel(state: NovelState | None) -> NovelState:
    """The novel the user may command; missing or another writer's: 404."""
    if state is None:
        raise NotFound("Novel not found")
    return state


class NovelCommands:
    """Decides with the chapter machine; its snapshot change is the version-checked move of
    the novel's chapters projection, plus the pending generation a confirmation supersedes."""

    aggregate_type = AGGREGATE_TYPE
    commands: Mapping[str, type[CommandPayload]] = NOVEL_PAYLOAD_MODELS
    repository_key: RepositoryKey[Any] = NOVELS

    def visible(self, snapshot: NovelState | None) -> NovelState:
        """The user's novel; 409 SESSION_TRASHED while its session is in the trash."""
        novel = owned_novel(snapshot)
        if novel.trashed:
            raise SessionTrashed("The novel's session is in the trash; restore it to send commands")
        return novel

    def aggregate_id(self, state: NovelState) -> str:
        return str(state.novel_id)

    def version(self, state: NovelState) -> int:
        return state.version

    async def resolve(
        self, reads: NovelRepository, state: NovelState, command: CommandPayload
    ) -> CommandPayload:
        """A rollback's version: the chapter (or every chapter) right after that event, from
        a few indexed rows per chapter; a waiver's finding, from the novel's findings."""
        if isinstance(command, WaiveFinding):
            return command.resolved(await reads.finding(state.novel_id, command.finding_id))
        if not isinstance(command, RollbackToVersion):
            return command
        scope = getattr(command, "scope", None)
        if scope != "novel":  # one chapter's: a few indexed rows (decision 5402)
            found = await reads.chapter_version(state.novel_id, state.user_id, command.event_id)
            if found is not None or scope == "chapter":
                return command.resolved(found)
        # Every chapter's: each chapter's few newest versions (decision 5405).
        found = await reads.novel_version(state.novel_id, state.user_id, command.event_id)
        return command.resolved(found)

    async def complete(
        self, reads: NovelRepository, state: NovelState, command: CommandPayload
    ) -> NovelState:
        """The state with the chapters the command decides on (its one read holds none,
        decision 5401): a confirmation's or a feedback's own chapter, a chapter's rollback its
        chapter, a novel-wide rollback every chapter (it compares them all with the version)."""
        if isinstance(command, RollbackToVersion):
            target = command.target
            one = getattr(command, "scope", None) != "novel" and target is not None
            number = target.chapter if one else None
            return replace(state, chapters=await reads.chapters(state.novel_id, number))
        if isinstance(command, ConfirmChapter | SubmitChapterFeedback):
            return replace(state, chapters=await reads.chapters(state.novel_id, command.chapter))
        return state

    def decide(
        self, state: NovelState, command: CommandPayload, command_id: UUID
    ) -> Sequence[DecidedEvent]:
        return decide(state, command)

    def evolve(self, state: NovelState, decided: Sequence[DecidedEvent]) -> NovelState:
        for event in decided:
            state = evolve(state, event.event_type, event.payload)
        return state

    def parts(
        self,
        before: NovelState,
        after: NovelState,
        decided: Sequence[DecidedEvent],
        supersede_by: str | None,
    ) -> Write:
        supersede = None
        if before.is_pending and not after.is_pending and supersede_by is not None:
            # Confirming a chapter while its draft is written: the draft is moot.
            supersede = Supersede(before.novel_id, supersede_by)
        return Write(chapters=chapters_save(before, after), supersede=supersede)


def chapters_save(before: NovelState, after: NovelState) -> ChaptersSave:
    """The move from `before` to `after`: the chapters that changed (whole) or went away; a
    chapter neither state holds is not touched (a state holds the chapters its use case read)."""
    changed = {k: v for k, v in after.chapters.items() if before.chapters.get(k) != v}
    removed = tuple(int(k) for k in before.chapters if k not in after.chapters)
    return ChaptersSave(before.version, after, changed, removed)


#: The one writer of novel changes (commands and the agent's answers).
NOVEL_WRITER = AggregateWriter(NovelCommands())

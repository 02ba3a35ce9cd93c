"""The novel's chapters beyond its commands (issue 39): their history (every version of every
chapter). Commands go through the command service (application/chapter_commands.py)."""

from typing import Any
from uuid import UUID

from infinite_scribe.application.chapter_commands import owned_novel
from infinite_scribe.application.cpu import CpuGate
from infinite_scribe.application.genesis_commands import HISTORY_LIMITS
from infinite_scribe.application.ports.novels import NOVELS
from infinite_scribe.application.ports.storage import UnitOfWork
from infinite_scribe.domain.chapter_history import chapter_history
from infinite_scribe.domain.errors import SessionTrashed


class NovelChapters:
    """Reads of the writer's novels' chapters."""

    def __init__(self, uow: UnitOfWork, cpu: CpuGate) -> None:
        self.uow = uow
        self.cpu = cpu

    async def owns(self, novel_id: UUID, user_id: UUID) -> bool:
        """Whether `novel_id` is the user's novel (its live stream is theirs to follow);
        SessionTrashed (409) while its session is in the trash, as the session's stream."""
        async with self.uow.autocommit() as session:
            target = await session.repository(NOVELS).command_target(novel_id, user_id, None)
        if target.snapshot is not None and target.snapshot.trashed:
            raise SessionTrashed("The novel's session is in the trash; restore it to follow it")
        return target.snapshot is not None

    async def history(self, novel_id: UUID, user_id: UUID) -> list[dict[str, Any]]:
        """Every chapter's versions (404 unless the user's novel; 413 HISTORY_TOO_LARGE
        beyond HISTORY_LIMITS). The fold runs in a thread."""
        async with self.uow.autocommit() as session:
            novels = session.repository(NOVELS)
            target = await novels.command_target(novel_id, user_id, None)
            owned_novel(target.snapshot)
            lineage = await novels.lineage(novel_id, HISTORY_LIMITS)
        return await self.cpu.run(user_id, chapter_history, novel_id, user_id, lineage)

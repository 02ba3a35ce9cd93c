"""The novel's chapters beyond its commands (issue 39): their history (every version of every
chapter). Commands go through the command service (application/chapter_commands.py)."""

from typing import Any
from uuid import UUID

from infinite_scribe.application.chapter_commands import owned_novel
from infinite_scribe.application.cpu import CpuGate
from infinite_scribe.application.ports.novels import NOVELS
from infinite_scribe.application.ports.storage import UnitOfWork
from infinite_scribe.application.versions import PAGE_BYTES, PAGE_SIZE
from infinite_scribe.domain.chapter_history import page_history
from infinite_scribe.domain.errors import SessionTrashed

_MAX_SEQ = 2**31 - 1


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

    async def history(
        self, novel_id: UUID, user_id: UUID, before: int | None = None, limit: int = PAGE_SIZE
    ) -> dict[str, Any]:
        """One page of the chapters' versions older than `before` (newest first; 404 unless
        the user's novel): `chapters` by number, each oldest first, and `next_before` (None:
        the first version is on this page). Read by index, whatever the novel's length."""
        async with self.uow.autocommit() as session:
            novels = session.repository(NOVELS)
            target = await novels.command_target(novel_id, user_id, None)
            owned_novel(target.snapshot)
            start = _MAX_SEQ if before is None else before
            page = await novels.history_page(novel_id, user_id, start, limit, PAGE_BYTES)
        chapters = await self.cpu.run(user_id, page_history, page)
        return {"chapters": chapters, "next_before": page.next_before}

"""Ports of a novel's exports as jobs (issue 54): the stored file of one version of a novel in
one format, and the claim that makes one request (of many at once) the one that builds it."""

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True)
class ExportClaim:
    """What a request for an export found: the task building (or that built) the novel's
    current version, and whether this request claimed the build (it must run it)."""

    task_id: UUID | None
    claimed: bool
    built: bool
    #: The novel's session is in the trash: nothing was claimed.
    trashed: bool = False


@dataclass(frozen=True)
class StoredExport:
    """The last export of a novel in one format, and whether it is of the novel as it is now."""

    task_id: UUID
    current: bool
    body: bytes | None
    #: The novel's session is in the trash: its files are not served.
    trashed: bool = False


class NovelExportStore(Protocol):
    async def claim(
        self, novel_id: UUID, user_id: UUID, media: str, task_id: UUID, stale_seconds: float
    ) -> ExportClaim | None:
        """The export of the novel's current version in `media` (None: not the user's novel).
        Claimed with `task_id` (its task created, RUNNING) when there is none, when the last
        one is of an older version, failed, or its job stopped beating for `stale_seconds`."""
        ...

    async def beat(self, novel_id: UUID, media: str, task_id: UUID, progress: int) -> None:
        """The job still runs (its heartbeat and its task's progress)."""
        ...

    async def built(self, novel_id: UUID, media: str, task_id: UUID, body: bytes) -> None:
        """The file is built: stored, its task COMPLETED (unless another claim took over)."""
        ...

    async def failed(self, novel_id: UUID, media: str, task_id: UUID, message: str) -> None:
        """The build failed: its task FAILED; the next request builds again."""
        ...

    async def stored(self, novel_id: UUID, user_id: UUID, media: str) -> StoredExport | None:
        """The last export in `media` (None: none, or not the user's novel)."""
        ...

"""A novel's Markdown and EPUB built as a job (issue 54, decision 5400).

A request claims the build of the novel's current version (application/ports/exports.py) and
is answered at once with the task that builds it (GET /tasks/{id}); the file is stored with the
version it was built from and served from there until the novel changes. The build is run by
the API process that took the request, but not in the request: it reads the novel, renders in a
process of its own (the renderers are CPU work) and stores the file, whoever still waits. At most
`builds` run at once in the process (the others queue); a writer may have `per_user` queued or
running, and the process `queued` in all (429 / 503 beyond, nothing claimed). A job beats while
it runs; a job whose process died stops beating and the next request takes its claim over.
"""

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import BrokenExecutor, Executor
from dataclasses import dataclass
from uuid import UUID, uuid4

from infinite_scribe.application.ports.exports import NovelExportStore
from infinite_scribe.application.ports.reads import NovelSource, NovelView
from infinite_scribe.application.reads import Reads
from infinite_scribe.domain.errors import (
    ExportNotReady,
    NotFound,
    RendersBusy,
    SessionTrashed,
    TooManyRenders,
)

logger = logging.getLogger(__name__)

#: A novel's file in one format, from the novel (pure; run in the build's process).
Render = Callable[[NovelView], bytes]
#: A new pool of build processes (called again when the last one broke: a build process killed,
#: by the OOM killer say, breaks the whole pool for every later build).
BuildPool = Callable[[], Executor]
#: Reads the novel, renders it and stores the file where it runs (the build's process, on a
#: connection of its own): (render, novel_id, user_id, media, task_id) -> False when the novel
#: is gone. The book's megabytes then never pass through the API's process.
ProcessBuild = Callable[[Render, UUID, UUID, str, UUID], bool]

#: Builds running at once in one process: the machine's cores are for the requests too.
BUILDS = 1
#: Builds one writer may have queued or running in one process.
PER_USER = 2
#: Builds queued or running in one process in all.
QUEUED = 32
#: How often a running build says it still runs, and how long a silent one is trusted.
BEAT_SECONDS = 5.0
STALE_SECONDS = 30.0
RETRY_AFTER_SECONDS = 5


@dataclass(frozen=True)
class ExportTicket:
    """The task building (or that built) the file, and whether the file is there already."""

    task_id: UUID
    ready: bool


class NovelExports:
    """Claims, runs and serves a novel's exports in the formats of `renderers`."""

    def __init__(
        self,
        store: NovelExportStore,
        reads: Reads,
        renderers: Mapping[str, Render],
        builds: int = BUILDS,
        builders: BuildPool | None = None,
        process_build: ProcessBuild | None = None,
    ) -> None:
        self.store = store
        self.reads = reads
        self.renderers = renderers
        #: Where a file is built: a process of its own in the API (a thread would hold the GIL
        #: the loop needs: /health took 104-122 ms while a 1,000-chapter book rendered in one);
        #: None, the loop's default thread pool (tests, with renderers a process cannot take).
        self.builders = builders
        self.executor: Executor | None = builders() if builders is not None else None
        #: Why builds cannot run (a pool that broke again right after it was replaced), or None.
        self.broken: str | None = None
        #: With `executor` a process: the whole build there, reads and write included (its
        #: megabytes through the API's loop held /health 46-82 ms); None: read and store here.
        self.process_build = process_build
        self._slots = asyncio.Semaphore(builds)
        self._by_user: Counter[UUID] = Counter()
        self._jobs: set[asyncio.Task[None]] = set()

    async def request(self, novel_id: UUID, user_id: UUID, media: str) -> ExportTicket:
        """The novel's file in `media`: ready, or being built by the ticket's task (404 unless
        the user's novel; 409 SESSION_TRASHED; 429/503 when this writer or the process has as
        many builds waiting as it may)."""
        self._admit(user_id)
        claim = await self.store.claim(novel_id, user_id, media, uuid4(), STALE_SECONDS)
        if claim is None:
            raise NotFound("Novel not found")
        if claim.trashed:
            raise SessionTrashed("The novel's session is in the trash; restore it to export it")
        assert claim.task_id is not None  # a claim of a novel not in the trash names its task
        if claim.claimed:
            self._start(novel_id, user_id, media, claim.task_id)
        return ExportTicket(claim.task_id, claim.built)

    async def download(self, novel_id: UUID, user_id: UUID, media: str) -> bytes:
        """The stored file of the novel as it is now (404 EXPORT_NOT_READY otherwise; 409
        SESSION_TRASHED while its session is in the trash)."""
        stored = await self.store.stored(novel_id, user_id, media)
        if stored is not None and stored.trashed:
            raise SessionTrashed("The novel's session is in the trash; restore it to download it")
        if stored is None or stored.body is None or not stored.current:
            raise ExportNotReady(
                f"No {media} file of this novel as it is now: POST .../exports to build one"
            )
        return stored.body

    async def close(self) -> None:
        """Stop the builds still running (their rows are taken over by the next request), then
        their processes."""
        for job in list(self._jobs):
            job.cancel()
        await asyncio.gather(*self._jobs, return_exceptions=True)
        if self.builders is not None and self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)

    def health(self) -> str:
        """ "ok", or why a file cannot be built now."""
        return "ok" if self.broken is None else f"unavailable: {self.broken}"

    def _admit(self, user_id: UUID) -> None:
        if self._by_user[user_id] >= PER_USER:
            raise TooManyRenders(PER_USER, RETRY_AFTER_SECONDS)
        if len(self._jobs) >= QUEUED:
            raise RendersBusy(RETRY_AFTER_SECONDS)

    def _start(self, novel_id: UUID, user_id: UUID, media: str, task_id: UUID) -> None:
        self._by_user[user_id] += 1
        job = asyncio.create_task(self._build(novel_id, user_id, media, task_id))
        self._jobs.add(job)
        job.add_done_callback(lambda done: self._done(done, user_id))

    def _done(self, job: asyncio.Task[None], user_id: UUID) -> None:
        self._jobs.discard(job)
        self._by_user[user_id] -= 1
        if not self._by_user[user_id]:
            del self._by_user[user_id]

    async def _build(self, novel_id: UUID, user_id: UUID, media: str, task_id: UUID) -> None:
        progress = _Progress()
        beating = asyncio.create_task(self._beat(novel_id, media, task_id, progress))
        try:
            async with self._slots:
                progress.percent = 10
                await self._run(novel_id, user_id, media, task_id, progress)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            logger.exception("the %s export of novel %s failed", media, novel_id)
            with contextlib.suppress(Exception):
                await self.store.failed(novel_id, media, task_id, _message(error))
        finally:
            beating.cancel()

    async def _run(
        self, novel_id: UUID, user_id: UUID, media: str, task_id: UUID, progress: "_Progress"
    ) -> None:
        render = self.renderers[media]
        if self.process_build is not None:
            progress.percent = 40
            args = (render, novel_id, user_id, media, task_id)
            if not await self._in_build_process(self.process_build, args):
                raise NotFound("Novel not found")
            return
        loop = asyncio.get_running_loop()
        source = await self.reads.novel_source(novel_id, user_id)
        progress.percent = 40
        body = await loop.run_in_executor(self.executor, build_file, render, source)
        progress.percent = 90
        await self.store.built(novel_id, media, task_id, body)

    async def _in_build_process(
        self, build: ProcessBuild, args: tuple[Render, UUID, UUID, str, UUID]
    ) -> bool:
        """`build(*args)` in the build's process; a pool broken by a process that died (its
        build, or one before it) is replaced and the build run once more there."""
        executor = self.executor
        try:
            done = await asyncio.get_running_loop().run_in_executor(executor, build, *args)
        except BrokenExecutor:
            self._replace(executor)
            try:
                done = await asyncio.get_running_loop().run_in_executor(self.executor, build, *args)
            except BrokenExecutor:
                self.broken = "the build process died, and so did its replacement"
                self._replace(self.executor)
                raise
        self.broken = None
        return bool(done)

    def _replace(self, broken: Executor | None) -> None:
        """A new pool in place of `broken` (once: builds that broke together share it)."""
        if self.builders is None or self.executor is not broken:
            return
        logger.warning("the export build process died; starting a new one")
        if broken is not None:
            broken.shutdown(wait=False, cancel_futures=True)
        self.executor = self.builders()

    async def _beat(self, novel_id: UUID, media: str, task_id: UUID, progress: "_Progress") -> None:
        while True:
            with contextlib.suppress(Exception):  # a missed beat only ages the claim
                await self.store.beat(novel_id, media, task_id, progress.percent)
            await asyncio.sleep(BEAT_SECONDS)


def build_file(render: Render, source: NovelSource) -> bytes:
    """The file: the novel's chapters decoded, then rendered (in the build's process)."""
    return render(source.parsed())


@dataclass
class _Progress:
    percent: int = 0


def _message(error: Exception) -> str:
    if isinstance(error, NotFound):
        return "The novel is gone"
    return "The file could not be built"

"""Which of this worker's generations someone follows (decision 4002): drafts go out only for
sessions (or novels) whose live stream is open somewhere. The API processes record their open
streams (`StreamFollows.record`); this reads, in one statement for all of them, the sessions
generating here that have a draft to send: when a first draft asks (coalesced over
BATCH_SECONDS, at most one read per MIN_GAP_SECONDS), and every REFRESH_SECONDS while any of
them runs (a writer who opens the stream mid-generation gets its drafts from then on). A
generation that never drafts costs no read; when nothing drafts, nothing is read."""

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Iterator

logger = logging.getLogger(__name__)

#: How often the follows of running generations are read again.
REFRESH_SECONDS = 0.5
#: First drafts within this share one read.
BATCH_SECONDS = 0.02
#: The least time between two reads (bounds the reads per second whatever the throughput).
MIN_GAP_SECONDS = 0.05

Followed = Callable[[Collection[str]], Awaitable[set[str]]]


class Follows:
    """The follow state of the sessions generating in this process, read in batches."""

    def __init__(self, followed: Followed | None) -> None:
        #: None: no follows table (a test's worker): every session counts as followed.
        self._read = followed
        self._running: Counter[str] = Counter()
        #: Running sessions with a draft to send (their follow state is read).
        self._asked: set[str] = set()
        self._followed: set[str] = set()
        self._wake = asyncio.Event()
        #: What to call when a session turns out followed (its drafts' held text goes out).
        self._pokes: dict[str, set[Callable[[], None]]] = {}

    def is_followed(self, session_id: str) -> bool:
        """Whether anyone follows `session_id` as last read; a first ask wakes a read."""
        if self._read is None or session_id in self._followed:
            return True
        if session_id in self._running and session_id not in self._asked:
            self._asked.add(session_id)
            self._wake.set()
        return False

    @contextlib.contextmanager
    def watching(self, session_id: str) -> Iterator[None]:
        """A generation for `session_id` runs here (its follow may be asked for meanwhile)."""
        self._running[session_id] += 1
        try:
            yield
        finally:
            self._running[session_id] -= 1
            if self._running[session_id] <= 0:
                del self._running[session_id]
                self._asked.discard(session_id)
                self._followed.discard(session_id)

    def on_followed(self, session_id: str, poke: Callable[[], None]) -> Callable[[], None]:
        """Call `poke` whenever a read finds `session_id` newly followed; returns the undo."""
        self._pokes.setdefault(session_id, set()).add(poke)

        def undo() -> None:
            pokes = self._pokes.get(session_id)
            if pokes is not None:
                pokes.discard(poke)
                if not pokes:
                    del self._pokes[session_id]

        return undo

    async def run(self, stop: asyncio.Event) -> None:
        if self._read is None:
            return
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(REFRESH_SECONDS):
                    await self._wake.wait()
            if self._wake.is_set():
                await asyncio.sleep(BATCH_SECONDS)  # the other first drafts of this moment
                self._wake.clear()
            if self._asked:
                await self._refresh(self._read)
                await asyncio.sleep(MIN_GAP_SECONDS)

    async def _refresh(self, read: Followed) -> None:
        try:
            followed = await read(list(self._asked))
        except Exception as error:  # the next round tries again; drafts wait meanwhile
            logger.warning("reading followed streams failed: %s", error)
            return
        followed &= self._asked  # those that finished meanwhile are forgotten
        newly, self._followed = followed - self._followed, followed
        for session_id in newly:  # their text so far goes out now, not at the next chunk
            for poke in list(self._pokes.get(session_id, ())):
                poke()

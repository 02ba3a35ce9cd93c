"""Which of this worker's generations someone follows (decision 4002): drafts go out only for
sessions (or novels) whose live stream is open somewhere. The API processes record their open
streams (`StreamFollows.record`); this asks for the sessions generating here, in one statement
for all of them: at once (coalesced over BATCH_SECONDS) when a generation starts, and every
REFRESH_SECONDS while any runs (a writer who opens the stream mid-generation gets its drafts
from then on). Nothing runs here: no statement."""

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Iterator

logger = logging.getLogger(__name__)

#: How often the follows of running generations are read again.
REFRESH_SECONDS = 0.5
#: Generations that start within this share one read.
BATCH_SECONDS = 0.02

Followed = Callable[[Collection[str]], Awaitable[set[str]]]


class Follows:
    """The follow state of the sessions generating in this process, read in batches."""

    def __init__(self, followed: Followed | None) -> None:
        #: None: no follows table (a test's worker): every session counts as followed.
        self._read = followed
        self._running: Counter[str] = Counter()
        self._followed: set[str] = set()
        self._wake = asyncio.Event()
        #: What to call when a session turns out followed (its drafts' held text goes out).
        self._pokes: dict[str, set[Callable[[], None]]] = {}

    def is_followed(self, session_id: str) -> bool:
        return self._read is None or session_id in self._followed

    @contextlib.contextmanager
    def watching(self, session_id: str) -> Iterator[None]:
        """A generation for `session_id` runs here: its follow is read (now, then again)."""
        self._running[session_id] += 1
        self._wake.set()
        try:
            yield
        finally:
            self._running[session_id] -= 1
            if self._running[session_id] <= 0:
                del self._running[session_id]
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
                await asyncio.sleep(BATCH_SECONDS)  # the other generations starting now
                self._wake.clear()
            if not self._running:
                continue
            try:
                followed = await self._read(list(self._running))
            except Exception as error:  # the next round tries again; drafts wait meanwhile
                logger.warning("reading followed streams failed: %s", error)
                continue
            newly, self._followed = followed - self._followed, followed
            for session_id in newly:  # their text so far goes out now, not at the next chunk
                for poke in list(self._pokes.get(session_id, ())):
                    poke()

"""A process asking `/health` every few milliseconds on its own connection, so that what it
measures is the server's answer, not the test process's (its event loop and its GIL, busy
sending megabytes); each answer is given to the case that ran when it was asked (by the
system-wide monotonic clock both processes read)."""

import http.client
import multiprocessing
import time
from collections import defaultdict
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event

#: How often the probe asks.
PROBE_INTERVAL_SECONDS = 0.01


def _probe(port: int, done: Event, asked: "Synchronized[int]", results: Connection) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    answers: list[tuple[float, float, int]] = []
    while not done.is_set():
        started = time.monotonic()
        connection.request("GET", "/api/v1/health")
        answer = connection.getresponse()
        answer.read()
        answers.append((started, time.monotonic() - started, answer.status))
        asked.value += 1
        time.sleep(PROBE_INTERVAL_SECONDS)
    connection.close()
    results.send(answers)


@dataclass
class HealthProbe:
    port: int
    #: (case, start, end) on the monotonic clock.
    cases: list[tuple[str, float, float]] = field(default_factory=list)
    answers: list[tuple[float, float, int]] = field(default_factory=list)

    def __enter__(self) -> "HealthProbe":
        context = multiprocessing.get_context("spawn")
        self._done = context.Event()
        self._asked = context.Value("i", 0)
        self._results, sending = context.Pipe(duplex=False)
        arguments = (self.port, self._done, self._asked, sending)
        self._process = context.Process(target=_probe, args=arguments)
        self._process.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self.answers = self._results.recv()
        self._process.join(30)

    def asked(self) -> int:
        """How many answers the probe has had so far."""
        return int(self._asked.value)

    def during(self) -> dict[str, list[float]]:
        """Each case's answer times (seconds), from the answers asked while it ran."""
        found: dict[str, list[float]] = defaultdict(list)
        for case, start, end in self.cases:
            found[case] += [took for at, took, _ in self.answers if start <= at <= end]
        return found

    def worst(self) -> dict[str, float]:
        """The slowest answer during each case, in milliseconds."""
        return {case: max(values) * 1000 for case, values in self.during().items() if values}

    def statuses(self) -> set[int]:
        return {status for _, _, status in self.answers}

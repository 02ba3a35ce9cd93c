"""A worker's consumers and periodic jobs are declared (runtime/routing.py, runtime/periodic.py):
a message reaches the handler of its type and an unknown type is counted; a job runs on its
interval, outlives a failed run and stops with the stop event (on the fake loop clock)."""

import asyncio

import pytest

from infinite_scribe.kafka.cluster import ClusterGuard, ForeignBroker
from infinite_scribe.runtime.periodic import Periodic, run_every, run_periodic
from infinite_scribe.runtime.routing import Routes, by_type


async def test_a_message_reaches_the_handler_of_its_type_and_the_rest_are_counted() -> None:
    seen: list[str] = []
    ignored: list[int] = []

    async def handle(message: str) -> None:
        seen.append(message)

    routes = Routes(
        by_type((frozenset({"a", "b"}), handle)), lambda m: m[0], lambda: ignored.append(1)
    )
    for message in ("a1", "c1", "b1"):
        await routes(message)
    assert seen == ["a1", "b1"] and len(ignored) == 1


def test_a_type_with_two_handlers_is_refused() -> None:
    async def handle(message: str) -> None: ...

    with pytest.raises(ValueError, match="two handlers for b"):
        by_type((frozenset({"a", "b"}), handle), (frozenset({"b"}), handle))


@pytest.mark.usefixtures("loop_clock")
async def test_a_job_runs_on_its_interval_outlives_a_failure_and_stops() -> None:
    loop, stop = asyncio.get_running_loop(), asyncio.Event()
    runs: list[float] = []

    async def job() -> None:
        runs.append(loop.time())
        if len(runs) == 2:
            raise RuntimeError("the database is restarting")
        if len(runs) == 4:
            stop.set()

    started = loop.time()
    await asyncio.wait_for(run_every(Periodic("job", 10.0, job), stop), 100)
    assert [round(at - started) for at in runs] == [0, 10, 20, 30]


@pytest.mark.usefixtures("loop_clock")
async def test_a_job_may_first_run_after_one_interval() -> None:
    loop, stop = asyncio.get_running_loop(), asyncio.Event()
    runs: list[float] = []

    async def job() -> None:
        runs.append(loop.time())
        stop.set()

    started = loop.time()
    jobs = [Periodic("late", 5.0, job, at_start=False)]
    await asyncio.wait_for(run_periodic(jobs, stop), 100)
    assert [round(at - started) for at in runs] == [5]


class Metadata:
    def __init__(self, cluster_id: str) -> None:
        self.cluster_id, self.brokers = cluster_id, {1: "b"}


class Broker:
    """A broker whose cluster id the test changes."""

    def __init__(self, cluster_id: str) -> None:
        self.cluster_id = cluster_id

    def list_topics(self, timeout: float) -> Metadata:
        return Metadata(self.cluster_id)


async def test_the_cluster_guard_probes_as_a_periodic_job() -> None:
    broker = Broker("ours")
    guard = ClusterGuard(broker, "ours", 1.0, 1.0)
    await guard.probe()
    assert guard.verified.is_set() and not guard.foreign
    broker.cluster_id = "theirs"
    await guard.probe()
    with pytest.raises(ForeignBroker):
        guard.check()
    unguarded = ClusterGuard(broker, None, 1.0, 1.0)
    await unguarded.probe()  # nothing expected: verified without asking
    assert unguarded.verified.is_set() and unguarded.problem is None

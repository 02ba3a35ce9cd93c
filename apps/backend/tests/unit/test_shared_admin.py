"""The admin client of the health probes and the cluster guard is released by its owner: the
release waits for a call in progress (a probe's thread outlives its cancelled task), and a call
after it reads as the broker not answering (kafka/release.py)."""

import threading
import time

from confluent_kafka.admin import AdminClient

from infinite_scribe.kafka.cluster import NOT_ANSWERING, broker_problem
from infinite_scribe.kafka.release import SharedAdmin
from tests.support.relay import kafka_clients_alive

#: Nothing listens on port 1: each metadata request waits for its whole timeout.
_NOWHERE = {"bootstrap.servers": "127.0.0.1:1", "log_level": 0}


def test_the_release_waits_for_the_call_in_progress_then_calls_fail_as_not_answering() -> None:
    before = kafka_clients_alive()
    admin = SharedAdmin(AdminClient(_NOWHERE))
    answers: list[str | None] = []
    probe = threading.Thread(target=lambda: answers.append(broker_problem(admin, None, 0.6)))
    probe.start()
    time.sleep(0.2)  # the probe is inside list_topics
    admin.release()
    assert answers == [NOT_ANSWERING]  # the probe's call ended before the client went
    probe.join()
    assert broker_problem(admin, None, 0.6) == NOT_ANSWERING
    admin.release()  # a second release does nothing
    assert kafka_clients_alive() == before


def test_calls_run_side_by_side() -> None:
    """Two probes' calls at once both run (a broker away makes each wait its whole timeout:
    a lock around the call would queue health probes behind one another)."""
    admin = SharedAdmin(AdminClient(_NOWHERE))
    calls = [threading.Thread(target=broker_problem, args=(admin, None, 1.0)) for _ in range(2)]
    for call in calls:
        call.start()
    deadline = time.monotonic() + 0.8  # both inside list_topics before the first ends
    while admin._calls < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    both = admin._calls
    for call in calls:
        call.join()
    admin.release()
    assert both == 2

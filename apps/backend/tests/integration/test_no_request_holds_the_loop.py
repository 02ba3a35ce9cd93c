"""Issue 49: no request holds the loop. Every operation of the OpenAPI document is sent the
largest input its documented bounds allow, in its most expensive shapes (tests/support/
hostile_shapes.py: many small values, many strings, long strings without separators, nesting
to the depth limit and past it), four at once, to the real server process (`scribe api`), over
a session and a novel whose stored payloads are large; meanwhile another process asks
`/health` every 10 ms. The server's watchdog never sees a request's code run 100 ms on its
loop without coming back, `/health`
answers within 100 ms (99th centile; 250 ms at worst), no request is answered 500, and the
process's memory grows by at most 200 MB over the whole run."""

import asyncio
import contextlib
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from infinite_scribe.runtime.loop_lag import WARN_AFTER
from infinite_scribe.settings.settings import Settings
from tests.conftest import make_token
from tests.support.genesis_client import BASE, command, new_session
from tests.support.health_probe import HealthProbe
from tests.support.history import STAGES, history, ok, rollback, versions
from tests.support.hostile_server import ApiProcess, PeakRss, api_process
from tests.support.hostile_shapes import shapes, variants

pytestmark = [pytest.mark.slow, pytest.mark.alone]

#: The promise (docs/hostile-input.md): `/health` within this (99th centile) while any
#: request runs, and never so slow that a balancer would take the process for dead.
HEALTH_BOUND_MS = 100.0
HEALTH_WORST_MS = 250.0
#: Over the whole run (570 kinds of 1 MiB body, four at once: 88-112 MB seen, the allocator
#: keeping its arenas); the issue's per-case bound, 100 MB, is bench/loop_hold.py's (+0-10 MB).
RSS_GROWTH_BOUND_MB = 200.0
AT_ONCE = 4
#: The project's code that answers requests (a watchdog stack through it is a request's).
REQUEST_CODE = re.compile(r"infinite_scribe/(api|application|domain|persistence)/")
MAX_ROUNDS = 50
#: A stage's data: five of them and a rollback's copy of them stay under EVENT_MAX_BYTES.
STAGE_DATA = {"items": ["w" * 100] * 1400}
#: Bodies for the operations whose OpenAPI document gives no example.
EXAMPLES: dict[str, list[dict[str, Any]]] = {
    "POST /api/v1/genesis/sessions": [{"initial_user_input": {"idea": "a lighthouse"}}],
    "POST /api/v1/genesis/sessions/{session_id}/branches": [
        {"at_event_id": "{event_id}", "title": "t"}
    ],
    "POST /api/v1/events/stream-tickets": [{"context_id": "{session_id}"}],
    "POST /api/v1/flows/{correlation_id}/resume": [
        {"command_type": "SubmitFeedback", "payload": {"feedback": "darker"}}
    ],
}


@dataclass
class Book:
    """The ids every path and query parameter is filled from."""

    ids: dict[str, str]


@pytest.fixture(scope="module")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("loop") / "api.log"


@pytest.fixture(scope="module")
def server(settings: Settings, server_log: Path) -> Iterator[ApiProcess]:
    with api_process(settings, log=server_log) as running:
        yield running


@pytest.fixture
async def writer(server: ApiProcess, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {make_token(settings, uuid.uuid4())}"}
    async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=60) as client:
        yield client


async def _book(writer: httpx.AsyncClient) -> Book:
    """A finished session whose stages are large, rolled back and forth (its events page and
    history are megabytes), its novel, a generation's task and flow, and a spare session."""
    session_id = await new_session(writer)
    for stage in STAGES:
        payload = {"stage": stage, "data": STAGE_DATA}
        ok(await command(writer, session_id, "ConfirmStage", payload))
    confirms = {stage: versions(await history(writer, session_id), stage)[-1] for stage in STAGES}
    for _ in range(4):
        for stage in ("CHARACTERS", "PLOT_OUTLINE"):
            ok(await rollback(writer, session_id, confirms[stage]["event_id"]))
    state = ok(await writer.get(f"{BASE}/{session_id}/state"))
    other = await new_session(writer)
    generation = ok(await command(writer, other, "RequestConceptGeneration", {}), 202)
    return Book(
        {
            "session_id": str(session_id),
            "novel_id": str(state["novel_id"]),
            "event_id": str(confirms["PLOT_OUTLINE"]["event_id"]),
            "correlation_id": str(generation["correlation_id"]),
            "task_id": str(generation["task_id"]),
            "context_id": str(session_id),
            "spare_session_id": str(await new_session(writer)),
        }
    )


@dataclass
class Case:
    name: str
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes | None = None


def _filled(text: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        text = text.replace("{" + name + "}", value)
    return text


def _operation(key: str, operation: dict[str, Any], book: Book) -> Case:
    """The operation's URL, query and headers at their largest documented values."""
    method, path = key.split(" ", 1)
    ids = dict(book.ids)
    if _destructive(key):  # on a session of their own: the others read the book
        ids["session_id"] = ids["spare_session_id"]
    params, headers = {}, {}
    for parameter in operation.get("parameters", []):
        name, schema = parameter["name"], parameter.get("schema", {})
        if parameter["in"] == "query" and name in ids:
            params[name] = ids[name]
        elif parameter["in"] == "query" and "maximum" in schema:
            params[name] = str(schema["maximum"])
        elif name == "Idempotency-Key":
            headers[name] = f"{key}-{uuid.uuid4()}".ljust(255, "k")[:255]
    return Case(key, method, _filled(path, ids), params, headers)


def _destructive(key: str) -> bool:
    """Operations that change or end what the others read."""
    return key.startswith("DELETE ") or key.endswith(("/trash", "/restore"))


def _examples(key: str, operation: dict[str, Any], book: Book) -> list[dict[str, Any]]:
    documented = operation["requestBody"]["content"]["application/json"].get("examples", {})
    found = [example["value"] for example in documented.values()] or EXAMPLES[key]
    return [_fill_ids(example, book) for example in found]


def _fill_ids(value: Any, book: Book) -> Any:
    """The example's ids made real: its placeholders, and the event it names (the book's)."""
    if isinstance(value, dict):
        return {
            name: book.ids["event_id"] if name.endswith("event_id") else _fill_ids(item, book)
            for name, item in value.items()
        }
    return _filled(value, book.ids) if isinstance(value, str) else value


def cases(document: dict[str, Any], book: Book) -> Iterator[Case]:
    """Every operation but `/health` (the probe), its body in every shape in every place;
    the destructive ones last."""
    found, last = [], []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            key = f"{method.upper()} {path}"
            if key == "GET /api/v1/health":
                continue
            base = _operation(key, operation, book)
            target = last if _destructive(key) else found
            target.extend(_bodies(key, operation, base, book))
    yield from found
    yield from last


def _bodies(key: str, operation: dict[str, Any], base: Case, book: Book) -> list[Case]:
    if key == "GET /api/v1/novels/{novel_id}":
        kinds = ("application/json", "application/epub+zip", "text/markdown")
        return [_with(base, f"{key} {kind}", headers={"Accept": kind}) for kind in kinds]
    if "requestBody" not in operation:
        return [base]
    return [
        _with(base, f"{key} {place} {shape_name}", body=body)
        for example in _examples(key, operation, book)
        for shape_name, shape in shapes().items()
        for place, body in variants(example, shape)
    ]


def _with(base: Case, name: str, **changes: Any) -> Case:
    headers = base.headers | changes.pop("headers", {})
    return Case(name, base.method, base.path, base.params, headers, changes.get("body"))


async def _send(writer: httpx.AsyncClient, case: Case, book: Book) -> int:
    params = dict(case.params)
    headers = {"Content-Type": "application/json"} | case.headers if case.body else case.headers
    if case.name == "GET /api/v1/events/stream":
        ticket = await writer.post(
            "/api/v1/events/stream-tickets", json={"context_id": book.ids["context_id"]}
        )
        params["ticket"] = ok(ticket, 201)["ticket"]
        async with writer.stream("GET", case.path, params=params, headers=headers) as answer:
            await _read_for(answer, seconds=0.5)  # a stream never ends: its replay is the work
            return answer.status_code
    answer = await writer.request(
        case.method, case.path, params=params, headers=headers, content=case.body
    )
    return answer.status_code


async def _read_for(answer: httpx.Response, seconds: float) -> None:
    async def read() -> None:
        async for _ in answer.aiter_bytes():
            pass

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(read(), seconds)


async def test_no_request_holds_the_loop(
    writer: httpx.AsyncClient, server: ApiProcess, server_log: Path
) -> None:
    book = await _book(writer)
    document = ok(await writer.get("/openapi.json"))
    failures: dict[str, list[int]] = {}
    every = list(cases(document, book))
    with HealthProbe(server.port) as probe, PeakRss(server) as rss:
        for case in every:
            statuses = await _while_probed(writer, case, book, probe)
            if any(status >= 500 for status in statuses):
                failures[case.name] = statuses
    worst = probe.worst()
    answers = sorted(took for values in probe.during().values() for took in values)
    p99 = answers[int(0.99 * len(answers))] * 1000
    print(f"/health p99 {p99:.0f} ms over {len(answers)} answers; slowest by case (ms):")
    print(sorted(worst.items(), key=lambda item: -item[1])[:8])
    print(f"RSS {rss.before:.0f} -> peak {rss.peak:.0f} MB")
    assert len(every) > 300 and set(worst) >= {case.name for case in every}
    assert probe.statuses() == {200}
    assert not failures, failures
    # The server's own view: its watchdog (runtime/loop_lag.py) logs the stack of anything that
    # holds the loop 100 ms: none of a request's code runs 100 ms on it (startup, before the
    # server answers, builds the routes and its pools; a stall with no frame of ours is the
    # machine's).
    log = await asyncio.to_thread(server_log.read_text)
    held = [line for line in log.splitlines() if "event loop held" in line]
    assert not [line for line in held if _in_a_request(line, server.serving_since)], held
    # The client's: on two cores shared with PostgreSQL, this test and its probe, single
    # answers queue behind four requests' work now and then; the target is the 99th centile.
    assert p99 <= HEALTH_BOUND_MS, p99
    slow = {case: round(ms) for case, ms in worst.items() if ms > HEALTH_WORST_MS}
    assert not slow, f"/health slower than {HEALTH_WORST_MS} ms meanwhile: {slow}"
    assert rss.peak - rss.before <= RSS_GROWTH_BOUND_MB, (rss.before, rss.peak)


def _in_a_request(warning: str, serving_since: float) -> bool:
    """Whether a watchdog warning is a request's hold: logged once the server answered (the
    startup's holds run under the same middleware, `lifespan` being its scope, and the one-line
    holder names the innermost and outermost frames of ours, not `lifespan`), its stack runs
    through the code that answers requests, and the loop's thread ran WARN_AFTER on a CPU since
    its last beat. Its
    wall time is not the measure: with two cores shared by the whole suite the loop also waits
    for a CPU, and for the GIL while a thread that holds it waits for one (seen: held 144 ms,
    of which it ran 35 ms and waited 42 ms for a CPU)."""
    logged = datetime.fromisoformat(json.loads(warning)["timestamp"]).timestamp()
    if logged < serving_since or not REQUEST_CODE.search(warning):
        return False
    ran = re.search(r"it ran (\d+) ms", warning)
    assert ran, warning  # the watchdog says it on Linux
    return float(ran[1]) >= WARN_AFTER * 1000


async def _while_probed(
    writer: httpx.AsyncClient, case: Case, book: Book, probe: HealthProbe
) -> list[int]:
    """The case sent four at once, again until `/health` has been asked twice meanwhile (a
    quick case would otherwise go unprobed), at most MAX_ROUNDS times."""
    started, asked = time.monotonic(), probe.asked()
    statuses: list[int] = []
    for _ in range(MAX_ROUNDS):
        statuses += await asyncio.gather(*(_send(writer, case, book) for _ in range(AT_ONCE)))
        if probe.asked() - asked >= 3:  # the first may have been asked before the case
            break
    probe.cases.append((case.name, started, time.monotonic()))
    return statuses

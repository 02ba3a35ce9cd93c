"""Which log format a process writes (issue 77): LOG_FORMAT=auto is text where stderr is a
terminal and JSON elsewhere (uvicorn's rule); explicit values win; LOG_ACCESS=auto keeps, on a
terminal, the access lines of writes and failures, one short line each."""

import io
import logging
from collections.abc import Iterator

import orjson
import pytest

from infinite_scribe.observability.logs import (
    UVICORN_LOGGERS,
    JsonFormatter,
    TextFormatter,
    WritesAndFailures,
    configure_logging,
    formatter_for,
    resolved_format,
)
from infinite_scribe.settings.settings import Settings


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as stderr does under `make run` in a shell."""

    def isatty(self) -> bool:
        return True


def access(method: str, path: str, status: int) -> logging.LogRecord:
    args = ("127.0.0.1:5000", method, path, "1.1", status)
    return logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', args, None
    )


@pytest.fixture(autouse=True)
def _restored() -> Iterator[None]:
    """configure_logging changes the process's loggers: restored after each test."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    loggers = {name: logging.getLogger(name) for name in UVICORN_LOGGERS}
    kept = {name: (list(x.handlers), x.propagate, list(x.filters)) for name, x in loggers.items()}
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name, (handlers, propagate, filters) in kept.items():
        loggers[name].handlers[:] = handlers
        loggers[name].propagate = propagate
        loggers[name].filters[:] = filters


@pytest.mark.parametrize(
    ("setting", "terminal", "chosen"),
    [
        ("auto", True, "text"),
        ("auto", False, "json"),
        ("json", True, "json"),
        ("text", False, "text"),
    ],
)
def test_the_format_follows_the_terminal_unless_named(
    setting: str, terminal: bool, chosen: str
) -> None:
    assert resolved_format(setting, terminal) == chosen
    expected = JsonFormatter if chosen == "json" else TextFormatter
    assert type(formatter_for(setting, terminal)) is expected


def test_auto_is_the_default_and_named_in_the_settings() -> None:
    field = Settings.model_fields["log_format"]
    assert field.default == "auto" and "terminal" in (field.description or "")


def _emit(stream: io.StringIO, *records: logging.LogRecord) -> list[str]:
    for record in records:
        logging.getLogger(record.name).handle(record)
    return stream.getvalue().splitlines()


ACCESS = [
    access("GET", "/api/v1/health", 200),
    access("POST", "/api/v1/genesis/sessions", 201),
    access("GET", "/api/v1/novels/x", 404),
    access("GET", "/console/sessions/1/stream", 200),
]


def test_a_terminal_reads_text_and_one_short_line_per_write_or_failure() -> None:
    terminal = Terminal()
    configure_logging(Settings(log_repeat_interval_seconds=0), terminal)
    lines = _emit(terminal, *ACCESS)
    assert [line.split(" ", 1)[1] for line in lines] == [
        "POST /api/v1/genesis/sessions 201",
        "GET /api/v1/novels/x 404",
    ]
    logging.getLogger("infinite_scribe.test").warning("held by %s", "x")
    assert terminal.getvalue().splitlines()[-1].endswith("WARNING infinite_scribe.test: held by x")


def test_a_pipe_reads_json_for_every_request() -> None:
    pipe = io.StringIO()
    configure_logging(Settings(log_repeat_interval_seconds=0), pipe)
    lines = [orjson.loads(line) for line in _emit(pipe, *ACCESS)]
    assert [(x["method"], x["status"]) for x in lines] == [
        ("GET", 200),
        ("POST", 201),
        ("GET", 404),
        ("GET", 200),
    ]


@pytest.mark.parametrize(("log_access", "count"), [("all", 4), ("off", 0)])
def test_log_access_all_or_off_on_a_terminal(log_access: str, count: int) -> None:
    terminal = Terminal()
    configure_logging(Settings(log_access=log_access, log_repeat_interval_seconds=0), terminal)
    assert len(_emit(terminal, *ACCESS)) == count
    access_logger = logging.getLogger("uvicorn.access")
    assert not [f for f in access_logger.filters if isinstance(f, WritesAndFailures)]

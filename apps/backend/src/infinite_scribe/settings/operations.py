"""The settings every process shares: what it is, where it keeps its data, how it logs and
traces (docs/operations.md), and the trash sweeper (docs/trash.md). Mixed into `Settings`."""

from enum import StrEnum
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import Field
from pydantic_settings import BaseSettings

from infinite_scribe.settings.fields import seconds


class ServiceType(StrEnum):
    API = "api"
    MESSAGE_RELAY = "message-relay"
    AGENT_WORKER = "agent-worker"
    ALL = "all"


class ProcessSettings(BaseSettings):
    section: ClassVar[str] = "Processes"

    service_type: Annotated[
        ServiceType,
        Field(
            description="What `python -m infinite_scribe` starts: `api`, `message-relay`, "
            "`agent-worker` (`scribe worker`), `all` (`scribe up`)."
        ),
    ] = ServiceType.API
    scribe_data_dir: Annotated[
        Path,
        Field(
            description="Where embedded services keep their data, and `scribe up` its "
            "`services.json`."
        ),
    ] = Path(".data")


class ObservabilitySettings(BaseSettings):
    section: ClassVar[str] = "Logs and traces ([docs/operations.md](docs/operations.md#monitoring))"

    log_level: Annotated[
        str,
        Field(
            pattern=r"^(?i)(DEBUG|INFO|WARNING|ERROR|CRITICAL)$",
            description="The lowest level logged: `DEBUG`, `INFO`, `WARNING`, `ERROR`, `CRITICAL`.",
        ),
    ] = "INFO"
    log_format: Annotated[
        Literal["auto", "json", "text"],
        Field(
            description="`json`: every process (and uvicorn's access log) writes one JSON "
            "object per line with `timestamp`, `level`, `logger`, `message` and, when known, "
            "`request_id`, `user_id`, `session_id`, `correlation_id`, `trace_id` (for log "
            "shippers); `text`: the same as a readable line, an access line as `METHOD path "
            "status`; `auto`: `text` where stderr is a terminal (`make run` in a shell), "
            "`json` elsewhere (a pipe, a file, a container's log), as uvicorn does."
        ),
    ] = "auto"
    log_access: Annotated[
        Literal["auto", "all", "off"],
        Field(
            description="The API's access log: `all`: a line per request; `off`: none; "
            "`auto`: where stderr is a terminal, a line per write and per failed request "
            "(status 400 or more; the console's reads are left out), elsewhere a line per "
            "request. `scribe api --no-access-log` turns it off too."
        ),
    ] = "auto"
    log_repeat_interval_seconds: Annotated[
        float,
        Field(
            ge=0,
            le=3600,
            description="A log line repeated within this many seconds is written once, then "
            "with `[+N similar in T s]` (librdkafka's too; 0: every line).",
        ),
    ] = 10.0
    otel_exporter_otlp_endpoint: Annotated[
        str | None,
        Field(
            pattern=r"^https?://\S+$",
            description="An OTLP/HTTP collector (`http://collector:4318`): spans of the API, "
            "the database, the relay and the agent worker, one trace per command. Unset: "
            "tracing off. The exporter also reads the standard `OTEL_EXPORTER_OTLP_HEADERS` "
            "and `OTEL_EXPORTER_OTLP_TIMEOUT` itself.",
        ),
    ] = None
    otel_service_name: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=200,
            description="The spans' `service.name`. Unset: the process's "
            "(`infinite-scribe-api`, `-relay`, `-worker`).",
        ),
    ] = None
    otel_traces_sample_ratio: Annotated[
        float,
        Field(
            ge=0,
            le=1,
            description="The share of new traces recorded (a request's later spans follow "
            "its first's decision).",
        ),
    ] = 1.0


class TrashSettings(BaseSettings):
    section: ClassVar[str] = (
        "Trash and archive ([docs/trash.md](docs/trash.md), "
        "[docs/operations.md](docs/operations.md#the-archive-and-retention))"
    )

    trash_retention_days: Annotated[
        float,
        Field(gt=0, le=36500, description="Sessions trashed longer than this are purged."),
    ] = 30.0
    trash_sweep_interval: Annotated[
        float,
        seconds(
            "Seconds between purges inside `scribe up` (elsewhere: `scribe trash purge-expired`).",
            le=7 * 86400,
        ),
    ] = 3600.0
    archive_trashed_after_days: Annotated[
        float,
        Field(
            gt=0,
            le=36500,
            description="Sessions trashed longer than this move to the archived partition "
            "(the sweeper of `scribe up`; `scribe archive trashed`; docs/operations.md).",
        ),
    ] = 7.0
    archive_finished_after_days: Annotated[
        float | None,
        Field(
            gt=0,
            le=36500,
            description="Finished sessions idle longer than this move to the archived "
            "partition in the sweeper of `scribe up` (unset: only `scribe archive finished`).",
        ),
    ] = None
    derived_retention_days: Annotated[
        float,
        Field(
            gt=0,
            le=36500,
            description="Finished tasks, finished commands' inbox rows and consumer ledger rows "
            "older than this are deleted (the sweeper of `scribe up`; `scribe archive prune`). "
            "Keep it above the topic's retention.",
        ),
    ] = 30.0

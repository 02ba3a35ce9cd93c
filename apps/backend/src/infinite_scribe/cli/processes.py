"""The long-running processes: `scribe up` (everything), `scribe api`, `scribe relay`; and
`scribe token`, a development JWT. The agent worker is `scribe worker` (cli/worker.py)."""

from typing import Annotated
from uuid import UUID

import typer

from infinite_scribe.cli.app import database_url, fail, settings

HostOption = Annotated[
    str | None,
    typer.Option(help="listen address [default: API_HOST, 127.0.0.1]", show_default=False),
]
PortOption = Annotated[
    int | None,
    typer.Option(min=1, max=65535, help="port [default: API_PORT, 8000]", show_default=False),
]


def _free_api_port(host: str, port: int) -> None:
    """A clear refusal instead of uvicorn's bind error after everything else started."""
    from infinite_scribe.embedded.net import port_open

    if port_open(host, port):
        fail(
            f"{host}:{port} is already in use (another `scribe up`?): choose another API port "
            "with `make run PORT=8001`, `--port 8001` or API_PORT=8001"
        )


def up(host: HostOption = None, port: PortOption = None) -> None:
    """Everything at once: embedded services as needed, migrations, API and workers."""
    from infinite_scribe.cli.trash import run_trash_sweeper
    from infinite_scribe.cli.up import Background, run_up
    from infinite_scribe.composition.agents import run_agent_worker
    from infinite_scribe.composition.relay import run_relay
    from infinite_scribe.embedded.local_engine import EngineFailed, EngineUnavailable
    from infinite_scribe.settings.services_file import AlreadyRunning, live_services, sole_up
    from infinite_scribe.settings.settings import ConfigurationError

    current = settings(find_up=False)
    host, port = host or current.api_host, port or current.api_port
    running = live_services(current.scribe_data_dir)
    if running is not None:
        fail(
            f"`scribe up` is already running with SCRIBE_DATA_DIR={current.scribe_data_dir} "
            f"(pid {running.pid}, {running.api_url})"
        )
    _free_api_port(host, port)
    try:
        with sole_up(current.scribe_data_dir):
            workers: list[Background] = [run_relay, run_agent_worker, run_trash_sweeper]
            run_up(current, workers=workers, host=host, port=port)
    except AlreadyRunning as error:
        fail(f"`scribe up` is already running: {error}")
    except (ConfigurationError, EngineUnavailable, EngineFailed) as error:
        fail(str(error))


def api(
    host: HostOption = None,
    port: PortOption = None,
    access_log: Annotated[bool, typer.Option(help="log every request at INFO")] = True,
) -> None:
    """The HTTP API alone (needs DATABASE_URL and KAFKA_BOOTSTRAP_SERVERS)."""
    from infinite_scribe.cli.api_server import run_api
    from infinite_scribe.settings.settings import ConfigurationError

    current = settings()
    database_url(current)
    try:
        run_api(current, host or current.api_host, port or current.api_port, access_log)
    except ConfigurationError as error:
        fail(str(error))


def relay() -> None:
    """The Message Relay: outbox rows to Kafka until SIGTERM/SIGINT."""
    from infinite_scribe.composition.relay import serve_relay
    from infinite_scribe.observability.tracing import traced_process

    current = settings()
    database_url(current)
    with traced_process(current, "infinite-scribe-relay"):
        serve_relay(current)


def token(
    user: Annotated[UUID, typer.Option(help="the user id (the token's sub claim)")],
    ttl: Annotated[int, typer.Option(min=1, help="lifetime in seconds")] = 3600,
    operator: Annotated[
        bool, typer.Option("--operator", help="add the operator role (the console's ops pages)")
    ] = False,
    name: Annotated[
        str | None, typer.Option(help="the writer's name the console shows (the name claim)")
    ] = None,
) -> None:
    """Print an HS256 JWT for USER signed with JWT_SECRET_KEY."""
    from infinite_scribe.api.auth import OPERATOR_ROLE, create_access_token
    from infinite_scribe.api.dev_credential import KEY_CLAIM, dev_key, offers_dev_token

    current = settings()
    roles = [OPERATOR_ROLE] if operator else []
    # The development secret is public: the console takes an operator only with the data
    # directory's key beside it (decision 3100).
    public = operator and offers_dev_token(current)
    extra: dict[str, object] = {KEY_CLAIM: dev_key(current.scribe_data_dir)} if public else {}
    if name:
        extra["name"] = name[:100]
    typer.echo(create_access_token(current, user, ttl, roles=roles, extra=extra))

"""`python -m infinite_scribe`: starts the service named by SERVICE_TYPE."""

import sys

from infinite_scribe.cli import app
from infinite_scribe.settings.settings import ConfigurationError, ServiceType, load_settings

COMMAND_BY_SERVICE = {
    ServiceType.API: ["api"],
    ServiceType.MESSAGE_RELAY: ["relay"],
    ServiceType.AGENT_WORKER: ["worker"],
    ServiceType.ALL: ["up"],
}


def main(argv: list[str] | None = None) -> None:
    try:
        service = load_settings().service_type
    except ConfigurationError as error:
        print(error, file=sys.stderr)
        raise SystemExit(2) from error
    app(COMMAND_BY_SERVICE[service] + (argv if argv is not None else sys.argv[1:]))


if __name__ == "__main__":
    main()

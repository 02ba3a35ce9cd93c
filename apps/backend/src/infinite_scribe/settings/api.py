"""The API's settings: where it serves, how many processes, which hosts and origins it answers,
its metrics listener, and how tokens are verified (docs/command-api.md, docs/operations.md).
Mixed into `Settings` (settings.py)."""

import json
import re
from typing import Annotated, ClassVar

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode

from infinite_scribe.settings.fields import count, port

#: The development secret: fine on a laptop with embedded services, refused anywhere else.
DEV_JWT_SECRET = "dev-insecure-jwt-secret-change-me"
MIN_PRODUCTION_SECRET_LENGTH = 32


class ApiSettings(BaseSettings):
    section: ClassVar[str] = "API ([docs/command-api.md](docs/command-api.md))"

    api_host: Annotated[
        str,
        Field(
            description="Where `scribe up` / `scribe api` serve (`--host` wins); on "
            "`0.0.0.0` or `::` set `API_ALLOWED_HOSTS` too."
        ),
    ] = "127.0.0.1"
    api_port: Annotated[
        int,
        port("Their port (`--port` wins; `make run PORT=8001`).", ge=1),
    ] = 8000
    api_workers: Annotated[
        int,
        count(
            "uvicorn worker processes of `scribe api` on one port (1: a single "
            "process, no supervisor; decision 1002).",
            le=64,
        ),
    ] = 1
    api_allowed_hosts: Annotated[
        list[str],
        NoDecode,
        Field(
            description="The names the API answers to in `Host` (`api.example.com,.example.org`"
            " for a name and a domain with its subdomains, `*` for any; a JSON list or "
            "comma-separated); others get 400 `INVALID_HOST` (DNS rebinding: set it in "
            "production). Empty: the loopback names (and `API_HOST`) with the development "
            "`JWT_SECRET_KEY`, any name otherwise."
        ),
    ] = Field(default_factory=list)
    cors_origins: Annotated[
        list[str],
        NoDecode,
        Field(
            description="Origins a browser frontend may call the API from "
            "(`https://app.example.com,https://admin.example.com`, a JSON list, or `*` for "
            "any). Empty: no cross-origin access."
        ),
    ] = Field(default_factory=list)
    cors_allow_localhost: Annotated[
        bool | None,
        Field(
            description="Also allow `http://localhost:<any port>`, `127.0.0.1` and `[::1]` "
            "origins (a dev server beside `scribe up`). Unset: on with the embedded database."
        ),
    ] = None
    api_metrics_host: Annotated[
        str,
        Field(
            description="The API's `/metrics` and `/health` listener; never on the API's own "
            "port, which the public reaches."
        ),
    ] = "127.0.0.1"
    api_metrics_port: Annotated[
        int,
        port("Its port (0: any free port; `scribe up`: a free one)."),
    ] = 9110

    @field_validator("cors_origins", "api_allowed_hosts", mode="before")
    @classmethod
    def _origins_list(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [item.strip() for item in text.split(",") if item.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins_are_origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin != "*" and not re.fullmatch(r"https?://[^\s/?#]+/?", origin):
                raise ValueError(f"{origin!r} is not an origin (scheme://host[:port], no path)")
        return [origin.rstrip("/") for origin in value]


class AuthSettings(BaseSettings):
    section: ClassVar[str] = "Tokens"

    jwt_secret_key: Annotated[
        SecretStr,
        Field(
            description="The HS256 signing secret. Its development default (or one under 32 "
            "characters) stops the API when `DATABASE_URL` points at a real database (not the "
            "embedded one of a running `scribe up`)."
        ),
    ] = SecretStr(DEV_JWT_SECRET)
    jwt_algorithm: Annotated[
        str,
        Field(
            pattern=r"^(HS256|RS256)$",
            description="`HS256`, or `RS256` to verify with `JWT_PUBLIC_KEY` instead.",
        ),
    ] = "HS256"
    jwt_public_key: Annotated[
        str | None, Field(description="The PEM public key that verifies `RS256` tokens.")
    ] = None

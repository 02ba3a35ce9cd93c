"""The database's settings: one URL, or the same in parts (docs/deploy.md). Unset: `scribe up`
starts an embedded PostgreSQL. Mixed into `Settings` (settings.py)."""

from typing import Annotated, ClassVar, Literal
from urllib.parse import quote

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings

from infinite_scribe.settings.fields import count, port


class DatabaseSettings(BaseSettings):
    section: ClassVar[str] = "Database ([docs/deploy.md](docs/deploy.md))"

    database_url: Annotated[
        str | None,
        Field(
            description="`postgresql://user:pass@host:port/db` (a `?host=/dir` query selects a "
            "Unix socket). Unset, with no `POSTGRES_HOST` either: `scribe up` starts an "
            "embedded PostgreSQL and the other commands find it."
        ),
    ] = None
    postgres_host: Annotated[
        str | None,
        Field(description="The database in parts, when `DATABASE_URL` is unset: its host."),
    ] = None
    postgres_port: Annotated[int, port("Its port (with `POSTGRES_HOST`).", ge=1)] = 5432
    postgres_db: Annotated[str, Field(description="Its database name (with `POSTGRES_HOST`).")] = (
        "infinite_scribe"
    )
    postgres_user: Annotated[str, Field(description="Its user (with `POSTGRES_HOST`).")] = (
        "postgres"
    )
    postgres_password: Annotated[
        SecretStr, Field(description="Its password (with `POSTGRES_HOST`).")
    ] = SecretStr("")

    embedded_outbox_mode: Annotated[
        Literal["logical", "table"],
        Field(
            description="The outbox mode `scribe up` gives a NEW embedded database: `logical` "
            "(writers emit into a replication slot) or `table` (`event_outbox` rows); a data "
            "directory that exists keeps its mode (`scribe outbox logical on|off` changes it)."
        ),
    ] = "logical"

    write_batch_max: Annotated[
        int,
        count(
            "Group commit: concurrent autocommit writes of one shape (commands, "
            "agents' answers) that go to PostgreSQL as one batch and one commit, at most "
            "(docs/decisions/5001-group-commit.md); 1 writes each alone.",
            le=256,
        ),
    ] = 16

    @field_validator("database_url")
    @classmethod
    def _postgres_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL")
        return value

    @property
    def embedded_database(self) -> bool:
        """True when no database is configured, so `scribe up` starts an embedded one."""
        return self.database_url is None and self.postgres_host is None

    def resolved_database_url(self) -> str | None:
        """The configured database URL (DATABASE_URL wins over the POSTGRES_* set)."""
        if self.database_url:
            return self.database_url
        if self.postgres_host:
            password = quote(self.postgres_password.get_secret_value(), safe="")
            user = quote(self.postgres_user, safe="")
            return (
                f"postgresql://{user}:{password}@{self.postgres_host}:{self.postgres_port}"
                f"/{self.postgres_db}"
            )
        return None

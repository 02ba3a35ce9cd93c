"""Whether the model server answers, for the API's and the worker's health (issue 56): a cheap
probe (`GET {LLM_BASE_URL}/models`: no tokens, every OpenAI-compatible server has it), cached
for `LLM_HEALTH_TTL_SECONDS` and run once at a time, so a health check polled every second
does not become load on the model. A model that cannot be reached makes the service
`degraded` (with the reason), never unhealthy: the API and the worker still serve, and a
liveness probe must not restart them for an outage that is not theirs. Also the one place
that puts a model connection's failure into words (`connection_failure`)."""

import asyncio
import os
import time
from dataclasses import dataclass

import aiohttp

from infinite_scribe.settings.agents import LlmSettings

#: How long one probe may take (the health answer must stay fast).
PROBE_SECONDS = 1.5


@dataclass(frozen=True)
class ModelStatus:
    ok: bool
    #: "ok", or why not, as a sentence.
    detail: str


OFFLINE = ModelStatus(True, "ok: the offline generator (no model server)")


def connection_failure(error: aiohttp.ClientError) -> str:
    """What went wrong with the model server's connection, as a sentence (no Python repr)."""
    if isinstance(error, aiohttp.ClientConnectorError):
        number = error.os_error.errno
        # By its number: asyncio's own text is "Connect call failed ('127.0.0.1', 1)".
        reason = os.strerror(number) if number else type(error.os_error).__name__
        return (
            f"the model server at {error.host}:{error.port} cannot be reached ({reason.lower()}): "
            "is it running, and is LLM_BASE_URL right?"
        )
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return "the model server closed the connection before it answered"
    if isinstance(error, aiohttp.ClientPayloadError):
        return "the model server's reply broke off before its end"
    return f"the connection to the model server failed ({type(error).__name__})"


def _answered(status: int) -> ModelStatus:
    if status in (401, 403):
        return ModelStatus(False, f"the model server refuses the API key ({status}): LLM_API_KEY")
    if status >= 500:
        return ModelStatus(False, f"the model server answers with an error ({status})")
    return ModelStatus(True, "ok")  # 200, or a server without /models (404): it answers


class ModelHealth:
    """The model server's status, probed at most once per `ttl` seconds (None: offline);
    `model` names the model in the answer, `local` says the server is `up`'s local engine."""

    def __init__(
        self,
        base_url: str | None,
        api_key: str = "",
        ttl: float = 15.0,
        model: str | None = None,
        local: bool = False,
    ) -> None:
        self.url = None if base_url is None else base_url.rstrip("/") + "/models"
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.ttl = ttl
        self.model = model
        self.local = local
        self._last: tuple[float, ModelStatus] | None = None
        self._lock = asyncio.Lock()

    @classmethod
    def of(cls, settings: LlmSettings) -> "ModelHealth":
        """The configured model server's (none for the offline generator)."""
        if settings.llm_provider != "openai":
            return cls(None)
        key = settings.llm_api_key.get_secret_value()
        return cls(
            settings.llm_base_url,
            key,
            settings.llm_health_ttl_seconds,
            settings.llm_model,
            settings.uses_local_engine,
        )

    async def status(self) -> ModelStatus:
        if self.url is None:
            return OFFLINE
        async with self._lock:  # one probe at a time; the others read its answer
            if self._last is None or time.monotonic() - self._last[0] >= self.ttl:
                self._last = (time.monotonic(), self._named(await self._probe(self.url)))
            return self._last[1]

    def _named(self, status: ModelStatus) -> ModelStatus:
        """The answer with the model's name, and what the local engine's outage means."""
        server = "the local engine" if self.local else "the model server"
        if status.ok:
            named = f" ({self.model}, {server})" if self.model else ""
            return ModelStatus(True, f"{status.detail}{named}")
        if not self.local:
            return status
        return ModelStatus(
            False,
            f"the local engine serving {self.model} is down: {status.detail} (`scribe up` "
            "restarts it; its log is local-engine.log in SCRIBE_DATA_DIR)",
        )

    async def _probe(self, url: str) -> ModelStatus:
        timeout = aiohttp.ClientTimeout(total=PROBE_SECONDS)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout, headers=self.headers) as session,
                session.get(url) as response,
            ):
                return _answered(response.status)
        except TimeoutError:
            return ModelStatus(False, f"the model server did not answer within {PROBE_SECONDS} s")
        except aiohttp.ClientError as error:
            return ModelStatus(False, connection_failure(error))

"""Whether the model server answers, for the API's and the worker's health (issue 56): a cheap
probe (`GET {LLM_BASE_URL}/models`: no tokens, every OpenAI-compatible server has it), cached
for `LLM_HEALTH_TTL_SECONDS` and run once at a time, so a health check polled every second
does not become load on the model. A model that cannot be reached makes the service
`degraded` (with the reason), never unhealthy: the API and the worker still serve, and a
liveness probe must not restart them for an outage that is not theirs. Also the one place
that puts a model connection's failure into words (`connection_failure`).

The probe alone is not enough (issue 79): a server that answers `/models` while every
completion fails or hangs read "ok", and a local engine busy with a long generation made the
probe time out and read "down". So the answer also reads what the model path does
(runtime/model_activity.py, fresh on every check): a rate-limit pause or recent failed calls
make it `degraded` with the reason, and a probe that times out while calls are in flight reads
"busy" (ok: the server is working, not gone)."""

import asyncio
import os
import time
from dataclasses import dataclass

import aiohttp

from infinite_scribe.runtime.model_activity import ModelActivity, activity_of
from infinite_scribe.settings.agents import LlmSettings

#: How long one probe may take (the health answer must stay fast).
PROBE_SECONDS = 1.5


@dataclass(frozen=True)
class ModelStatus:
    ok: bool
    #: "ok", or why not, as a sentence.
    detail: str
    #: The probe got no answer in time (which, with calls in flight, means busy).
    timed_out: bool = False


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
        activity: ModelActivity | None = None,
    ) -> None:
        self.url = None if base_url is None else base_url.rstrip("/") + "/models"
        #: What this process's model calls to that server did (the worker's gate writes it).
        self.activity = activity or (ModelActivity() if base_url is None else activity_of(base_url))
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
                self._last = (time.monotonic(), await self._probe(self.url))
            probed = self._last[1]
        return self._read(probed)

    def _read(self, probed: ModelStatus) -> ModelStatus:
        """The probe's answer beside what the calls do (busy, paused or failing), named."""
        in_flight = self.activity.in_flight
        if probed.timed_out and in_flight > 0:
            busy = (
                f"busy: the model server is answering {in_flight} call(s) and did not answer "
                f"the health probe within {PROBE_SECONDS} s"
            )
            return ModelStatus(True, self._with_name(busy))
        if not probed.ok:
            return self._down(probed)
        trouble = self.activity.trouble()
        if trouble is not None:
            return ModelStatus(False, self._with_name(trouble))
        return ModelStatus(True, self._with_name(probed.detail))

    def _with_name(self, detail: str) -> str:
        server = "the local engine" if self.local else "the model server"
        return f"{detail} ({self.model}, {server})" if self.model else detail

    def _down(self, status: ModelStatus) -> ModelStatus:
        """What the local engine's outage means (a remote server's reason stands as it is)."""
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
            detail = f"the model server did not answer within {PROBE_SECONDS} s"
            return ModelStatus(False, detail, timed_out=True)
        except aiohttp.ClientError as error:
            return ModelStatus(False, connection_failure(error))

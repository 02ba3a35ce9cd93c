"""The fake LLM server routing replies by a marker in the prompt (split from fake_llm.py)."""

import time
from dataclasses import replace

from aiohttp import web

from tests.support.fake_llm import FakeLLMServer, Reply, SeenRequest


class RoutedLLM(FakeLLMServer):
    """The fake LLM server, answering requests whose prompt contains a marker with that
    marker's reply (so sessions can fail differently at the same time); the rest as usual."""

    def __init__(self) -> None:
        super().__init__()
        self.routes: dict[str, Reply] = {}

    def hits(self, marker: str) -> int:
        return sum(marker in seen.prompt for seen in self.requests)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        seen = SeenRequest(request.path, dict(request.headers), body)
        reply = next((r for m, r in dict(self.routes).items() if m in seen.prompt), None)
        if reply is None:
            return await super()._handle(request)  # the body is cached: read again is fine
        with self._lock:
            self._seen.append(seen)
            self.arrivals.append(time.time())
        return await self._respond(request, seen, replace(reply, content=reply.content or ""))

"""A bounded wait for every request (issue 21): one that has not begun its answer after
API_REQUEST_TIMEOUT_SECONDS (a frozen database, a pool with no free connection, a lock held for
ever) is answered 503 DEADLINE_EXCEEDED then and there, and its work is cancelled.

The answer cannot wait for the cancelled work to unwind: asyncpg hands a connection back to its
pool under a shield that waits for the server, so a frozen database would hold the 503 until it
thawed. So a timer sends the 503 itself (with `Connection: close`: uvicorn starts nothing else on
that connection while the old work unwinds) and the request's task is cancelled; whatever that
task sends later is dropped. Its outcome is unknown to the client, which may retry with the same
Idempotency-Key (answered once the first attempt settles). A response already begun (a live
stream) is never cut.
"""

import asyncio
import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infinite_scribe.api.middleware.idempotency_replies import error_reply

logger = logging.getLogger(__name__)

RETRY_AFTER = "5"


class _Deadline:
    """One request's deadline: sends the 503 and cancels the request's task when it passes."""

    def __init__(self, send: Send, task: "asyncio.Task[Any]", seconds: float) -> None:
        self.send = send
        self.task = task
        self.seconds = seconds
        self.started = False
        self.expired = False
        self.reply: asyncio.Future[None] | None = None
        self.timer = asyncio.get_running_loop().call_later(seconds, self._expire)

    def _expire(self) -> None:
        if self.started:
            return
        self.expired = True
        # The answer goes out from a task of its own: the request's task may be held unwinding.
        self.reply = asyncio.ensure_future(self._answer())
        self.task.cancel()

    async def _answer(self) -> None:
        message = (
            f"No answer within API_REQUEST_TIMEOUT_SECONDS ({self.seconds:g} s): a backing "
            "service is slow or unavailable. The request may or may not have taken effect; "
            "retry with the same Idempotency-Key"
        )
        status, headers, body = error_reply(
            503, "DEADLINE_EXCEEDED", message, retry_after=RETRY_AFTER
        )
        headers = [*headers, (b"connection", b"close"), (b"content-length", b"%d" % len(body))]
        try:
            await self.send({"type": "http.response.start", "status": status, "headers": headers})
            await self.send({"type": "http.response.body", "body": body, "more_body": False})
        except Exception:  # the client went away meanwhile: nothing to answer
            logger.debug("deadline answer not sent", exc_info=True)

    async def guarded_send(self, message: Message) -> None:
        if self.expired:
            return  # the 503 went out instead
        if message["type"] == "http.response.start":
            self.started = True
            self.timer.cancel()
        await self.send(message)


class DeadlineMiddleware:
    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        task = asyncio.current_task()
        if scope["type"] != "http" or task is None:
            await self.app(scope, receive, send)
            return
        deadline = _Deadline(send, task, self.seconds)
        try:
            await self.app(scope, receive, deadline.guarded_send)
        except (Exception, asyncio.CancelledError) as error:
            if not deadline.expired:
                raise
            if isinstance(error, asyncio.CancelledError):
                task.uncancel()  # our own cancellation, answered by the 503
            # Whatever the cancelled work ended with, the 503 is its answer.
            logger.warning("%s %s: no answer within the deadline", scope["method"], scope["path"])
        finally:
            deadline.timer.cancel()
        if deadline.reply is not None:
            # Work that unwound at once must not return before the 503 is out (uvicorn would
            # answer 500 "returned without starting response").
            await deadline.reply

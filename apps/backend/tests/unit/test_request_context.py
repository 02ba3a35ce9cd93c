"""The request-context middleware: ids kept or replaced, traceparent validated, id echoed."""

from starlette.types import Message, Receive, Scope, Send

from infinite_scribe.api.middleware.request_context import RequestContextMiddleware

TRACEPARENT = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


async def run(headers: list[tuple[bytes, bytes]]) -> tuple[dict[str, object], list[Message]]:
    seen: dict[str, object] = {}
    sent: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.update(scope["state"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> Message:
        return {"type": "http.request"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "headers": headers}
    await RequestContextMiddleware(app)(scope, receive, send)
    return seen, sent


async def test_client_request_id_and_traceparent_are_kept() -> None:
    seen, sent = await run([(b"x-request-id", b"abc-123"), (b"traceparent", TRACEPARENT)])
    assert seen == {"request_id": "abc-123", "traceparent": TRACEPARENT.decode()}
    assert (b"x-request-id", b"abc-123") in sent[0]["headers"]


async def test_unusable_values_are_replaced_or_dropped() -> None:
    seen, sent = await run([(b"x-request-id", b"bad id\x01"), (b"traceparent", b"garbage")])
    assert seen["traceparent"] is None
    request_id = seen["request_id"]
    assert isinstance(request_id, str) and len(request_id) == 32
    assert (b"x-request-id", request_id.encode()) in sent[0]["headers"]


async def test_other_scopes_pass_through() -> None:
    called: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        called.append(scope["type"])

    async def noop_receive() -> Message:
        return {}

    async def noop_send(message: Message) -> None:
        return None

    await RequestContextMiddleware(app)({"type": "lifespan"}, noop_receive, noop_send)
    assert called == ["lifespan"]

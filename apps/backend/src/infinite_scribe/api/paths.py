"""URL paths shared by the app and its routes."""

API_PREFIX = "/api/v1"
#: The live stream (SSE): its grant cookie's path, and its frames in the OpenAPI document.
STREAM_PATH = f"{API_PREFIX}/events/stream"

#: The command operations, each with the index of its aggregate's id among the path's segments
#: and the container's service that runs it. Each is answered by its own raw ASGI handler
#: (api/route_stacks.py) and stores a keyed request's answer in its own write (issue 20: the
#: idempotency middleware's inline routes; the request's one match says so, api/route_table.py).
COMMAND_OPERATIONS: dict[str, tuple[int, str]] = {
    f"POST {API_PREFIX}/genesis/sessions/{{session_id}}/commands": (5, "commands"),
    f"POST {API_PREFIX}/novels/{{novel_id}}/commands": (4, "novel_commands"),
}

"""Each route's own stack (issue 40, as litestar builds one per route at start-up): after the
layers every request passes (metrics and the one match, Host, CORS, request id, deadline), a
request runs the stack of the operation it reached: the operation gate, the body limits, strict
JSON, idempotency, then the route itself. A command route's end is its raw ASGI handler
(api/command_route.py); every other route's is FastAPI's router, as is the stack of a request
that reached no single operation (a 404, a 405, the docs, the console's pages).

The stacks are built on the first request of each operation and kept; they share the process's
body budget.
"""

from operator import attrgetter

from starlette.types import ASGIApp, Receive, Scope, Send

from infinite_scribe.api.command_route import CommandEndpoint
from infinite_scribe.api.middleware.idempotency import IdempotencyMiddleware
from infinite_scribe.api.middleware.limits import BodyBudget, BodyLimitMiddleware
from infinite_scribe.api.middleware.operations import OperationGateMiddleware
from infinite_scribe.api.middleware.strict_json import StrictJsonMiddleware
from infinite_scribe.api.paths import COMMAND_OPERATIONS
from infinite_scribe.api.route_table import Operation, route_of
from infinite_scribe.api.token_cache import VerifiedTokens
from infinite_scribe.settings.settings import Settings

#: The operations answered by their own raw ASGI handler (a test empties it: its app's command
#: routes end in FastAPI's router like every route).
COMMAND_ROUTES: dict[str, tuple[int, str]] = dict(COMMAND_OPERATIONS)


class RouteStacks:
    """Runs a request through the stack of the operation it reached (`app`: FastAPI's router)."""

    def __init__(
        self,
        app: ASGIApp,
        settings: Settings,
        verified_tokens: VerifiedTokens,
        command_routes: dict[str, tuple[int, str]],
    ) -> None:
        self.app = app
        self.settings = settings
        self.verified_tokens = verified_tokens
        self.command_routes = command_routes
        self.budget = BodyBudget(settings.http_body_budget_bytes)
        self._generic = self._stack(app)
        self._stacks: dict[Operation, ASGIApp] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        reached = route_of(scope).reached(scope["method"])
        if len(reached) != 1:
            await self._generic(scope, receive, send)
            return
        stack = self._stacks.get(reached[0])
        if stack is None:
            stack = self._stacks[reached[0]] = self._stack(self._end(reached[0]))
        await stack(scope, receive, send)

    def _end(self, operation: Operation) -> ASGIApp:
        command = self.command_routes.get(f"{operation.method} {operation.template}")
        if command is None:
            return self.app
        id_segment, service = command
        return CommandEndpoint(self.app, attrgetter(service), id_segment)

    def _stack(self, end: ASGIApp) -> ASGIApp:
        """The layers of api/app.py's `middleware_stack` docstring, steps 3-6, around `end`."""
        settings = self.settings
        app: ASGIApp = IdempotencyMiddleware(end, settings=settings)
        app = StrictJsonMiddleware(app)
        app = BodyLimitMiddleware(
            app, settings.http_max_body_bytes, settings.http_body_budget_bytes, self.budget
        )
        return OperationGateMiddleware(app, verified_tokens=self.verified_tokens)

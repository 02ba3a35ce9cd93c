"""Every request matched once (issue 40): the path against the app's routes and the OpenAPI
document, before any middleware that needs to know the route. The match is left in the ASGI
scope (`route_of`) and every layer reads it: the metrics' template, the operation gate's 401 and
405, the idempotency middleware's inline routes, and the route's own stack (api/route_stacks.py).

Built on the first request (all routes are added by then, and the document can be generated).
Paths are bucketed by their number of segments and told apart by a literal last segment first,
so a request runs the patterns of the one or two templates that may match it, not of every
route of the app.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import fastapi.routing
from starlette.routing import Mount, compile_path
from starlette.types import Scope

UNMATCHED = "unmatched"
#: Where the match is left in the ASGI scope.
ROUTE_KEY = "scribe.route"


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of the document: its method, template and whether it needs a token;
    `inline` says the route writes a keyed request's idempotency record in its own write."""

    method: str
    template: str
    needs_token: bool
    inline: bool = False


@dataclass(frozen=True, slots=True)
class RouteMatch:
    """What one request's path matched: the template it is counted under, and the operations
    the document gives that path (every method: a 405 names them all)."""

    template: str
    operations: tuple[Operation, ...] = ()

    def reached(self, method: str) -> tuple[Operation, ...]:
        return tuple(op for op in self.operations if op.method == method)

    @property
    def allowed(self) -> str:
        return ", ".join(sorted({op.method for op in self.operations}))


NO_MATCH = RouteMatch(UNMATCHED)


@dataclass
class _Template:
    pattern: re.Pattern[str]
    template: str
    operations: list[Operation] = field(default_factory=list)
    #: The last segment when it is literal: most paths are told apart by it without a regex.
    last: str | None = None

    def matches(self, path: str, last: str) -> bool:
        if self.last is not None and self.last != last:
            return False
        return self.pattern.match(path) is not None


def _plain(path: str) -> _Template:
    """A route template without a mount, matched by Starlette's own pattern (after its last
    segment, when that is literal)."""
    entry = _Template(compile_path(path)[0], path)
    last = path.rsplit("/", 1)[-1]
    if "{" not in last:
        entry.last = last
    return entry


class RouteTable:
    """Path -> `RouteMatch`, for the app's routes (templates, mounts) and the document's
    operations (`inline`: the operations whose route stores its own idempotency record)."""

    def __init__(
        self, routes: Sequence[Any], openapi: dict[str, Any], inline: Iterable[str] = ()
    ) -> None:
        inline_ops = set(inline)
        by_segments: dict[int, list[_Template]] = {}
        self._prefixes: list[_Template] = []  # mounts and `{x:path}` templates: any length
        for path, mount in sorted(_paths(routes)):
            if mount:
                entry = _Template(re.compile(re.escape(path) + "/"), f"{path}/{{path}}")
                self._prefixes.append(entry)
            elif ":path}" in path:
                self._prefixes.append(_Template(compile_path(path)[0], path))
            else:
                by_segments.setdefault(path.count("/"), []).append(_plain(path))
        # The document's operations, under their route's template (a literal path and a
        # template may both match one path, /events/stream and /events/{event_id}: `match`
        # gives the operations of both).
        templates = {entry.template: entry for bucket in by_segments.values() for entry in bucket}
        for template, methods in openapi.get("paths", {}).items():
            route = templates.get(template)
            if route is None:
                continue  # not in the app's routes (a document patched by hand)
            route.operations.extend(
                Operation(
                    method.upper(),
                    template,
                    any("BearerAuth" in scheme for scheme in operation.get("security", [])),
                    f"{method.upper()} {template}" in inline_ops,
                )
                for method, operation in methods.items()
            )
        self._buckets = by_segments

    def match(self, path: str) -> RouteMatch:
        last = path.rsplit("/", 1)[-1]
        found = [
            entry for entry in self._buckets.get(path.count("/"), ()) if entry.matches(path, last)
        ]
        if not found:
            for entry in self._prefixes:
                if entry.pattern.match(path):
                    return RouteMatch(entry.template)
            return NO_MATCH
        # The first template in sorted order names the answer (a literal sorts before `{`).
        operations: list[Operation] = []
        for entry in found:
            operations.extend(op for op in entry.operations if op not in operations)
        return RouteMatch(found[0].template, tuple(operations))


def route_of(scope: Scope) -> RouteMatch:
    """The request's match (NO_MATCH for a scope the front door did not see: a test's app)."""
    match: RouteMatch = scope.get(ROUTE_KEY, NO_MATCH)
    return match


def _paths(routes: Sequence[Any]) -> set[tuple[str, bool]]:
    """Every route's full path, and whether it is a mount (static files: one template for
    everything under it). FastAPI >= 0.13x keeps included routers as such (its public
    `iter_route_contexts` resolves them); older versions flatten them into `app.routes`."""
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    found = contexts(routes) if contexts is not None else routes
    paths = set()
    for route in found:
        path = getattr(route, "path", None)
        if isinstance(path, str):
            original = getattr(route, "original_route", route)
            paths.add((path, isinstance(original, Mount)))
    return paths

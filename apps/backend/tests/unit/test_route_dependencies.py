"""Every dependency of the API's routes is a coroutine function: FastAPI runs a plain
function dependency on its thread pool, a thread hop (and a pool slot) for every request that
reaches the route (stop 91: `CommandKey` on every command route, and the console's two
filters)."""

import inspect
from collections.abc import Iterator

import fastapi.routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from infinite_scribe.api.app import create_app
from infinite_scribe.settings.settings import Settings


def _calls(dependant: Dependant) -> Iterator[object]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def _async(call: object) -> bool:
    # A dependency may be an instance whose `__call__` is the coroutine function (BearerUser).
    return inspect.iscoroutinefunction(call) or (
        not inspect.isfunction(call) and inspect.iscoroutinefunction(type(call).__call__)
    )


def test_no_route_dependency_runs_on_the_thread_pool() -> None:
    app = create_app(Settings(database_url="postgresql://unused/db"))
    # FastAPI keeps included routers as such; `iter_route_contexts` resolves them (as
    # api/route_table.py reads them), older versions flattened them into `app.routes`.
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    found = contexts(app.routes) if contexts is not None else app.routes
    originals = [getattr(route, "original_route", route) for route in found]
    routes = [route for route in originals if isinstance(route, APIRoute)]
    plain = {
        f"{route.path}: {getattr(call, '__qualname__', call)}"
        for route in routes
        for call in _calls(route.dependant)
        if call is not None and not _async(call)
    }
    assert routes and plain == set()

"""Mounting the console on the API: its routers, its vendored assets, HTML error pages."""

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from infinite_scribe.api.console import operator_pages, sign_in, writer
from infinite_scribe.api.console.web import (
    HERE,
    PREFIX,
    CrossSiteForm,
    OperatorOnly,
    SignInRequired,
    render,
)
from infinite_scribe.api.errors import status_for
from infinite_scribe.domain.errors import ScribeError


def install_console(app: FastAPI) -> None:
    """Mount the pages and the vendored assets, and answer console errors with HTML."""
    for module in (sign_in, writer, operator_pages):
        app.include_router(module.router, include_in_schema=False)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=HERE / "static"), name="console-static")
    for kind in (ScribeError, RequestValidationError):
        app.add_exception_handler(kind, _html_on_console(app.exception_handlers[kind]))


def _html_on_console(api_handler: Callable[..., Any]) -> Callable[..., Awaitable[Response]]:
    """The API's handler outside /console (JSON bodies unchanged), an HTML page inside."""

    async def handler(request: Request, exc: Exception) -> Response:
        if not request.url.path.startswith(f"{PREFIX}/"):
            answer: Response = await api_handler(request, exc)
            return answer
        return console_error(request, exc)

    return handler


def console_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, SignInRequired):
        if request.method == "GET" and "hx-request" not in request.headers:
            return RedirectResponse(f"{PREFIX}/sign-in?next={request.url.path}", status_code=303)
        response = Response(status_code=401)
        response.headers["HX-Redirect"] = f"{PREFIX}/sign-in"
        return response
    if isinstance(exc, ScribeError):
        status, code, message = status_for(exc), exc.error_code, exc.message
    else:  # a malformed path or query parameter (a session id that is not a UUID, ...)
        status, code, message = 422, "VALIDATION_ERROR", "The address is not valid"
    if isinstance(exc, OperatorOnly | CrossSiteForm):
        status = 403
    context = {"status": status, "code": code, "message": message}
    return render(request, "error.html", context, status_code=status)

"""Mounting the console on the API: its routers, its vendored assets, HTML error pages."""

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from infinite_scribe.api.console import chapters, operator_pages, sign_in, versions, writer
from infinite_scribe.api.console.error_texts import error_text
from infinite_scribe.api.console.labels import language_of
from infinite_scribe.api.console.web import (
    HERE,
    PREFIX,
    CrossSiteForm,
    OperatorOnly,
    SignInRequired,
    render,
)
from infinite_scribe.api.errors import http_error_code, status_for
from infinite_scribe.domain.errors import ScribeError


def install_console(app: FastAPI) -> None:
    """Mount the pages and the vendored assets, and answer console errors with HTML."""
    for module in (sign_in, writer, versions, chapters, operator_pages):
        app.include_router(module.router, include_in_schema=False)
    app.mount(f"{PREFIX}/static", ConsoleAssets(directory=HERE / "static"), name="console-static")
    # HTTPException: an unknown console address is the console's HTML 404 (with its CSP).
    for kind in (ScribeError, RequestValidationError, StarletteHTTPException):
        app.add_exception_handler(kind, _html_on_console(app.exception_handlers[kind]))


class ConsoleAssets(StaticFiles):
    """The vendored scripts and styles, which a browser must not sniff into another type."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


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
    elif isinstance(exc, StarletteHTTPException):  # no such page, or not with this method
        status, code, message = exc.status_code, http_error_code(exc.status_code), str(exc.detail)
    else:  # a malformed path or query parameter (a session id that is not a UUID, ...)
        status, code, message = 422, "VALIDATION_ERROR", "The address is not valid"
    if isinstance(exc, OperatorOnly | CrossSiteForm):
        status = 403
    words = error_text(status, code, language_of(request))  # the writer's language
    context = {"status": status, "code": code, "message": message, "words": words}
    response = render(request, "error.html", context, status_code=status)
    if isinstance(exc, StarletteHTTPException) and exc.headers:
        response.headers.update(exc.headers)  # a 405's Allow
    return response

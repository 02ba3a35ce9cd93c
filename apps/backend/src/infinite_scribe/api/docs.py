"""/docs (Swagger UI) and /redoc served from assets shipped in a package, never a CDN, so the
documentation works on a machine with no internet.

The files come from the `fastapi-offline` package (MIT; Swagger UI and ReDoc are Apache-2.0 and
MIT, their license notes are in the bundles' headers); only its static folder is used.
"""

from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field, TypeAdapter, create_model

from infinite_scribe.api.paths import STREAM_PATH
from infinite_scribe.api.schemas.stream import STREAM_EVENTS

_PACKAGE = "infinite_scribe.api"
ASSETS_URL = "/docs-assets"
ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
#: ReDoc's bundle, served with its one CDN address (the sidebar's logo) made local.
REDOC_JS_URL = "/redoc-assets/redoc.standalone.js"
REDOC_CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
#: Swagger UI options: keep the token across reloads; show each operation's id and duration.
SWAGGER_UI_PARAMETERS = {
    "persistAuthorization": True,
    "displayOperationId": True,
    "displayRequestDuration": True,
}


@cache
def redoc_script() -> bytes:
    """The bundle with the logo's CDN address replaced by the favicon we ship (issue 28: the
    docs must not reach out to another host)."""
    bundle = (ASSETS_DIR / "redoc.standalone.js").read_text(encoding="utf-8")
    return bundle.replace(REDOC_CDN_LOGO, f"{ASSETS_URL}/favicon.png").encode()


def install_docs(app: FastAPI) -> None:
    """Mount the assets and add the two pages (create the app with docs_url/redoc_url=None),
    the "How Genesis works" description, the stream's event catalogue, and `GET /` -> /docs."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    app.description = files(_PACKAGE).joinpath("genesis_guide.md").read_text(encoding="utf-8")
    install_stream_catalogue(app)

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        # A relative Location: never built from the Host header (issue 9).
        return RedirectResponse(DOCS_URL, status_code=307)

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=OAUTH2_REDIRECT_URL,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
            swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_JS_URL, include_in_schema=False)
    async def redoc_js() -> Response:
        return Response(
            redoc_script(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=REDOC_JS_URL,
            redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )


# The live stream's event catalogue in the OpenAPI document: every `event:` name the stream sends
# (api/schemas/stream.py STREAM_EVENTS) and the schema of its `data:`, as components, and the
# stream route's `text/event-stream` answer pointing at them. OpenAPI 3.1 has no vocabulary for
# Server-Sent Events, so each event is a frame object `{event, id, data}` (what a client's parser
# hands over), discriminated by `event`.
FRAME_COMPONENT = "StreamFrame"
_REF_TEMPLATE = "#/components/schemas/{model}"


def _frame(name: str, data: type[BaseModel]) -> type[BaseModel]:
    camel = "".join(word.capitalize() for word in name.split("_"))
    return create_model(
        f"{camel}Frame",
        __doc__=f"`event: {name}`. {data.__doc__ or ''}".strip(),
        event=(Literal[name], ...),  # type: ignore[arg-type]
        id=(int | None, Field(default=None, description="the SSE `id:` (domain events only)")),
        data=(data, ...),
    )


def frame_schemas() -> dict[str, Any]:
    """Components for every stream event: the frames, their data models, and `StreamFrame`."""
    frames = tuple(_frame(name, model) for name, model in STREAM_EVENTS.items())
    union = Annotated[Union[frames], Field(discriminator="event")]  # type: ignore[valid-type]  # noqa: UP007
    schema = TypeAdapter(union).json_schema(ref_template=_REF_TEMPLATE, mode="serialization")
    components: dict[str, Any] = schema.pop("$defs", {})
    components[FRAME_COMPONENT] = schema | {
        "description": "One Server-Sent Event of the session stream (see each frame)."
    }
    return components


def install_stream_catalogue(app: FastAPI) -> None:
    """Add the catalogue to the app's OpenAPI document when it is first built."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        document.setdefault("components", {}).setdefault("schemas", {}).update(frame_schemas())
        stream = document.get("paths", {}).get(STREAM_PATH, {}).get("get")
        if stream is not None:
            content = stream["responses"]["200"].setdefault("content", {})
            content["text/event-stream"] = {
                "schema": {"$ref": _REF_TEMPLATE.format(model=FRAME_COMPONENT)}
            }
        return document

    app.openapi = openapi  # type: ignore[method-assign]

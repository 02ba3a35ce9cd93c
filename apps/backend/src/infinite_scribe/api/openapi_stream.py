"""The live stream's event catalogue in the OpenAPI document: every `event:` name the stream
sends (api/schemas/stream.py STREAM_EVENTS) and the schema of its `data:`, as components, and
the stream route's `text/event-stream` answer pointing at them.

OpenAPI 3.1 has no vocabulary for Server-Sent Events, so each event is documented as a frame
object `{event, id, data}` (what a client's parser hands over), discriminated by `event`.
"""

from typing import Annotated, Any, Literal, Union

from fastapi import FastAPI
from pydantic import BaseModel, Field, TypeAdapter, create_model

from infinite_scribe.api.paths import API_PREFIX
from infinite_scribe.api.schemas.stream import STREAM_EVENTS

STREAM_PATH = f"{API_PREFIX}/events/stream"
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

"""Write the JSON Schemas of the event envelope and of every registered payload to a folder."""

import json
from pathlib import Path
from typing import Any

from shared_types.envelope import EventEnvelope
from shared_types.event_payloads import EVENT_PAYLOADS

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def envelope_schema() -> dict[str, Any]:
    schema = EventEnvelope.model_json_schema(mode="serialization")
    return {"$schema": SCHEMA_DIALECT, "$id": "EventEnvelope.schema.json", **schema}


def payload_schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema, one per (event type, version)."""
    schemas = {}
    for (event_type, version), model in sorted(EVENT_PAYLOADS.items()):
        name = f"{event_type}.v{version}.schema.json"
        schema = model.model_json_schema(mode="serialization")
        schema["title"] = event_type
        schemas[name] = {"$schema": SCHEMA_DIALECT, "$id": f"events/{name}", **schema}
    return schemas


def export_schemas(out: Path) -> list[Path]:
    """Write EventEnvelope.schema.json and events/<type>.v<version>.schema.json; return paths."""
    (out / "events").mkdir(parents=True, exist_ok=True)
    written = [out / "EventEnvelope.schema.json"]
    _write(written[0], envelope_schema())
    for name, schema in payload_schemas().items():
        path = out / "events" / name
        _write(path, schema)
        written.append(path)
    index = {
        "envelope": "EventEnvelope.schema.json",
        "events": [f"events/{name}" for name in payload_schemas()],
    }
    _write(out / "index.json", index)
    written.append(out / "index.json")
    return written


def _write(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")

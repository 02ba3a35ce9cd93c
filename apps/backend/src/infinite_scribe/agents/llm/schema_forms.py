"""How a request asks a server to hold its reply to a JSON Schema (issue 68): the one place
that maps a server's kind (`LLM_SCHEMA_FORM`) to the request fields it accepts.

Servers differ (measured on llama-cpp-python 0.3.36's server, which answers OpenAI's form with
a 500):

- `openai`: `response_format: {"type": "json_schema", "json_schema": {name, schema, strict}}`
  (OpenAI, vLLM, llama.cpp's own `llama-server`, DeepSeek's newer models, LM Studio);
- `llama_cpp`: `response_format: {"type": "json_object", "schema": {...}}` (llama-cpp-python's
  server: grammar-constrained decoding, streamed too);
- `ollama`: a top-level `format` field holding the schema (Ollama);
- `json_object`: `response_format: {"type": "json_object"}` (JSON mode, no schema: DeepSeek)
  with the schema written into the prompt;
- `none`: nothing in the request, the schema in the prompt (a server that accepts neither).

Whatever the form, the reply is validated by the same Pydantic model the schema comes from;
a form only makes a valid first reply likelier. Every schema is sent `compiled`: its `$ref`s
inlined (one self-contained object, what every grammar converter reads) and its large
`maxItems` dropped (llama.cpp expands a bounded repetition into that many grammar rules; an
outline's 2,000 chapters made its parser fail and the server exit).
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

SchemaForm = Literal["openai", "llama_cpp", "ollama", "json_object", "none"]
SCHEMA_FORMS: tuple[str, ...] = get_args(SchemaForm)
#: The forms whose request carries no schema: the prompt carries it.
SCHEMA_IN_PROMPT = frozenset({"json_object", "none"})
#: A bound on an array's items above this is left to the Pydantic model (see the module doc).
GRAMMAR_MAX_ITEMS = 64


#: A grammar holds every free text to at most this many characters (its model's bound when
#: smaller). Never unbounded: SmolLM2 wrote one description on to the token limit, 8,577
#: characters at 2,048 tokens (its model refuses 1,000), in 2 of 2 tries, and a cast cut at
#: 1,024 tokens in 4 of 14 (the engine lane, CI); with the bound, 0 of 10. A bound is spelled as
#: that many grammar rules, so the 6,000 of a prose text is capped here: at 2,000 the engine
#: exited on the story's schema (tests/integration/test_engine_schemas.py, measured).
GRAMMAR_MAX_LENGTH = 1000

#: A chapter's prose on a server that takes a grammar (`llama_cpp`; issue 76): no character
#: markup, JSON, code fences or chat templates are made of (`#`, `{`, `}`, `<`, `>`, `|`, and the
#: backtick), and no control character but the line break. The guard refuses a heading or a
#: JSON echo in a chapter; SmolLM2-135M wrote one in 8 of 8 tries (the engine lane), so the
#: engine is held to prose instead of asked again.
PROSE_GRAMMAR = r"root ::= [^#{}<>|`\x00-\x09\x0B-\x1F]*"


@dataclass(frozen=True, slots=True)
class Structured:
    """A reply's JSON Schema by its name (letters and underscores, as OpenAI requires), and
    the same with its texts' bounds for a grammar-constrained server (None: `non_empty`)."""

    name: str
    schema: Mapping[str, Any]
    grammar: Mapping[str, Any] | None = None


def compiled(schema: Mapping[str, Any]) -> dict[str, Any]:
    """`schema` as sent: `$ref`s to its `$defs` inlined, `$defs` gone, no `maxItems` above
    GRAMMAR_MAX_ITEMS. A recursive schema (none of the project's) raises ValueError."""
    definitions = dict(schema.get("$defs", {}))
    return _inline(schema, definitions, ())


def _inline(node: Any, definitions: Mapping[str, Any], seen: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_inline(item, definitions, seen) for item in node]
    if not isinstance(node, Mapping):
        return node
    reference = node.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/$defs/"):
        name = reference.removeprefix("#/$defs/")
        if name in seen:
            raise ValueError(f"the schema refers to {name} inside itself")
        target = _inline(definitions[name], definitions, (*seen, name))
        siblings = {key: value for key, value in node.items() if key != "$ref"}
        return target | _inline(siblings, definitions, seen)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$defs":
            continue
        if key == "maxItems" and isinstance(value, int) and value > GRAMMAR_MAX_ITEMS:
            continue
        out[key] = _inline(value, definitions, seen)
    return out


def request_fields(form: str, structured: Structured | None) -> dict[str, Any]:
    """The fields a chat-completions body gets for `structured` in `form` (for text: the
    prose grammar where the server takes one, else {})."""
    if structured is None:
        return {"grammar": PROSE_GRAMMAR} if form == "llama_cpp" else {}
    schema = dict(structured.schema)
    if form == "openai":
        inner = {"name": structured.name, "schema": schema, "strict": True}
        return {"response_format": {"type": "json_schema", "json_schema": inner}}
    if form in ("llama_cpp", "ollama"):
        grammar = dict(structured.grammar) if structured.grammar else non_empty(schema)
        if form == "ollama":
            return {"format": grammar}
        return {"response_format": {"type": "json_object", "schema": grammar}}
    if form == "json_object":
        return {"response_format": {"type": "json_object"}}
    if form == "none":
        return {}
    raise ValueError(f"unknown schema form {form!r} (one of {', '.join(SCHEMA_FORMS)})")


def non_empty(node: Any) -> Any:
    """`node` with `minLength: 1` on every free string: what a grammar (llama.cpp's, Ollama's)
    holds a reply to, where the Pydantic models refuse an empty text. OpenAI's strict mode
    refuses the keyword, so only the grammar forms get it (`for_grammar` adds the `maxLength`s,
    capped: llama.cpp would spell a 6,000-character bound as 6,000 rules)."""
    if isinstance(node, list):
        return [non_empty(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    out = {key: non_empty(value) for key, value in node.items()}
    if out.get("type") == "string" and "enum" not in out and "const" not in out:
        out.setdefault("minLength", 1)
    return out


def for_grammar(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A compiled schema that kept its texts' bounds, as a grammar is sent it: `minLength: 1`
    on free strings, `maxLength` on each, at most GRAMMAR_MAX_LENGTH."""
    return non_empty(_capped_bounds(schema))


def _capped_bounds(node: Any) -> Any:
    if isinstance(node, list):
        return [_capped_bounds(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    out = {key: _capped_bounds(value) for key, value in node.items()}
    kind = out.get("type")
    text = kind == "string" or (isinstance(kind, list) and "string" in kind)
    if text and "enum" not in out and "const" not in out:
        out["maxLength"] = min(out.get("maxLength", GRAMMAR_MAX_LENGTH), GRAMMAR_MAX_LENGTH)
    return out


def schema_note(form: str, structured: Structured | None) -> str | None:
    """What the system message says of the reply's shape when the request cannot (None when
    the request carries the schema, or the reply is text)."""
    if structured is None or form not in SCHEMA_IN_PROMPT:
        return None
    text = json.dumps(structured.schema, ensure_ascii=False, separators=(",", ":"))
    return (
        "Reply with one JSON object and nothing else (no Markdown fence), valid against this "
        f"JSON Schema named {structured.name}:\n{text}"
    )

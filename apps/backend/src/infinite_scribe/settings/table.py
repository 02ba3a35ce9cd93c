"""The README's settings table, generated from the fields' descriptions (`scribe settings`):
one section per group of `GROUPS`, one row per environment variable."""

import re
from enum import Enum
from pathlib import Path

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from infinite_scribe.settings.settings import GROUPS, Settings

BEGIN = "<!-- settings:begin -->"
END = "<!-- settings:end -->"
_BLOCK = re.compile(re.escape(BEGIN) + r"\n(.*?)" + re.escape(END), re.DOTALL)
_KIB = 1024


def variable(name: str, field: FieldInfo) -> str:
    """The environment variable pydantic-settings reads the field from."""
    alias = field.validation_alias if isinstance(field.validation_alias, str) else field.alias
    prefix = Settings.model_config.get("env_prefix", "")
    return f"{prefix}{alias or name}".upper()


def _bytes(value: int) -> str:
    for unit, size in (("GiB", _KIB**3), ("MiB", _KIB**2), ("KiB", _KIB)):
        if value >= size and value % size == 0:
            return f"{value} ({value // size} {unit})"
    return str(value)


def default_text(name: str, field: FieldInfo) -> str:
    """The default as a reader wants it: `unset` for None, `empty` for nothing."""
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if isinstance(value, SecretStr):
        return "a development value" if value.get_secret_value() else "empty"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, int) and name.endswith("_bytes"):
        return _bytes(value)
    if isinstance(value, int | float):  # 5.0 as 5
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    if isinstance(value, Enum):
        value = value.value
    text = str(value)
    return f"`{text}`" if text and value not in ([], {}) else "empty"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def settings_table() -> str:
    """Markdown: a sub-heading per group, then `variable | default | meaning` rows."""
    parts: list[str] = []
    for group in GROUPS:
        parts.append(f"### {group.section}\n")  # type: ignore[attr-defined]
        parts.append("| variable | default | meaning |\n| --- | --- | --- |")
        for name, field in group.model_fields.items():
            row = (variable(name, field), default_text(name, field), field.description or "")
            parts.append(f"| `{row[0]}` | {_cell(row[1])} | {_cell(row[2])} |")
        parts.append("")
    return "\n".join(parts)


def table_in(text: str) -> str | None:
    """The table between the markers of a document, or None when it has no markers."""
    found = _BLOCK.search(text)
    return found.group(1) if found else None


def with_table(text: str, table: str) -> str:
    """The document with its table (between the markers) replaced by `table`."""
    if table_in(text) is None:
        raise ValueError(f"no {BEGIN} ... {END} block")
    return _BLOCK.sub(lambda _: f"{BEGIN}\n{table}{END}", text, count=1)


def stale(path: Path) -> bool:
    """True when the document's table is missing or differs from the code's."""
    return table_in(path.read_text(encoding="utf-8")) != settings_table()

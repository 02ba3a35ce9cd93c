"""JSON text read by its structure, in C (`bytes.replace`, `count`, `split`), never by building
a Python object per value: what the API's complexity bound (api/middleware/strict_json.py)
and the size of an event's JSONB text (domain/event_size.py) both count."""


def string_count(text: bytes) -> int:
    """How many strings (keys included) `text` holds; an unterminated one counts."""
    return (_unescaped(text).count(b'"') + 1) // 2


def without_strings(text: bytes) -> bytes:
    """`text` with its strings (keys included) taken out. Linear: escapes are taken out first
    (`\\\\` then `\\"`, left to right as a JSON reader pairs them), and what is left between
    two quotes is a string. Outside strings a backslash is not JSON: the parser says so."""
    return b"".join(_unescaped(text).split(b'"')[0::2])


def _unescaped(text: bytes) -> bytes:
    if b"\\" not in text:  # the common case: one pass instead of two copies
        return text
    return text.replace(b"\\\\", b"").replace(b'\\"', b"")


_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
#: Objects' braces as brackets: nesting is nesting, whatever opens it (and one kind of pair per
#: pass takes off exactly one level: with both, `{[]}` lost two in one pass).
_BRACES_AS_BRACKETS = bytes.maketrans(b"{}", b"[]")
#: Digits as "0", anything else as " ": a run of digits is then a plain substring search.
_DIGITS_AS_ZERO = bytes.maketrans(
    bytes(range(256)), bytes(48 if 48 <= byte <= 57 else 32 for byte in range(256))
)


def nested_deeper(structure: bytes, levels: int) -> bool:
    """Whether the brackets of `structure` (JSON text without its strings) nest deeper than
    `levels`: each pass takes off the innermost pairs (`levels` passes, each linear).
    Unbalanced brackets are not JSON: the parser says so (False here)."""
    brackets = structure.translate(_BRACES_AS_BRACKETS, _NOT_BRACKETS)
    for _ in range(levels):
        inner = brackets.replace(b"[]", b"")
        if not inner or len(inner) == len(brackets):
            return False
        brackets = inner
    return True


def has_digit_run(text: bytes, length: int) -> bool:
    """Whether `text` holds `length` digits in a row (~2 ms a MiB; the regex `\\d{19,}` was
    12 ms, tried again from every digit)."""
    return b"0" * length in text.translate(_DIGITS_AS_ZERO)

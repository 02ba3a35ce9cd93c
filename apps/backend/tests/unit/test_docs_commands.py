"""Docs that run (issue 56): every `scribe ...` command README.md and docs/ name exists in the
CLI (each sub-command word is a command of its group) and answers `--help`, so a doc cannot
name a command that does not exist. The snippets marked runnable run against a started system
in the integration tier (tests/integration/test_docs_snippets.py)."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from infinite_scribe.cli import app
from tests.support.paths import REPO

DOCS = sorted([REPO / "README.md", *(REPO / "docs").rglob("*.md")])
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
INLINE = re.compile(r"`([^`\n]+)`")
#: `scribe` (or a path ending in it) as a word, then the words of its command path.
COMMAND = re.compile(r"(?:^|[\s(;|&=\"'])(?:[\w./-]*/)?scribe((?: [a-z][a-z0-9-]*)+)")


def _code(text: str) -> Iterator[str]:
    """The code of a markdown text: its fenced blocks, then the inline code spans outside them."""
    yield from (block.group(1) for block in FENCE.finditer(text))
    yield from (span.group(1) for span in INLINE.finditer(FENCE.sub("", text)))


def named_commands() -> dict[tuple[str, ...], str]:
    """Each command word sequence the docs name -> one place naming it."""
    found: dict[tuple[str, ...], str] = {}
    for path in DOCS:
        for code in _code(path.read_text(encoding="utf-8")):
            for match in COMMAND.finditer(code):
                words = tuple(match.group(1).split())
                found.setdefault(words, str(path.relative_to(REPO)))
    return found


def command_path(words: tuple[str, ...]) -> list[str]:
    """The CLI path `words` name: each word a command of its group, until a leaf command
    (whose further words are its arguments); a group's unknown word is an error."""
    # Typer vendors its own click: a group is what has sub-commands.
    command: Any = typer.main.get_command(app)
    path: list[str] = []
    for word in words:
        commands = getattr(command, "commands", None)
        if not isinstance(commands, dict):
            break
        child = commands.get(word)
        if child is None:
            known = ", ".join(sorted(commands))
            raise LookupError(f"`scribe {' '.join([*path, word])}`: no such command ({known})")
        command, path = child, [*path, word]
    return path


NAMED = named_commands()


def test_the_docs_name_scribe_commands() -> None:
    # The extraction itself can fail: the docs do name these.
    assert {("up",), ("worker", "dlq", "list"), ("projections", "rebuild")} <= set(NAMED)


@pytest.mark.parametrize("words", sorted(NAMED), ids=" ".join)
def test_every_scribe_command_the_docs_name_exists_and_has_help(words: tuple[str, ...]) -> None:
    try:
        path = command_path(words)
    except LookupError as error:
        pytest.fail(f"{NAMED[words]}: {error}")
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, (NAMED[words], result.output)


def test_a_command_that_does_not_exist_is_caught() -> None:
    with pytest.raises(LookupError, match="outbox replay"):
        command_path(("outbox", "replay"))
    assert command_path(("db", "downgrade", "base")) == ["db", "downgrade"]

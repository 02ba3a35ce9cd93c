"""A worker's consumers declared: `{message type: handler}`. A message goes to the handler of
its type; one of a type no handler takes is counted (`ignored`, in one place for the worker)
and acknowledged unread."""

from collections.abc import Awaitable, Callable, Mapping
from typing import Generic, TypeVar

M = TypeVar("M")


class Routes(Generic[M]):
    def __init__(
        self,
        handlers: Mapping[str, Callable[[M], Awaitable[None]]],
        type_of: Callable[[M], str | None],
        ignored: Callable[[], object],
    ) -> None:
        self.handlers = dict(handlers)
        self.type_of = type_of
        self.ignored = ignored

    async def __call__(self, message: M) -> None:
        handler = self.handlers.get(self.type_of(message) or "")
        if handler is None:
            self.ignored()
            return
        await handler(message)


def by_type(
    *groups: tuple[frozenset[str], Callable[[M], Awaitable[None]]],
) -> dict[str, Callable[[M], Awaitable[None]]]:
    """`{type: handler}` from (types, handler) groups; a type in two groups is refused."""
    handlers: dict[str, Callable[[M], Awaitable[None]]] = {}
    for types, handler in groups:
        for message_type in types:
            if message_type in handlers:
                raise ValueError(f"two handlers for {message_type}")
            handlers[message_type] = handler
    return handlers

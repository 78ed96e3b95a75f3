"""The one registry type: names to classes (or objects), with an error that lists the choices.

Registration is explicit: each module that defines an entry adds it to its registry
(`@REGISTRY.register` on a class with a `name`), and the package that owns the
registry imports the modules whose entries it offers. Nothing registers by import
side effect from a layer above.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class UnknownName(ValueError):
    """A name that is not in a registry; the message lists the known names."""


class Registry(Generic[T]):
    """Named entries of one kind (`kind` is used in messages: "operator", "reader", …)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def add(self, name: str, entry: T) -> T:
        if name in self._entries and self._entries[name] is not entry:
            raise ValueError(f"{self.kind} {name!r} is registered twice")
        self._entries[name] = entry
        return entry

    def register(self, entry: T) -> T:
        """Class decorator: registers `entry` under its `name` attribute."""
        name = getattr(entry, "name", None)
        if not isinstance(name, str) or not name:
            raise TypeError(f"a registered {self.kind} needs a non-empty `name`")
        return self.add(name, entry)

    def named(self, name: str) -> Callable[[T], T]:
        """Decorator that registers under an explicit name."""

        def deco(entry: T) -> T:
            return self.add(name, entry)

        return deco

    def get(self, name: str, where: str = "") -> T:
        """The entry called `name`, or `UnknownName` naming the choices (and `where`)."""
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            prefix = f"{where}: " if where else ""
            raise UnknownName(
                f"{prefix}unknown {self.kind} {name!r}; choose from {', '.join(self.names())}"
            ) from None

    def names(self) -> list[str]:
        return sorted(self._entries)

    def items(self) -> list[tuple[str, T]]:
        return sorted(self._entries.items())

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, name: str) -> T:
        return self.get(name)

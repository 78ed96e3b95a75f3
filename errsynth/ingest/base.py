"""The reader contract: one reader per input format, turning a record into a solution.

Readers register one instance each in `READERS` (a `core.registry.Registry`);
:mod:`errsynth.ingest.readers` imports every reader module, so importing it offers them all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from errsynth.core.errors import Rejection
from errsynth.core.registry import Registry

#: A record that cannot become a solution (`reason` a short code, `detail` says why): the
#: kernel's one rejection type, named for what it means to a reader.
Reject = Rejection


@dataclass(slots=True)
class Parsed:
    """What a reader makes of one record, before ids and number flow are added."""

    question: str
    solution: str
    steps: list[str]
    answer: str
    equations: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    # Readers that know the exact dependency graph (iGSM) fill these; others get the
    # arithmetic number flow computed from the equations and step texts.
    produces: list[list[str]] | None = None
    uses: list[list[dict[str, Any]]] | None = None
    # Steps that open or contain a self-correction of the writer's own ("Wait, ...");
    # None: found by errsynth.ingest.segment.self_correction_steps.
    self_corrections: list[int] | None = None


@dataclass(frozen=True, slots=True)
class ReaderOptions:
    """User options shared by readers (field map for generic JSONL/Parquet)."""

    field_map: Mapping[str, str] = field(default_factory=dict)
    evaluate: bool = True


class Reader:
    """Base class of format readers. Subclasses set `name` and implement `parse`."""

    name: ClassVar[str]
    description: ClassVar[str]

    def detect(self, record: Mapping[str, Any]) -> bool:
        """Whether a record looks like this format (used by --format auto)."""
        return False

    def parse(self, record: Mapping[str, Any], options: ReaderOptions) -> Parsed:
        raise NotImplementedError


READERS: Registry[Reader] = Registry("reader")


def register(cls: type[Reader]) -> type[Reader]:
    """Class decorator: registers one instance of a reader class under its `name`."""
    READERS.add(cls.name, cls())
    return cls


def text_field(
    record: Mapping[str, Any],
    names: tuple[str, ...],
    *,
    required: bool = True,
    numbers_ok: bool = False,
) -> str | None:
    """The first of `names` present in the record, as a string.

    With `numbers_ok` (answer fields, often ints) numbers are turned into text;
    any other non-string is a `mistyped_field`.
    """
    for name in names:
        if name not in record or record[name] is None:
            continue
        value = record[name]
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            raise Reject("mistyped_field", f"field {name!r} is a boolean, expected text")
        if numbers_ok and isinstance(value, int | float):
            return str(value)
        raise Reject("mistyped_field", f"field {name!r} is {type(value).__name__}, expected text")
    if required:
        shown = " or ".join(repr(n) for n in names)
        raise Reject("missing_field", f"record has no {shown} (fields: {sorted(record)[:12]})")
    return None


def require_nonempty(value: str, what: str) -> str:
    if not value.strip():
        raise Reject("empty_field", f"{what} is empty")
    return value


def stable_id(source: str, question: str, solution: str) -> str:
    """Same input, same id: a hash of the source name and the texts."""
    h = hashlib.blake2b(digest_size=10)
    for part in (source, question, solution):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()


ParseFn = Callable[[Mapping[str, Any], ReaderOptions], Parsed]

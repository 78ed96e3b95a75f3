"""Text that cannot be written: lone surrogates, and JSON numbers too long to convert.

JSON allows `"\\ud800"` (an escaped lone surrogate) and integers of any length;
Python decodes the first to a `str` that UTF-8 cannot encode (Arrow, files and
terminals then raise deep inside a writer) and refuses the second with a
ValueError (over `sys.get_int_max_str_digits()` digits). These helpers find
such values up front, so each one becomes a rejection with a reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_NESTING = 200  # deeper values are not looked into (json.loads stops far earlier)


class UnsafeText(ValueError):
    """A value holds text that cannot be encoded as UTF-8; `where` names the field."""

    def __init__(self, where: str, position: int, char: str) -> None:
        self.where = where = scrub(where)  # a key can hold the surrogate itself
        self.position = position
        super().__init__(
            f"{where or 'the value'} holds a lone surrogate U+{ord(char):04X} at character "
            f"{position} (not valid Unicode; cannot be written as UTF-8)"
        )


class TooLongNumber(ValueError):
    """A JSON number longer than Python converts (sys.get_int_max_str_digits)."""


def lone_surrogate(text: str) -> int | None:
    """Index of the first lone surrogate in `text`, or None."""
    match = _SURROGATE.search(text)
    return match.start() if match else None


def _strings(value: Any, where: str, depth: int = 0) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif depth < MAX_NESTING and isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str):
                yield f"{where}.{key}" if where else key, key
            yield from _strings(item, f"{where}.{key}" if where else str(key), depth + 1)
    elif depth < MAX_NESTING and isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _strings(item, f"{where}[{i}]", depth + 1)


def check_text(value: Any, where: str = "") -> None:
    """Raise UnsafeText naming the first string (key or value) with a lone surrogate."""
    for path, text in _strings(value, where):
        position = lone_surrogate(text)
        if position is not None:
            raise UnsafeText(path, position, text[position])


def scrub(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD (for rejects and messages)."""
    return _SURROGATE.sub("\ufffd", text)


def loads_json(text: str | bytes) -> Any:
    """`json.loads` whose over-long integers raise `json.JSONDecodeError`-like ValueError.

    Python raises a bare ValueError ("Exceeds the limit (4300 digits) ...") from
    inside the decoder; callers catching JSONDecodeError then crash. This wraps
    it as `TooLongNumber`, a ValueError with a short message.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except ValueError as exc:
        if "digits" in str(exc):
            raise TooLongNumber(str(exc).split(";")[0]) from exc
        raise

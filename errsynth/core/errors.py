"""The one rejection type: a row or candidate that cannot go on, with a reason code."""

from __future__ import annotations


class Rejection(Exception):
    """A row (or candidate) that is rejected; `reason` is a short code, `detail` says why.

    Readers, transforms and LLM reply parsers raise it (or a subclass) for one row;
    the step that catches it records a reject row with the reason and the detail,
    so nothing is dropped silently.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class RunError(RuntimeError):
    """A run that cannot go on (not one row's fault); the message says what to do."""

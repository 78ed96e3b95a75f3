"""Exceptions shared by the iGSM modules."""

from __future__ import annotations


class IgsmParseError(ValueError):
    """Text that does not follow the iGSM problem or solution grammar."""


class IgsmArithmeticError(ValueError):
    """A solution whose arithmetic does not replay (wrong value, unknown variable)."""

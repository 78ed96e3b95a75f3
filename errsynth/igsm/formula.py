"""What a parameter equals, as a function of other parameters.

A :class:`Formula` covers both the ten sentence kinds of :mod:`errsynth.igsm.sentences` and
the two ways an abstract parameter ``"A's C"`` unfolds over the hierarchy:

* ``abstract_sum``     C is the category right below A: the sum of ``A's B`` over A's
  children B;
* ``abstract_product`` C is deeper: the sum of ``A's B * B's C`` over A's children B.

An owner without children gives an ``abstract_sum`` of no terms, i.e. 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from errsynth.igsm.sentences import ParamDef

__all__ = ["Formula", "FormulaKind", "from_param_def", "step_arith_ops"]

FormulaKind = Literal[
    "constant",
    "copy",
    "times",
    "plus",
    "sum",
    "diff",
    "times_sum",
    "plus_sum",
    "times_diff",
    "plus_diff",
    "abstract_sum",
    "abstract_product",
]


@dataclass(frozen=True, slots=True)
class Formula:
    """``param`` = kind(number, refs). For ``abstract_product`` refs are pairs
    ``(A's B1, B1's C, A's B2, B2's C, ...)``."""

    param: str
    kind: FormulaKind
    number: int | None
    refs: tuple[str, ...]

    @property
    def deps(self) -> tuple[str, ...]:
        """Distinct referenced parameters, in first-use order."""
        return tuple(dict.fromkeys(self.refs))

    def apply(self, value: Callable[[str], int], modulus: int) -> int:
        """Evaluate with ``value(param)`` giving each reference's value, mod ``modulus``."""
        k = self.kind
        if k == "constant":
            assert self.number is not None
            return self.number % modulus
        vals = [value(r) for r in self.refs]
        if k == "abstract_product":
            total = sum(a * b for a, b in zip(vals[0::2], vals[1::2], strict=True))
        elif k.endswith("diff"):
            total = vals[0] - vals[1]
        else:  # copy, times, plus, sum, *_sum, abstract_sum
            total = sum(vals)
        if k.startswith("times"):
            assert self.number is not None
            total = self.number * total
        elif k.startswith("plus"):
            assert self.number is not None
            total = self.number + total
        return total % modulus

    @property
    def arith_ops(self) -> int:
        """Binary ``+ - *`` operations written by the step that computes this formula."""
        k = self.kind
        n = len(self.refs)
        if k in ("constant", "copy"):
            return 0
        if k == "abstract_product":
            pairs = n // 2
            return max(2 * pairs - 1, 0)
        if k == "abstract_sum":
            return max(n - 1, 0)
        base = 1 if k.endswith("diff") else n - 1  # the sum/difference itself
        if k in ("times", "plus"):
            return 1
        if k.startswith(("times_", "plus_")):
            return base + 1
        return base


def from_param_def(p: ParamDef) -> Formula:
    """The formula a definition sentence states."""
    return Formula(p.name, p.kind, p.number, p.refs)


def step_arith_ops(formula: Formula) -> int:
    """The paper's op count of one solution step: its binary operations, at least 1.

    A constant (``so h = 1``) or a copy (``so t = M = 0``) counts as one operation, like an
    empty abstract sum (``so w = 0``). Summed over a solution this gives the corpus ``op``
    column exactly (checked on every row of the four parquet files).
    """
    return max(1, formula.arith_ops)

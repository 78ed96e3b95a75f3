"""The evaluator's one exception type and the limits that bound every evaluation.

Every way an input can be refused ends in :class:`EvalError` with a short machine
``reason`` code, so callers can count and group failures without parsing messages.
"""

from __future__ import annotations

from dataclasses import dataclass

#: All reason codes :class:`EvalError` may carry.
REASONS: frozenset[str] = frozenset(
    {
        "too_long",  # expression text longer than Limits.max_len
        "too_deep",  # nesting (brackets, unary signs, powers, LaTeX groups) over max_depth
        "too_big",  # a tree handed to evaluate() has more nodes than max_nodes
        "exponent_too_large",  # |exponent| over max_exponent (checked before computing)
        "number_too_large",  # a literal or an intermediate value over the size limits
        "division_by_zero",  # x/0, x//0, or no modular inverse
        "domain",  # even root of a negative number, 0 to a negative power, ...
        "syntax",  # not an expression of the chosen syntax
        "unknown_name",  # a name or command that is not allowed here
        "unsupported",  # valid but outside what this mode computes (e.g. sqrt mod m)
        "ambiguous",  # readable several ways (2\\frac{1}{2}, f(3), AB, a * b in LaTeX)
        "budget",  # operation or time budget exhausted
    }
)


class EvalError(ValueError):
    """An expression could not be parsed or evaluated; ``reason`` says why in one word."""

    reason: str

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(f"{reason}: {message}" if message else reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds applied to one evaluation. The defaults suit grade-school and contest math."""

    max_len: int = 2000  # characters of expression text
    max_depth: int = 100  # nesting depth of the parse
    max_nodes: int = 5000  # nodes of a tree passed to evaluate() directly
    max_literal_digits: int = 400  # digits in one number literal
    max_literal_exponent: int = 400  # |e| in 1e5 / 1.5E-3 literals
    max_exponent: int = 1024  # |n| in a**n
    max_symbolic_exponent: int = 64  # |n| in a**n when a is a non-atomic SymPy expression
    max_root_degree: int = 64  # n in \sqrt[n]{x} and q in x**(p/q)
    max_bits: int = 10_000  # bit length of any numerator or denominator
    max_ops: int = 10_000  # arithmetic operations per evaluation
    max_seconds: float = 0.02  # CPU time per evaluation, checked between operations
    max_expand_terms: int = 2000  # estimated terms before sympy.expand in identity checks


DEFAULT_LIMITS = Limits()

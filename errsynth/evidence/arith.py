"""How an arith attempt states its evidence: the sentence a transform writes, a validator re-derives.

Both sides build the `finding` from the row's own equation, so the wording lives
here, below the `arith` transform and its validator.
"""

from __future__ import annotations


def igsm_lhs(op_text: str, expr: str) -> str:
    """What an iGSM op's value is of: `T` for a constant `T = 1` or a copy `g = T = 1`."""
    parts = op_text.split(" = ")
    if len(parts) == 2:
        return parts[0]
    if len(parts) == 3:
        return parts[1]
    return expr


def finding(expr: str, correct: str, wrong: str, modulus: int | None) -> str:
    mod = f" (mod {modulus})" if modulus else ""
    return f"{expr} is {correct}{mod}, not {wrong}"

"""Exact values of number literals: ``"1,200"``, ``"0.50"``, ``".5"``, ``"1.5e-3"``.

Size checks happen on the text, before any big integer is built, so ``1e999999`` or a
million-digit literal is refused in microseconds.
"""

from __future__ import annotations

from fractions import Fraction

from .errors import EvalError, Limits


def literal_value(text: str, limits: Limits) -> int | Fraction:
    """Value of an ASCII number literal (digits, optional thousands commas, ``.``, ``e``).

    Integers come back as ``int`` (the fast path); anything with a fractional part as a
    normalized ``Fraction``. The caller's tokenizer guarantees the shape of ``text``.
    """
    if text.isdigit():
        if len(text) > limits.max_literal_digits:
            raise EvalError(
                "number_too_large", f"literal has more than {limits.max_literal_digits} digits"
            )
        return int(text)
    body = text.replace(",", "")
    exponent = 0
    cut = max(body.find("e"), body.find("E"))
    if cut >= 0:
        exp_text = body[cut + 1 :]
        body = body[:cut]
        digits = exp_text.lstrip("+-")
        # A long exponent string is refused before int() so no huge number is ever built.
        if len(digits) > 6 or int(digits) > limits.max_literal_exponent:
            raise EvalError("number_too_large", f"literal exponent {exp_text!r} too large")
        exponent = -int(digits) if exp_text.startswith("-") else int(digits)
    whole, _, frac = body.partition(".")
    digits = whole + frac
    if len(digits) > limits.max_literal_digits:
        raise EvalError(
            "number_too_large", f"literal has more than {limits.max_literal_digits} digits"
        )
    mantissa = int(digits) if digits else 0
    scale = exponent - len(frac)
    if scale >= 0:
        return mantissa * 10**scale
    value = Fraction(mantissa, 10**-scale)
    return value.numerator if value.denominator == 1 else value

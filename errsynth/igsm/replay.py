"""Replay the arithmetic of a parsed solution from its own text."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from errsynth.igsm.errors import IgsmArithmeticError
from errsynth.igsm.step_parser import Op, Step

__all__ = ["DEFAULT_MODULUS", "evaluate_terms", "recompute", "replay_step"]

DEFAULT_MODULUS = 23


def evaluate_terms(
    terms: Iterable[int], operators: Iterable[str], modulus: int = DEFAULT_MODULUS
) -> int:
    """Evaluate ``t0 o0 t1 o1 ...`` with ``*`` binding tighter than ``+``/``-``, mod ``modulus``."""
    it = iter(terms)
    total = 0
    sign = 1
    prod = next(it)
    for o, t in zip(operators, it, strict=True):
        if o == "*":
            prod = prod * t
        else:
            total += sign * prod
            sign = 1 if o == "+" else -1
            prod = t
    total += sign * prod
    return total % modulus


def _op_value(op: Op, env: Mapping[str, int], step: Step, modulus: int) -> int:
    values: list[int] = []
    for term in op.terms:
        if term.isdigit():
            values.append(int(term))
            continue
        if term not in env:
            raise IgsmArithmeticError(f"variable {term!r} used before definition in {step.text!r}")
        values.append(env[term])
    numeric = [int(x) for x in op.numeric.split(" ")[0::2]]
    if op.operators and numeric != values:
        raise IgsmArithmeticError(
            f"numeric form {op.numeric!r} does not match the variables' values {values} "
            f"in {step.text!r}"
        )
    return evaluate_terms(values, op.operators, modulus)


def replay_step(step: Step, env: dict[str, int], modulus: int = DEFAULT_MODULUS) -> None:
    """Replay one step's ops into ``env`` (letter -> value); raises on any disagreement."""
    for op in step.ops:
        value = _op_value(op, env, step, modulus)
        if value != op.claimed:
            raise IgsmArithmeticError(
                f"{op.target} = {op.numeric} is {value} mod {modulus}, "
                f"claimed {op.claimed}, in {step.text!r}"
            )
        env[op.target] = value


def recompute(steps: list[Step], modulus: int = DEFAULT_MODULUS) -> dict[str, int]:
    """Replay every op mod ``modulus`` and return ``{param: value}`` for the non-BACK steps.

    Raises :class:`IgsmArithmeticError` when a claimed value (or the numeric form) disagrees
    with the replayed one, or when a variable is read before any step assigned it. BACK
    steps assign nothing and are skipped.
    """
    env: dict[str, int] = {}
    out: dict[str, int] = {}
    for step in steps:
        if step.back:
            continue
        replay_step(step, env, modulus)
        assert step.value is not None
        out[step.param] = step.value
    return out

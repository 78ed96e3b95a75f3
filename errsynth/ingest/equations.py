"""Find the equations written in solution steps and judge them with the exact evaluator."""

from __future__ import annotations

from typing import Any, Literal

from errsynth.evaluate import check_equation, find_equations

Syntax = Literal["plain", "latex", "auto"]

_LATEX_MARKERS = ("$", "\\(", "\\[", "\\begin{")


def step_equations(
    steps: list[str], *, syntax: Syntax = "plain", evaluate: bool = True
) -> list[dict[str, Any]]:
    """Every equation of every step, with the evaluator's verdict.

    Plain text: calculator annotations (`<<48/2=24>>`) when the step has any, else
    inline equations (`12 x 4 = 48`). LaTeX: equations inside math mode. `auto`
    picks LaTeX for steps that contain math delimiters.
    """
    out: list[dict[str, Any]] = []
    for i, step in enumerate(steps):
        latex = syntax == "latex" or (syntax == "auto" and any(m in step for m in _LATEX_MARKERS))
        if latex:
            found = find_equations(step, kind="latex")
        else:
            found = find_equations(step, kind="annotation") if "<<" in step else []
            if not found:
                found = find_equations(step, kind="inline")
        for eq in found:
            if evaluate:
                verdict = check_equation(eq.expr, eq.claimed, syntax=eq.syntax)
                ok, value, reason = verdict.ok, verdict.value, verdict.reason
            else:
                ok, value, reason = None, None, "not_evaluated"
            out.append(
                {
                    "step": i,
                    "kind": eq.kind,
                    "expr": eq.expr,
                    "claimed": eq.claimed,
                    "start": eq.start,
                    "end": eq.end,
                    "ok": ok,
                    "value": value,
                    "reason": reason,
                    "modulus": None,
                }
            )
    return out

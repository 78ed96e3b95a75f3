"""The first wrong step of an iGSM solution, by the iGSM checker (errsynth.igsm).

The checker walks the solution and stops at the first step that does not hold, naming it
(``step N (param): why``); its reason gives the kind: a parameter read before any step
defines it is ``premature``; a wrong value (mod 23) an ``arith_slip``; the right inputs
with another formula ``wrong_formula``; other inputs than the parameter's, or a parameter
the query does not need, ``wrong_quantity``; anything else it names at a step ``other``.
A reason not tied to a step (the solution stops early, ends on another parameter) locates
nothing.
"""

from __future__ import annotations

import re

from errsynth.harvest.locate import Located, NotLocated
from errsynth.igsm import check
from errsynth.igsm.step_parser import split_steps

_STEP = re.compile(r"^step (\d+) \(([^)]*)\): (.*)$", re.DOTALL)
_KINDS: tuple[tuple[str, str], ...] = (
    ("which no earlier step defines", "premature"),
    ("arithmetic", "arith_slip"),
    ("does not compute the stated formula", "wrong_formula"),
    (" instead of ", "wrong_quantity"),
    ("not needed for the query", "wrong_quantity"),
)


def igsm_steps(solution: str) -> list[str]:
    return [s.strip() for s in split_steps(solution.strip()) if s.strip()]


def locate_igsm(question: str, steps: list[str], gold: str) -> Located | NotLocated:
    result = check(question, " ".join(steps), gold)
    if result.ok:
        return NotLocated("checker_accepts", "the iGSM checker accepts the whole solution")
    m = _STEP.match(result.reason)
    if m is None:
        return NotLocated("no_step_named", f"iGSM checker: {result.reason}"[:500])
    index = int(m.group(1)) - 1
    if not 0 <= index < len(steps):
        return NotLocated("no_step_named", f"iGSM checker names step {index + 1}")
    why = m.group(3)
    kind = next((k for key, k in _KINDS if key in why), "other")
    evidence = {"checker": result.reason[:500], "param": m.group(2)}
    if kind == "premature":
        evidence["premature"] = True
    return Located(index, kind, "igsm_checker", result.reason[:300], "", evidence)

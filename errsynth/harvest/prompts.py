"""What a harvested model is asked (errsynth's own wording), and what its judge is asked.

The solver prompt asks for one step per line and a closing answer line, so that steps
can be told apart and the answer found; a model that ignores it is still read (steps by
lines or sentences, the answer by every form :mod:`errsynth.ingest.final_answer` knows).
"""

from __future__ import annotations

SOLVER_SYSTEM = (
    "You are a careful math solver. Solve the problem step by step. Write one step per "
    "line and show every calculation as an equation with its result (for example "
    "`48/2 = 24`)."
)
SOLVER_USER_PLAIN = "$question\n\nEnd with a last line of the form `The answer is: N`."
SOLVER_USER_LATEX = "$question\n\nWrite math in LaTeX and end with the final answer in \\boxed{}."

JUDGE_SYSTEM = (
    "You grade math solutions step by step. You are shown a problem, its correct answer "
    "and a student's numbered solution whose final answer is wrong. Find the FIRST step "
    "that is wrong (a wrong calculation, a wrong quantity, a value used before it is known, "
    "a value copied wrong, a wrong formula or reasoning)."
)
JUDGE_USER = (
    "Problem:\n$question\n\nCorrect final answer: $answer\n\nStudent's solution:\n$solution\n\n"
    "Reply with JSON only: "
    '{"first_wrong_step": <step number, 1-based>, "kind": "<one of arith_slip, premature, '
    'wrong_quantity, copy_error, wrong_formula, other>", "explanation": "<one sentence>"}'
)


def numbered(steps: list[str]) -> str:
    return "\n".join(f"Step {i + 1}: {s}" for i, s in enumerate(steps))

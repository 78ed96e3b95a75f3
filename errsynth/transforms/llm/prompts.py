"""Prompt templates of the LLM operators (errsynth's own wording), overridable in a recipe.

Templates use ``string.Template`` placeholders (``$question``, ``${step_number}``):
math text is full of braces, and values are never re-scanned, so a ``$`` inside a
question or a LaTeX step is safe. A recipe overrides the system and user texts
with the operator's `system:` and `prompt:` parameters; an override must use only
the operator's placeholders (checked when the recipe is loaded).
"""

from __future__ import annotations

from collections.abc import Mapping
from string import Template

CORRECT_SYSTEM = "You are a careful mathematics teacher who checks a student's work step by step."

CORRECT_USER = """\
Here is a math problem and a student's solution to it, one numbered step per line. \
At least one step of the solution is wrong.

Problem:
$question

Student's solution:
$solution

Find the first wrong step. Reply with one JSON object and nothing else, with exactly these keys:
  "incorrect_step": the number of the first wrong step (an integer),
  "explanation": one or two sentences on what is wrong in that step,
  "corrected_solution": the complete solution written correctly, as a list of steps \
(strings), keeping the student's correct steps as they are,
  "final_answer": the final answer alone, without units."""

MISTAKE_SYSTEM = "You write realistic practice material for students learning to check their work."

MISTAKE_USER = """\
Here is a math problem and a correct solution to it, one numbered step per line.

Problem:
$question

Solution:
$solution

Rewrite step $step_number so that it contains one plausible mistake of the kind a student \
makes (an arithmetic slip, a wrong operation, a misread quantity), written in the same form \
as the original step, equations included. Then write that step correctly.
Reply with one JSON object and nothing else, with exactly these keys:
  "mistake": step $step_number with the mistake,
  "explanation": one sentence saying what the mistake is,
  "correction": step $step_number written correctly."""

PARAPHRASE_SYSTEM = "You rewrite worked solutions so that they read like a person thinking aloud."

PARAPHRASE_USER = """\
Below is a worked solution in which the writer makes a mistake, notices it and goes on \
correctly. Each mistaken part is between <mistake> and </mistake>; the point where the \
writer takes it back is marked <notice>...</notice>.

Rewrite each <notice>...</notice> as one or two short natural sentences in which the writer \
notices the problem and says why it is wrong. You may also smooth the wording of the other \
sentences.

Rules:
- Copy every equation and every number exactly as written; do not add, remove or change \
any calculation, and do not write any calculation inside a notice.
- Keep each <mistake>...</mistake> exactly as it is, tags included.
- Put each of your noticing sentences between <notice> and </notice>, right after its mistake.
- Reply with the rewritten solution only.

Problem:
$question

Solution:
$solution"""

#: Placeholders each operator fills (an override may use any of them, and no other).
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "llm_correct": frozenset({"question", "solution", "n_steps"}),
    "llm_mistake": frozenset({"question", "solution", "step_number", "step", "n_steps"}),
    "llm_paraphrase": frozenset({"question", "solution", "n_mistakes"}),
}

DEFAULTS: dict[str, tuple[str, str]] = {
    "llm_correct": (CORRECT_SYSTEM, CORRECT_USER),
    "llm_mistake": (MISTAKE_SYSTEM, MISTAKE_USER),
    "llm_paraphrase": (PARAPHRASE_SYSTEM, PARAPHRASE_USER),
}


def check_template(operator: str, template: str, what: str) -> Template:
    """A template whose placeholders are all known to `operator` (else ValueError)."""
    if not isinstance(template, str):
        raise ValueError(f"{operator}.{what} must be a string")
    t = Template(template)
    if not t.is_valid():
        raise ValueError(f"{operator}.{what}: invalid placeholder (write a literal $ as $$)")
    unknown = sorted(set(t.get_identifiers()) - PLACEHOLDERS[operator])
    if unknown:
        raise ValueError(
            f"{operator}.{what}: unknown placeholder(s) {unknown}; "
            f"known: {sorted(PLACEHOLDERS[operator])}"
        )
    return t


def fill(template: Template, values: Mapping[str, object]) -> str:
    return template.substitute({k: str(v) for k, v in values.items()})


def numbered(steps: list[str]) -> str:
    """Steps one per line as ``1. step``; a step's own line breaks become spaces."""
    return "\n".join(f"{i}. {' '.join(s.split())}" for i, s in enumerate(steps, 1))

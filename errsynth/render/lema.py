"""The lema style: a LEMA-like correction record for the first wrong attempt.

Prompt (text / prompt_completion output)::

    Find the first incorrect step in the original solution, explain the error, and write a correct solution.
    Question: <question>
    Original solution:
    <clean steps before the attempt><sep><the attempt's steps>
    <blank line>

Completion::

    Incorrect step: <k>
    Explanation: <finding>
    Correct solution: <clean body>

`k` is the 1-based number of the wrong step in the original solution. The original
solution stops at the attempt: the student went wrong there. The marker span is the
``Incorrect step: <k>`` line (the retraction); the wrong part and the attempt lie in
the prompt. With messages output the user turn is the prompt without its trailing
blank line. Only the first attempt (in text order) is used, so ``n_errors == 1``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from errsynth.render.attempts import clean_steps, question_of
from errsynth.render.config import StyleConfig, step_separator
from errsynth.render.inline import attempt_segs
from errsynth.render.segments import Seg, Turn, join
from errsynth.types.candidates import WrongAttempt

INSTRUCTION = (
    "Find the first incorrect step in the original solution, explain the error, "
    "and write a correct solution."
)
ORIGINAL = "Original solution:\n"
INCORRECT = "Incorrect step: {k}"
EXPLANATION = "\nExplanation: "
CORRECT = "\nCorrect solution: "


def wrong_step_number(attempt: WrongAttempt) -> int:
    """1-based number of the wrong step in the student's solution."""
    return attempt.at + attempt.wrong_step + 1


def lema_turns(
    row: Mapping[str, Any], attempts: Sequence[WrongAttempt], style: StyleConfig
) -> tuple[list[Turn], list[tuple[WrongAttempt, str]]]:
    if not attempts:
        raise ValueError("the lema style needs a candidate with at least one attempt")
    attempt = attempts[0]
    sep = step_separator(row)
    steps = clean_steps(row)
    a_segs, wrong = attempt_segs(attempt, 0, sep, use_head=False)
    original = join([*(Seg(s) for s in steps[: attempt.at]), a_segs], sep)
    user = [
        Seg(f"{INSTRUCTION}\nQuestion: {question_of(row)}\n{ORIGINAL}"),
        *original,
        *([] if style.chat else [Seg("\n\n")]),
    ]
    body = [Seg(s, (("fix", 0),) if i == attempt.at else ()) for i, s in enumerate(steps)]
    answer = [
        Seg(INCORRECT.format(k=wrong_step_number(attempt)), (("marker", 0),)),
        Seg(EXPLANATION + attempt.finding + CORRECT),
        *join(body, sep),
    ]
    return [Turn("user", tuple(user)), Turn("assistant", tuple(answer))], [(attempt, wrong)]

"""The cac style: Check-as-Context, a multi-turn chat of answer, check, critique, answer again.

Turns, for the first ``m = min(rounds, n_attempts)`` attempts in text order::

    user:       <question>
    assistant:  <clean steps before attempt 1><sep><attempt 1's steps>         (stops there)
    user:       <check request>
    assistant:  <critique of attempt 1>\\n\\n<clean steps before attempt 2><sep><attempt 2>
    ...
    user:       <check request>
    assistant:  <critique of attempt m>\\n\\n<clean body>

The critique names the wrong step's 1-based number in the answer just checked and
says the finding; it is the marker span of its attempt. Check requests and critique
wording come from seeded banks. The final answer is the clean body, so it ends the
completion. Without attempts the chat is the question and the clean body.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from typing import Any

from errsynth.render.attempts import clean_steps, question_of
from errsynth.render.config import StyleConfig, step_separator
from errsynth.render.inline import attempt_segs
from errsynth.render.phrases import CHECK_REQUESTS, CRITIQUES, critique
from errsynth.render.segments import Seg, Turn, join
from errsynth.types.candidates import WrongAttempt

ANSWER_GAP = "\n\n"  # between a critique and the answer that follows it


def cac_turns(
    row: Mapping[str, Any],
    attempts: Sequence[WrongAttempt],
    style: StyleConfig,
    prng: random.Random,
) -> tuple[list[Turn], list[tuple[WrongAttempt, str]]]:
    sep = step_separator(row)
    steps = clean_steps(row)
    used = list(attempts[: style.rounds])
    placed: list[tuple[WrongAttempt, str]] = []

    def partial(n: int) -> list[Seg]:
        a = used[n]
        a_segs, wrong = attempt_segs(a, n, sep, use_head=False)
        placed.append((a, wrong))
        return join([*(Seg(s) for s in steps[: a.at]), a_segs], sep)

    final = join(
        [
            Seg(s, tuple(("fix", n) for n, a in enumerate(used) if a.at == i))
            for i, s in enumerate(steps)
        ],
        sep,
    )
    turns = [Turn("user", (Seg(question_of(row)),))]
    if not used:
        return [*turns, Turn("assistant", tuple(final))], placed
    turns.append(Turn("assistant", tuple(partial(0))))
    for n, a in enumerate(used):
        turns.append(Turn("user", (Seg(prng.choice(CHECK_REQUESTS)),)))
        said = critique(prng.choice(CRITIQUES), a.at + a.wrong_step + 1, a.finding)
        again = partial(n + 1) if n + 1 < len(used) else final
        turns.append(Turn("assistant", (Seg(said, (("marker", n),)), Seg(ANSWER_GAP), *again)))
    return turns, placed

"""What a generated solution says: retractions stripped, final answer, first wrong step.

No torch here. Two retraction forms are understood:

* ``igsm``: a whole step ``Define X as BACK.`` (the paper's form), or a written-out step
  followed by `` BACK.`` (a retracted wrong value or formula) — the step is dropped;
* ``back``: ``<wrong text> [BACK] <correct step>`` (errsynth's back style) — the text from
  the previous step boundary (after ". ", a newline or the start) to the marker is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from errsynth.igsm import check, parse_solution
from errsynth.igsm.text import IgsmParseError

# "Define X as BACK." or a retracted attempt "Define X as v; ...; so v = ... = 7. BACK."
# (step bodies hold no "."; names hold neither "." nor ";")
_IGSM_BACK = re.compile(r"\s*Define [^.;]*? as (?:[A-Za-z]; [^.]*\. )?BACK\.")
_LAST_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def count_retractions(text: str, marker: str = "[BACK]") -> int:
    """Retractions in ``text``: iGSM BACK steps plus back-style markers."""
    return len(_IGSM_BACK.findall(text)) + (text.count(marker) if marker else 0)


def strip_retractions(text: str, marker: str = "[BACK]") -> str:
    """``text`` with every retracted attempt removed (both forms)."""
    out = _IGSM_BACK.sub("", text)
    if marker and marker in out:
        parts = out.split(marker)
        kept = []
        for i, part in enumerate(parts):
            if i < len(parts) - 1:  # this part ends in a wrong attempt: cut it back
                # the attempt's own closing ". " is no boundary: look before it
                part = part.rstrip(" ")
                cut = max(part.rfind(". "), part.rfind("\n"))
                part = part[: cut + 1] if cut >= 0 else ""
            kept.append(part)
        out = "".join(kept)
    out = re.sub(r"  +", " ", out)
    return out.strip()


def final_answer(solution: str) -> str | None:
    """The answer a (stripped) solution ends on.

    iGSM: the value of the last step (``so x = ... = 15.``); otherwise the number after
    ``####`` or ``The answer is``, else the last number in the text.
    """
    text = solution.strip()
    if not text:
        return None
    for tag in ("####", "The answer is", "answer is"):
        if tag in text:
            tail = text.rsplit(tag, 1)[1]
            m = _LAST_NUMBER.search(tail)
            if m:
                return m.group()
    nums = _LAST_NUMBER.findall(text)
    return nums[-1] if nums else None


@dataclass(frozen=True)
class StepVerdict:
    """Result of checking a generated iGSM solution step by step."""

    ok: bool  # the whole solution is right (BACK steps skipped)
    reason: str
    n_steps: int  # parsed steps, BACK steps included
    first_wrong: int | None  # index into the parsed steps; None: no step is wrong
    back_steps: tuple[int, ...]
    parsed: bool


_STEP_RE = re.compile(r"^step (\d+) ")


def check_igsm(problem: str, solution: str, answer: str) -> StepVerdict:
    """Check with the exact iGSM checker; the first wrong step comes from its reason.

    A reason that names no step (the solution is right so far but ends early or on the
    wrong parameter) leaves ``first_wrong`` at the step after the last one.
    """
    try:
        steps = parse_solution(solution)
    except IgsmParseError as exc:
        return StepVerdict(False, f"parse: {exc}", 0, 0, (), False)
    backs = tuple(i for i, s in enumerate(steps) if s.back)
    res = check(problem, solution, answer, allow_back=True)
    if res.ok:
        return StepVerdict(True, "ok", len(steps), None, backs, True)
    m = _STEP_RE.match(res.reason)
    first = int(m.group(1)) - 1 if m else len(steps)
    return StepVerdict(False, res.reason, len(steps), first, backs, True)


def retraction_followups(verdict: StepVerdict) -> tuple[int, int]:
    """(retractions judged, of those followed by a correct step).

    A retraction is judged when it comes before the first wrong step; it is followed by a
    correct step when the next non-BACK step exists and is not the first wrong one.
    """
    judged = good = 0
    stop = verdict.first_wrong if verdict.first_wrong is not None else verdict.n_steps + 1
    backs = set(verdict.back_steps)
    for b in verdict.back_steps:
        if b >= stop:
            break
        nxt = b + 1
        while nxt in backs:
            nxt += 1
        if nxt >= verdict.n_steps and verdict.first_wrong is None:
            continue  # ends on a retraction: nothing to judge
        judged += 1
        if nxt < verdict.n_steps and nxt < stop:
            good += 1
    return judged, good

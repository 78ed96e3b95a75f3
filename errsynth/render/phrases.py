"""Seeded wording banks: retraction phrases (natural), check requests and critiques (cac).

All wording is errsynth's own. A natural-style phrase is chosen per attempt from a
bank that fits the attempt when `phrases_by_kind` is on: a premature step (its inputs
are not known yet), an arithmetic slip, a step from another problem; otherwise from
the generic bank.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

GENERIC: tuple[str, ...] = (
    "Wait, that is not right.",
    "Hmm, I made a mistake there.",
    "No, scratch that.",
    "Let me take that back.",
    "Hold on, that step is wrong.",
    "Oops, that does not work.",
    "Actually, that is a mistake.",
    "Wait, let me correct that.",
    "Hmm, that cannot be right.",
    "On second thought, that is wrong.",
)
PREMATURE: tuple[str, ...] = (
    "Actually, I cannot compute that yet.",
    "Wait, I don't know that value yet.",
    "Hold on, that needs a number I have not found yet.",
    "Hmm, it is too early for that step.",
    "Wait, I have to work out something else first.",
    "Not yet: that depends on a quantity I still need.",
)
ARITHMETIC: tuple[str, ...] = (
    "Hmm, let me recompute that.",
    "Wait, that arithmetic is off.",
    "Let me redo that calculation.",
    "Hold on, I miscalculated.",
    "Hmm, that number is wrong; let me compute it again.",
    "Oops, a calculation slip there.",
)
OFF_TOPIC: tuple[str, ...] = (
    "Wait, that has nothing to do with this problem.",
    "Hmm, that fact does not belong here.",
    "No, that is not part of this question.",
    "Actually, that step is about something else.",
)
NATURAL_PHRASES: tuple[str, ...] = GENERIC + PREMATURE + ARITHMETIC + OFF_TOPIC
# A whole attempt retracted before a fresh solution (harvest's restart correction); not part
# of NATURAL_PHRASES, so the generic bank (phrases_by_kind off) words what it always did.
RESTART: tuple[str, ...] = (
    "Wait, this whole approach has gone wrong. Let me start over.",
    "Hmm, that went off track. Let me solve it again from the beginning.",
    "I made a mistake somewhere above. Let me redo the problem from scratch.",
    "No, that is not right. Starting over.",
    "Let me scrap that attempt and solve it again carefully.",
)
RETRACTIONS: frozenset[str] = frozenset(NATURAL_PHRASES + RESTART)  # what natural may write

CHECK_REQUESTS: tuple[str, ...] = (
    "Please review your solution step by step.",
    "Check each step of your answer. Is every step correct?",
    "Go over your solution again and look for mistakes.",
    "Can you verify your work, one step at a time?",
    "Look back over your reasoning. Is anything wrong?",
    "Double-check the steps above before you continue.",
    "Read your solution again carefully. Does every step hold?",
    "Please check your answer for errors.",
)

# {k}: 1-based number of the wrong step in the answer being checked; {finding}: why.
CRITIQUES: tuple[str, ...] = (
    "Step {k} is wrong: {finding}",
    "There is a mistake in step {k}: {finding}",
    "Checking each step, step {k} does not hold: {finding}",
    "I made an error in step {k}: {finding}",
    "Step {k} is incorrect: {finding}",
    "Looking again, step {k} is a mistake: {finding}",
)
CRITIQUE_NO_FINDING = "Step {k} is wrong."


def phrase_rng(rng: random.Random, phrases_seed: int) -> random.Random:
    """A generator for wording only: one draw from the sample's rng, mixed with the seed.

    Seeding with a string uses SHA-512, so the result does not depend on PYTHONHASHSEED.
    """
    return random.Random(f"errsynth.render:{phrases_seed}:{rng.getrandbits(64)}")


def bank_for(kind: str, detail: Mapping[str, Any], by_kind: bool) -> tuple[str, ...]:
    """The retraction bank that fits an attempt."""
    if not by_kind:
        return NATURAL_PHRASES
    if detail.get("restart") is True:
        return RESTART
    if detail.get("premature") is True:
        return PREMATURE
    if kind == "arith" or detail.get("first_error") == "arith_slip":
        return ARITHMETIC
    if kind == "distractor":
        return OFF_TOPIC
    return GENERIC


def critique(template: str, k: int, finding: str) -> str:
    """A critique sentence naming step `k`, ending with punctuation."""
    finding = finding.strip()
    if not finding:
        return CRITIQUE_NO_FINDING.format(k=k)
    if finding[-1] not in ".!?":
        finding += "."
    return template.format(k=k, finding=finding)

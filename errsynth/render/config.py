"""Rendering options: which style, which marker, which output form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from errsynth.core.params import parse_params

STYLES: tuple[str, ...] = ("back", "igsm", "natural", "lema", "cac")
OUTPUTS: tuple[str, ...] = ("text", "prompt_completion", "messages")
INLINE_STYLES: tuple[str, ...] = ("back", "igsm", "natural")  # attempt, marker, fix in one body

IGSM_MARKER = "BACK."  # the iGSM generator writes "Define X as BACK."; "BACK." is the marker
GLUE = " "  # between an attempt's last character and its marker, in every inline style


@dataclass(frozen=True)
class StyleConfig:
    """How a candidate becomes training text.

    `marker` is used by the back style only; igsm always writes ``BACK.``, natural and
    cac draw their wording from seeded phrase banks. `output` is ignored by cac, which
    is a chat by nature. `phrases_seed` is mixed with one draw from the per-sample rng,
    so two runs with different phrase seeds word the same samples differently.
    """

    name: Literal["back", "igsm", "natural", "lema", "cac"] = "back"
    marker: str = "[BACK]"
    output: Literal["text", "prompt_completion", "messages"] = "text"
    question_template: str = "Question: {question}\nAnswer: "
    rounds: int = 1
    phrases_seed: int = 0
    phrases_by_kind: bool = True  # natural: premature / arithmetic / off-topic phrase banks

    def __post_init__(self) -> None:
        if self.name not in STYLES:
            raise ValueError(f"style name must be one of {', '.join(STYLES)}; got {self.name!r}")
        if self.output not in OUTPUTS:
            raise ValueError(
                f"style output must be one of {', '.join(OUTPUTS)}; got {self.output!r}"
            )
        if not isinstance(self.marker, str) or not self.marker.strip():
            raise ValueError(f"style marker must be a non-blank string; got {self.marker!r}")
        if self.marker != self.marker.strip():
            raise ValueError(
                f"style marker must not start or end with whitespace (a single space is put "
                f"before it); got {self.marker!r}"
            )
        _check_template(self.question_template)
        if isinstance(self.rounds, bool) or not isinstance(self.rounds, int) or self.rounds < 1:
            raise ValueError(f"style rounds must be an integer >= 1; got {self.rounds!r}")
        if isinstance(self.phrases_seed, bool) or not isinstance(self.phrases_seed, int):
            raise ValueError(f"style phrases_seed must be an integer; got {self.phrases_seed!r}")

    @property
    def chat(self) -> bool:
        """Whether the sample is laid out as chat turns (messages output, or the cac style)."""
        return self.name == "cac" or self.output == "messages"

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> StyleConfig:
        """A config from a recipe mapping, with a clear error for unknown keys."""
        return parse_params(cls, data, "style")


def _check_template(template: str) -> None:
    if not isinstance(template, str) or "{question}" not in template:
        raise ValueError(
            f"question_template must contain the placeholder {{question}}; got {template!r}"
        )
    try:
        template.format(question="")
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(
            f"question_template {template!r} does not format with only {{question}}: {exc!r} "
            "(write literal braces as {{ and }})"
        ) from None


def format_question(template: str, question: str) -> str:
    """``template.format(question=question)``; a concatenation for the usual templates."""
    parts = _template_parts(template)
    if parts is None:
        return template.format(question=question)
    return parts[0] + question + parts[1]


@lru_cache(maxsize=64)
def _template_parts(template: str) -> tuple[str, str] | None:
    """The text around ``{question}`` when that is the only brace pair in `template`
    (no other field, no escaped brace), so that formatting is concatenation; else None."""
    head, field, tail = template.partition("{question}")
    if not field or "{" in head + tail or "}" in head + tail:
        return None
    return head, tail


def step_separator(row: Mapping[str, Any]) -> str:
    """What joins two steps: a space for iGSM solutions (one line of sentences), else a newline."""
    return " " if row.get("format") == "igsm" else "\n"

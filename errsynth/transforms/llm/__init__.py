"""LLM operators: llm_correct, llm_mistake, llm_paraphrase (recipe `process:` entries).

The `llm_*` steps (`errsynth.steps.llm`) run them.
They run after `augment`, on sample rows; see docs/llm.md.
"""

from __future__ import annotations

from errsynth.transforms.llm.base import LLMOperator, LLMParams, SamplingParams
from errsynth.transforms.llm.correct import LLMCorrect
from errsynth.transforms.llm.mistake import LLMMistake
from errsynth.transforms.llm.paraphrase import LLMParaphrase

__all__ = [
    "LLMCorrect",
    "LLMMistake",
    "LLMOperator",
    "LLMParams",
    "LLMParaphrase",
    "SamplingParams",
]

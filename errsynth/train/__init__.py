"""A small GPT trainer and evaluator that shows whether a retry mixture helps.

torch is an optional extra (``pip install 'errsynth[train]'``): the modules that need it
(:mod:`model`, :mod:`loop`, :mod:`evaluate`, :mod:`mistake_log`, :mod:`harvest`,
:mod:`validate_mix`) import it themselves; :mod:`tokenizer`, :mod:`config`, :mod:`data`
and :mod:`solutions` do not, so ``import errsynth.train`` works without torch.
"""

from __future__ import annotations

from errsynth.train.config import ModelConfig, TrainConfig
from errsynth.train.tokenizer import WordTokenizer, load_tokenizer

__all__ = ["ModelConfig", "TrainConfig", "WordTokenizer", "load_tokenizer"]

"""A small GPT trainer and evaluator that shows whether a retry mixture helps.

torch is an optional extra (``pip install 'errsynth[train]'``): :mod:`model`, :mod:`loop`,
:mod:`heldout_eval` (greedy decoding of held-out problems, answers checked exactly),
:mod:`regret_probe` (p(marker) after wrong vs right step heads), :mod:`mistake_probe`,
:mod:`harvest` and :mod:`job` import it at module level, :mod:`mistake_log` when it
records; :mod:`tokenizer`, :mod:`config`, :mod:`data`, :mod:`solutions`, :mod:`taxonomy`
(the kind of a wrong solution's first mistake), :mod:`bootstrap` and :mod:`arm_stats`
(paired intervals over problems and seeds), :mod:`probe_data` and :mod:`validate_mix`
(which runs its jobs in subprocesses) do not, so ``import errsynth.train`` and
``errsynth --help`` work without torch.
"""

from __future__ import annotations

from errsynth.train.config import ModelConfig, TrainConfig
from errsynth.train.tokenizer import WordTokenizer, load_tokenizer

__all__ = ["ModelConfig", "TrainConfig", "WordTokenizer", "load_tokenizer"]

"""Model and training settings (plain dataclasses; YAML/JSON friendly, no torch)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from errsynth.train.config_checks import (
    check_model_ranges,
    check_train_ranges,
    check_types,
    mapping,
    yaml_value,
)


@dataclass
class ModelConfig:
    vocab_size: int = 0  # set from the tokenizer
    block_size: int = 256
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    pos: str = "learned"  # learned | rope
    dropout: float = 0.0

    def __post_init__(self) -> None:
        check_model_ranges(self)
        if self.pos not in ("learned", "rope"):
            raise ValueError(f"model.pos must be learned or rope, got {self.pos!r}")
        if self.n_embd % self.n_head:
            raise ValueError("model.n_embd must be a multiple of model.n_head")


@dataclass
class MistakeLogConfig:
    every: int = 0  # log one batch every N steps (0: off)
    topk: int = 5
    max_rows: int = 64  # sequences of the batch that are logged


# Settings added after runs were made, with the behaviour of a run made before them
# (no document mask, a budget counted with padding): a stored config.json without the key
# keeps that behaviour when it is resumed, evaluated or probed.
LEGACY_SETTINGS: dict[str, Any] = {"doc_mask": False, "token_budget": "padded"}


@dataclass
class TrainConfig:
    """One training run: a budget of ``tokens`` or ``max_steps``.

    With ``token_budget: real`` (the default) ``tokens`` counts the tokens of samples the
    model is trained to predict (their text and closing ``<eos>``), padding excluded; the
    number of steps then follows from the packed data (``BlockStream.steps_for_tokens``).
    ``padded`` counts batch x block per step, padding included (runs made before the
    option existed).
    """

    model: ModelConfig = field(default_factory=ModelConfig)
    tokens: int = 0
    max_steps: int = 0
    batch_size: int = 32
    lr: float = 1e-3
    min_lr_ratio: float = 0.1
    warmup_steps: int = 100
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.95
    grad_clip: float = 1.0
    seed: int = 0
    tokenizer: str = "word"  # word | tiktoken:NAME
    specials: list[str] = field(default_factory=lambda: ["[BACK]"])
    loss_on: str = "all"  # all | completion (the solution tokens only)
    mask: str = "none"  # none | wrong | attempt: drop mask_spans of that mode from the loss
    doc_mask: bool = True  # attention stays inside each packed sample; positions restart
    token_budget: str = "real"  # real: `tokens` counts non-padding tokens | padded: B x block
    ckpt_every: int = 0  # steps between checkpoints (0: only at the end)
    log_every: int = 50
    device: str = "auto"  # auto | cpu | cuda
    compile: str = "auto"  # auto (on CUDA) | on | off
    threads: int = 0  # torch.set_num_threads on CPU (0: leave torch's default)
    mistake_log: MistakeLogConfig = field(default_factory=MistakeLogConfig)

    def __post_init__(self) -> None:
        check_train_ranges(self)
        if self.loss_on not in ("all", "completion"):
            raise ValueError(f"loss_on must be all or completion, got {self.loss_on!r}")
        if self.mask not in ("none", "wrong", "attempt"):
            raise ValueError(f"mask must be none, wrong or attempt, got {self.mask!r}")
        if self.token_budget not in ("real", "padded"):
            raise ValueError(f"token_budget must be real or padded, got {self.token_budget!r}")

    def steps(self) -> int:
        """Steps of the budget counted as batch x block per step.

        Exact for ``max_steps`` and ``token_budget: padded``; for a ``real`` token budget
        it is a lower bound (a step holds at most batch x block real tokens): the trainer
        takes the exact number from the packed data.
        """
        if self.max_steps:
            return self.max_steps
        per = self.batch_size * self.model.block_size
        if not self.tokens:
            raise ValueError("set tokens or max_steps")
        return max(1, self.tokens // per)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_stored(cls, data: dict[str, Any]) -> TrainConfig:
        """The settings a stored run (its ``config.json``) was made with.

        A setting added after the run was made is missing from its file; the run was made
        with that setting's old behaviour (``LEGACY_SETTINGS``), not today's default.
        """
        return cls.from_dict({**LEGACY_SETTINGS, **data})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        data = dict(data)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown training settings: {sorted(unknown)}")
        model = ModelConfig(**_coerce(ModelConfig, mapping(data.pop("model", {}), "model")))
        ml = MistakeLogConfig(
            **_coerce(MistakeLogConfig, mapping(data.pop("mistake_log", {}), "mistake_log"))
        )
        return cls(model=model, mistake_log=ml, **_coerce(cls, data))


def _coerce(kind: type, data: dict[str, Any]) -> dict[str, Any]:
    """Numbers given as strings (YAML 1.1 reads ``3e-3`` as a string) become numbers."""
    types = {f.name: f.type for f in dataclasses.fields(kind)}
    out = dict(data)
    for k, v in data.items():
        if isinstance(v, str) and types.get(k) in ("float", "int"):
            try:
                out[k] = int(float(v)) if types[k] == "int" else float(v)
            except ValueError as exc:
                raise ValueError(f"{k}: expected a number, got {v!r}") from exc
    check_types(types, out)
    return out


def apply_overrides(data: dict[str, Any], pairs: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``key.sub=value`` overrides (values read as YAML scalars) on a nested dict."""
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep:
            raise ValueError(f"{pair!r}: expected KEY=VALUE")
        node = data
        parts = key.split(".")
        for i, p in enumerate(parts[:-1]):
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                where = ".".join(parts[: i + 1])
                raise ValueError(f"--set {key}: {where} is {node!r:.40}, not a mapping")
        node[parts[-1]] = yaml_value(raw, key)
    return data

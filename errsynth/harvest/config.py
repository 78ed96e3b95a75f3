"""A harvest described in YAML (``errsynth harvest --config FILE``), like the LLM operators.

The file holds a ``harvest:`` mapping (or is that mapping)::

    harvest:
      corpus: [../shared/corpora/gsm8k/train.jsonl]
      format: gsm8k
      limit: 1000
      model: Qwen/Qwen2.5-7B-Instruct
      client: {base_url: http://127.0.0.1:8000/v1, api_key_env: null, concurrency: 64}
      sampling: {samples: 8, temperature: 0.8, seed: 0, max_tokens: 1024}
      judge_model: null
      correction: both
      style: {name: back}
      form: text
      profile: true

``client`` takes every field of the LLM operators' ``client`` (backend, base_url,
api_key_env, concurrency, timeouts, retries, cache, vllm, ...); unknown keys are errors
that name the key. Command-line options given explicitly override the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from errsynth.core.params import ParamError, parse_params
from errsynth.harvest.run import HarvestError, HarvestSpec
from errsynth.harvest.sampling import Sampling
from errsynth.llm.session import ClientParams
from errsynth.recipe.yaml_lines import YamlError, load_with_lines, read_text
from errsynth.render import StyleConfig
from errsynth.render.forms import style_output_for


@dataclass(frozen=True)
class SamplingSection:
    samples: int = 4
    temperature: float = 0.7
    seed: int = 0
    max_tokens: int = 1024
    top_p: float | None = None
    system: str | None = None
    user_template: str | None = None


@dataclass(frozen=True)
class HarvestFile:
    corpus: tuple[str, ...] = ()
    format: str = "auto"
    source: str | None = None
    limit: int | None = None
    model: str = ""
    client: Mapping[str, Any] = field(default_factory=dict)
    sampling: Mapping[str, Any] = field(default_factory=dict)
    judge_model: str | None = None
    judge_max_tokens: int = 512
    correction: str = "both"
    style: Mapping[str, Any] | str = "back"
    form: str = "text"
    annotations: str = "auto"
    chunk_size: int = 256
    profile: bool = False


def load_harvest_config(path: Path) -> HarvestSpec:
    """The spec a YAML file describes (HarvestError naming the file and the problem)."""
    try:
        data = load_with_lines(read_text(path), str(path))[0]
    except (YamlError, OSError) as exc:
        raise HarvestError(str(exc)) from exc
    if isinstance(data, Mapping) and "harvest" in data:
        data = data["harvest"]
    if not isinstance(data, Mapping):
        raise HarvestError(f"{path}: expected a mapping of harvest settings (harvest: ...)")
    try:
        f = parse_params(HarvestFile, data, f"{path}: harvest")
        client = parse_params(ClientParams, f.client, f"{path}: harvest.client")
        s = parse_params(SamplingSection, f.sampling, f"{path}: harvest.sampling")
        style_map = {"name": f.style} if isinstance(f.style, str) else dict(f.style)
        style_map.setdefault("output", style_output_for(f.form))
        style = StyleConfig.from_mapping(style_map)
    except (ParamError, ValueError, TypeError) as exc:
        raise HarvestError(str(exc)) from exc
    base = path.parent
    corpus = tuple(str(p if Path(p).is_absolute() else base / p) for p in f.corpus)
    return HarvestSpec(
        corpus=corpus,
        sampling=Sampling(
            f.model,
            samples=s.samples,
            temperature=s.temperature,
            seed=s.seed,
            max_tokens=s.max_tokens,
            top_p=s.top_p,
            namespace=client.cache_namespace,
            system=s.system,
            user_template=s.user_template,
        ),
        client=client,
        fmt=f.format,
        source=f.source,
        limit=f.limit,
        judge_model=f.judge_model,
        judge_max_tokens=f.judge_max_tokens,
        correction=f.correction,  # type: ignore[arg-type]
        style=style,
        form=f.form,
        annotations=f.annotations,
        chunk_size=f.chunk_size,
        profile=f.profile,
    )

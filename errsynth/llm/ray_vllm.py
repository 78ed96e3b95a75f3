"""Batch inference with vLLM on Ray Data (``ray.data.llm``), for GPU clusters.

The same `complete(requests, on_result)` contract as the HTTP backend: the requests
become a Ray dataset of ``{key, messages, sampling_params}`` rows, go through a
``build_processor(vLLMEngineProcessorConfig(...))`` processor (chat template,
tokenize, vLLM engine, detokenize on the cluster's GPUs), and every output row
comes back as a ChatResult, streamed in as Ray finishes blocks so that the cache
keeps what is done if the job dies. Rows that vLLM failed on (with
``should_continue_on_error``) come back as failed results, never as lost rows.

vLLM and ``ray.data.llm`` are imported only when this backend runs (the ``vllm``
extra: ``pip install 'errsynth[vllm]'``). Everything around the processor (rows
in, results out) is plain code, tested without a GPU by handing
:class:`RayVLLMBackend` another processor factory.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from errsynth.llm.meter import Meter
from errsynth.llm.request import ChatRequest, ChatResult

#: OpenAI request parameters that map one to one onto vLLM's SamplingParams.
SAMPLING_FIELDS = (
    "temperature",
    "top_p",
    "top_k",
    "max_tokens",
    "seed",
    "stop",
    "presence_penalty",
    "frequency_penalty",
    "repetition_penalty",
    "min_p",
)

OnResult = Callable[[ChatRequest, ChatResult], None]
ProcessorFactory = Callable[["VLLMConfig"], Callable[[Any], Any]]


def vllm_available() -> bool:
    return importlib.util.find_spec("vllm") is not None


@dataclass(frozen=True)
class VLLMConfig:
    """Settings of ``vLLMEngineProcessorConfig`` (see Ray's docs for each)."""

    model_source: str
    engine_kwargs: Mapping[str, Any] = field(default_factory=dict)
    concurrency: int = 1  # vLLM engine replicas (data parallel)
    batch_size: int = 64
    accelerator_type: str | None = None
    max_concurrent_batches: int = 8
    ray_address: str | None = None  # None: the running Ray (or a local one)


def sampling_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """The request's OpenAI parameters as vLLM SamplingParams keyword arguments."""
    out = {k: params[k] for k in SAMPLING_FIELDS if params.get(k) is not None}
    if isinstance(out.get("stop"), str):
        out["stop"] = [out["stop"]]
    return out


def request_rows(requests: Sequence[ChatRequest]) -> list[dict[str, Any]]:
    """One dataset row per distinct request key."""
    seen: dict[str, dict[str, Any]] = {}
    for r in requests:
        if r.key not in seen:
            seen[r.key] = {
                "key": r.key,
                "messages": r.message_dicts(),
                "sampling_params": sampling_params(r.params),
            }
    return list(seen.values())


def _preprocess(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": row["key"],
        "messages": row["messages"],
        "sampling_params": row["sampling_params"],
    }


def _postprocess(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": row["key"],
        "generated_text": row.get("generated_text") or "",
        "num_input_tokens": int(row.get("num_input_tokens") or 0),
        "num_generated_tokens": int(row.get("num_generated_tokens") or 0),
        "finish_reason": None,
        "__inference_error__": "",
    }


def result_of(row: Mapping[str, Any]) -> ChatResult:
    """A ChatResult from one processor output row (an error row included)."""
    error = row.get("__inference_error__") or ""
    if error:
        return ChatResult(key=row["key"], error=f"vllm_error: {str(error)[:300]}", attempts=1)
    return ChatResult(
        key=row["key"],
        content=row.get("generated_text") or "",
        finish_reason=row.get("finish_reason"),
        prompt_tokens=int(row.get("num_input_tokens") or 0),
        completion_tokens=int(row.get("num_generated_tokens") or 0),
        attempts=1,
    )


def build_vllm_processor(config: VLLMConfig) -> Callable[[Any], Any]:
    """``ray.data.llm.build_processor`` with a vLLM engine (needs vllm and GPUs)."""
    from ray.data.llm import build_processor, vLLMEngineProcessorConfig

    proc_config = vLLMEngineProcessorConfig(
        model_source=config.model_source,
        engine_kwargs=dict(config.engine_kwargs),
        concurrency=config.concurrency,
        batch_size=config.batch_size,
        accelerator_type=config.accelerator_type,
        max_concurrent_batches=config.max_concurrent_batches,
        should_continue_on_error=True,
    )
    return build_processor(proc_config, preprocess=_preprocess, postprocess=_postprocess)


class RayVLLMBackend:
    """Requests through a Ray Data processor (vLLM by default)."""

    name = "vllm"

    def __init__(
        self,
        config: VLLMConfig,
        meter: Meter | None = None,
        *,
        processor_factory: ProcessorFactory | None = None,
    ) -> None:
        if processor_factory is None and not vllm_available():
            raise RuntimeError(
                "backend vllm needs vLLM and ray[data,llm] on the driver and the GPU workers "
                "(pip install 'errsynth[vllm]'); or use backend: openai with a vLLM server"
            )
        self.config = config
        self.meter = meter or Meter()
        self._factory = processor_factory or build_vllm_processor
        self._processor: Callable[[Any], Any] | None = None

    def complete(
        self, requests: Sequence[ChatRequest], on_result: OnResult | None = None
    ) -> list[ChatResult]:
        if not requests:
            return []
        import ray
        import ray.data

        if not ray.is_initialized():
            ray.init(address=self.config.ray_address, ignore_reinit_error=True, log_to_driver=False)
        if self._processor is None:
            self._processor = self._factory(self.config)
        by_key: dict[str, list[ChatRequest]] = {}
        for r in requests:
            by_key.setdefault(r.key, []).append(r)
        rows = request_rows(requests)
        for _ in rows:
            self.meter.attempt()
        ds = self._processor(ray.data.from_items(rows))
        got: dict[str, ChatResult] = {}
        for row in _iter_rows(ds):
            result = result_of(row)
            if result.key not in by_key or result.key in got:
                continue
            got[result.key] = result
            self.meter.done(
                result.ok, result.prompt_tokens, result.completion_tokens, code="vllm_error"
            )
            if on_result is not None:
                on_result(by_key[result.key][0], result)
        for key in by_key:  # a row Ray dropped is a failure, not a silent loss
            if key not in got:
                got[key] = ChatResult(key=key, error="vllm_error: no output row", attempts=1)
                self.meter.done(False, code="missing_row")
                if on_result is not None:
                    on_result(by_key[key][0], got[key])
        return [got[r.key] for r in requests]


def _iter_rows(ds: Any) -> Iterable[dict[str, Any]]:
    return ds.iter_rows()

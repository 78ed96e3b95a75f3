"""The Ray Data / vLLM backend: rows in, results out, through a real Ray Data pipeline.

vLLM is not installed here, so the engine is replaced by a Ray Data map that writes
the columns vLLM's stage writes (generated_text, token counts, __inference_error__);
everything around it is the code the vLLM path runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from errsynth.llm.cache import ResponseCache
from errsynth.llm.meter import Meter
from errsynth.llm.ray_vllm import (
    RayVLLMBackend,
    VLLMConfig,
    request_rows,
    result_of,
    sampling_params,
    vllm_available,
)
from errsynth.llm.request import ChatRequest
from errsynth.llm.session import ClientParams, LLMSession, make_backend


def fake_engine(config: VLLMConfig):
    def engine_batch(batch):
        texts, errors = [], []
        for messages in batch["messages"]:
            content = messages[-1]["content"]
            texts.append("" if "boom" in content else content.upper())
            errors.append("engine failed" if "boom" in content else "")
        batch["generated_text"] = texts
        batch["num_input_tokens"] = [len(m[-1]["content"]) for m in batch["messages"]]
        batch["num_generated_tokens"] = [len(t) for t in texts]
        batch["__inference_error__"] = errors
        return batch

    return lambda ds: ds.map_batches(
        engine_batch, batch_format="pandas", batch_size=config.batch_size
    )


def test_ray_backend_results_and_cache(ray_local, tmp_path: Path) -> None:
    reqs = [
        ChatRequest.of("m", [("user", f"q{i}")], {"temperature": 0, "max_tokens": 8})
        for i in range(10)
    ]
    reqs.append(ChatRequest.of("m", [("user", "boom")], {"temperature": 0}))
    backend = RayVLLMBackend(
        VLLMConfig(model_source="m", batch_size=4), Meter(), processor_factory=fake_engine
    )
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        out = LLMSession(backend, cache).run(reqs + reqs[:2])
        assert len(out) == 11
        for r in reqs[:10]:
            assert out[r.key].content == r.messages[-1][1].upper() and out[r.key].prompt_tokens == 2
        assert out[reqs[-1].key].error.startswith(
            "vllm_error"
        )  # a failed row is a result, not a loss
        assert len(cache) == 10
        again = LLMSession(None, cache).run(reqs[:10])
        assert all(r.cached for r in again.values())


def test_rows_and_sampling_params() -> None:
    r = ChatRequest.of(
        "m",
        [("system", "s"), ("user", "u")],
        {"temperature": 0.2, "max_tokens": 5, "stop": "x", "response_format": {}},
    )
    rows = request_rows([r, r])
    assert len(rows) == 1 and rows[0]["messages"][1] == {"role": "user", "content": "u"}
    assert sampling_params(r.params) == {"temperature": 0.2, "max_tokens": 5, "stop": ["x"]}
    assert result_of({"key": "k", "generated_text": "t", "num_input_tokens": 3}).prompt_tokens == 3
    assert not result_of({"key": "k", "__inference_error__": "oom"}).ok


def test_vllm_backend_needs_vllm() -> None:
    if vllm_available():
        pytest.skip("vllm is installed")
    with pytest.raises(RuntimeError, match="errsynth\\[vllm\\]"):
        make_backend(ClientParams(backend="vllm"), "m", Meter())
    # api_key_env: null, the explicit no-auth setting (an unset key variable is refused)
    assert (
        make_backend(ClientParams(backend="auto", api_key_env=None), "m", Meter()).name == "openai"
    )

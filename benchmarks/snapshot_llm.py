"""Run the shipped LLM recipes against the tests' loopback server (a scripted oracle model).

    PYTHONPATH=CHECKOUT python benchmarks/snapshot_llm.py OUT [local|ray]

Run from the checkout's root (the oracle is `tests/llm_models.Oracle`, the server
`tests/llm_server.FakeLLM`). `llm_correct.yaml` and `llm_rewrite.yaml` run at their
shipped sizes into OUT/ENGINE/NAME; some oracle answers are spoiled (a reply without
a mistake, a changed equation, a lost marker) so the reject paths are in the output
too. Compare two such folders with `benchmarks/compare_runs.py`.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, os.getcwd())

import errsynth
from tests.llm_models import Oracle
from tests.llm_server import FakeLLM

try:  # the checkout being measured decides where run_recipe lives
    from errsynth.runner import run_recipe
except ImportError:  # pragma: no cover (a checkout before errsynth.runner)
    from errsynth.pipeline.run import run_recipe  # type: ignore[no-redef]
from errsynth.recipe import load_recipe

CLIENT = ["timeout_s=5.0", "max_retries=4", "backoff_base_s=0.01", "api_key_env=ERRSYNTH_KEY"]
STEPS = {
    "llm_correct": [(1, "llm_correct")],
    "llm_rewrite": [(1, "llm_mistake"), (2, "llm_paraphrase")],
}


def spoil(op: str, reply: dict) -> dict | str | None:
    h = int(hashlib.sha256(json.dumps(reply, sort_keys=True).encode()).hexdigest(), 16) % 5
    if op == "mistake" and h == 0:
        return {**reply, "mistake": reply["correction"]}
    if op == "paraphrase" and h == 0:
        return reply["text"].replace(" = ", " = 0 + ", 1)
    if op == "correct" and h == 0:
        return {**reply, "answer": reply.get("answer", "") + "1"}
    return None


def main() -> None:
    out, engine = Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "local"
    os.environ.setdefault("ERRSYNTH_KEY", "not-a-key")
    executor = None
    if engine == "ray":
        try:
            from errsynth.engine import RayExecutor
        except ImportError:  # pragma: no cover
            from errsynth.pipeline.executors import RayExecutor  # type: ignore[no-redef]
        executor = RayExecutor()
    print("errsynth from", Path(errsynth.__file__).parent)
    for name, steps in STEPS.items():
        run = out / engine / name
        with FakeLLM(responder=Oracle(run, spoil)) as server:
            sets = [f"process.{i}.{op}.client.base_url={server.url}" for i, op in steps]
            sets += [f"process.{i}.{op}.client.{kv}" for i, op in steps for kv in CLIENT]
            m = run_recipe(
                load_recipe(Path("recipes") / f"{name}.yaml", sets),
                run,
                executor=executor,
                force=True,
            )
        print(name, engine, m["rows_out"], {s["stage"]: s["rows_out"] for s in m["stages"]})


if __name__ == "__main__":
    main()

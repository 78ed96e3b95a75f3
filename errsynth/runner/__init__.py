"""Run orchestration: a recipe's run directory, its sources, its stages, the mix, the manifest.

- `run`: `run_recipe` (the one entry point)
- `rundir`: which recipe a run directory holds, --force, a finished run
- `sources`: the sources parsed into input chunks (executor jobs), limits, source manifests
- `stage`: one step as a resumable stage (done.json)
- `manifest`: rejects/ and manifest.json (accounting per source)
"""

from errsynth.core.errors import RunError
from errsynth.runner.run import run_recipe
from errsynth.runner.sources import source_solutions

__all__ = ["RunError", "run_recipe", "source_solutions"]

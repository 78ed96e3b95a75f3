"""What a small quickstart run touches: errsynth files and folders whose functions run, the
orchestration files among them, and the Parquet files written in the run dir before the mix.

    python benchmarks/run_footprint.py CHECKOUT     (e.g. . or a snapshot of an older commit)

Counts come from `sys.setprofile` over `run_recipe` only (the package is imported
first), on the quickstart recipe cut to 40 problems in chunks of 20.
"""

from __future__ import annotations

import collections
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ORCHESTRATION = ("pipeline/", "runner/", "steps/", "engine/", "augment")


def main() -> None:
    src = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    sys.path.insert(0, str(src))
    import errsynth
    import errsynth.render
    import errsynth.transforms
    from errsynth.recipe import load_recipe

    try:
        from errsynth.runner import run_recipe
    except ImportError:  # a checkout before errsynth.runner
        from errsynth.pipeline.run import run_recipe  # type: ignore[no-redef]

    pkg = str(Path(errsynth.__file__).parent)
    seen: collections.Counter[str] = collections.Counter()

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code.co_filename.startswith(pkg):
            seen[os.path.relpath(frame.f_code.co_filename, pkg)] += 1

    recipe = load_recipe(
        src / "recipes" / "quickstart.yaml", ["sources.0.generate.n=40", "engine.chunk_rows=20"]
    )
    out = Path(tempfile.mkdtemp()) / "run"
    sys.setprofile(profile)
    run_recipe(recipe, out)
    sys.setprofile(None)
    written = [
        p
        for p in out.rglob("*.parquet")
        if not {"shards", "rejects"} & set(p.relative_to(out).parts)
    ]
    print(
        json.dumps(
            {
                "errsynth": pkg,
                "files": len(seen),
                "folders": len({str(Path(f).parent) for f in seen}),
                "orchestration_files": sorted(f for f in seen if f.startswith(ORCHESTRATION)),
                "parquet_files_before_mix": len(written),
                "stage_bytes": sum(p.stat().st_size for p in (out / "stages").rglob("*.parquet")),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()

"""The run directory's identity: which recipe it holds, starting over, and a finished run.

run.json        the recipe's digest (and the recipe): a run dir holds one recipe
manifest.json   written last: the run is finished
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import errsynth
from errsynth.core.atomic import write_json_atomic
from errsynth.core.errors import RunError
from errsynth.recipe import Recipe

RUN_ENTRIES = ("sources", "stages", "shards", "rejects", "manifest.json", "run.json")


def recipe_digest(recipe: Recipe) -> str:
    return hashlib.sha256(json.dumps(recipe.data, sort_keys=True, default=str).encode()).hexdigest()


def clear_run(out: Path) -> None:
    """Remove what a run wrote (and nothing else) from `out`."""
    for name in RUN_ENTRIES:
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def open_run(out: Path, recipe: Recipe, force: bool) -> dict[str, Any] | None:
    """Claim `out` for the recipe (resuming its unfinished run); the manifest when finished.

    Raises RunError when `out` holds another recipe's run or cannot be written.
    """
    digest = recipe_digest(recipe)
    marker = out / "run.json"
    if force and out.exists():
        clear_run(out)
    if marker.exists():
        previous = json.loads(marker.read_text())
        if previous.get("recipe_sha256") != digest:
            raise RunError(
                f"{out} holds a run of a different recipe (or other --set values); "
                "use --force to start over, or another -o directory"
            )
        if (out / "manifest.json").exists():
            return json.loads((out / "manifest.json").read_text())
    out.mkdir(parents=True, exist_ok=True)
    probe = out / f".write-probe-{os.getpid()}"
    try:
        probe.write_bytes(b"x")
        probe.unlink()
    except OSError as exc:
        raise RunError(f"cannot write to {out}: {exc.strerror or exc}") from exc
    write_json_atomic(
        marker,
        {"recipe_sha256": digest, "recipe": recipe.data, "errsynth_version": errsynth.__version__},
    )
    return None

"""A small real run (the quickstart recipe, scaled down) shared by the report tests."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from errsynth.cli import main

RECIPES = Path(__file__).resolve().parents[1] / "recipes"
SMALL = ["sources.0.generate.n=300", "output.shard_rows=200", "engine.chunk_rows=100"]


def make_quickstart_run(out: Path, *extra: str) -> Path:
    """Run the quickstart recipe at 300 problems through the CLI (report included)."""
    args = ["run", str(RECIPES / "quickstart.yaml"), "-o", str(out), "-q"]
    for setting in SMALL:
        args += ["--set", setting]
    result = CliRunner().invoke(main, [*args, *extra])
    assert result.exit_code == 0, result.output
    return out

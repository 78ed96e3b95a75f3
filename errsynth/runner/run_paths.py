"""Where a run reads and where it writes must not overlap.

An output directory inside a source directory would make the run ingest its own files
(run.json, chunks, shards, and after a resume more of them); a source file inside the
output directory could be deleted by ``--force`` or read back as input. errsynth
refuses both before it writes anything (it does not silently exclude the run
directory: a source's content should not depend on where the output went).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol


class _Resolves(Protocol):
    data: dict[str, Any]

    def resolve_path(self, value: str) -> Path: ...


class OverlapError(ValueError):
    """The output directory and a source overlap; the message says how."""


def declared_sources(recipe: _Resolves) -> list[tuple[str, list[Path]]]:
    """(source name, its resolved paths) for every source read from files."""
    out = []
    for src in recipe.data.get("sources") or []:
        if not isinstance(src, dict) or "path" not in src:
            continue
        paths = src["path"] if isinstance(src["path"], list) else [src["path"]]
        out.append((str(src.get("name")), [recipe.resolve_path(str(p)) for p in paths]))
    return out


def _inside(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def check_output_apart(out: Path, sources: list[tuple[str, list[Path]]]) -> None:
    """Raise OverlapError when ``out`` is inside a source directory or holds a source."""
    out_r = Path(out).resolve()
    for name, paths in sources:
        for p in paths:
            p_r = p.resolve()
            if p_r.is_dir() and _inside(out_r, p_r):
                raise OverlapError(
                    f"the output directory {out} is inside the directory of source {name} "
                    f"({p}): the run would read its own files as input. Choose an -o "
                    f"outside {p}"
                )
            if _inside(p_r, out_r):
                raise OverlapError(
                    f"source {name} ({p}) is inside the output directory {out}: a re-run or "
                    "--force could delete it or read the run's own files. Move it, or "
                    "choose another -o"
                )

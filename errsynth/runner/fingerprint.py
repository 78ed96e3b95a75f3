"""Fingerprints of a run's input files, so a resume never mixes old and new input.

When a run first reads a source, it records in ``sources/NAME/inputs.json`` the paths
the recipe names and, for every file they expand to, its size, mtime and SHA-256 of
its bytes. A later start of the same run (a resume after a kill, or a re-run) checks
every recorded source before doing anything: a file whose content hash, size or
presence differs, or a file added to a source directory, stops the run with an
:class:`InputChangedError` naming the file (the chunks already written hold the old
content; finishing would mix old and new rows). A file only touched (mtime changed,
same bytes) is accepted: the content hash decides. After a source has been read, its
files are checked again by size and mtime, so a file changed *while* it was read is
caught too.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from errsynth.core.atomic import write_json_atomic
from errsynth.ingest.records import expand_inputs

FILE_NAME = "inputs.json"
HASH_BUFFER = 1 << 20


class InputChangedError(RuntimeError):
    """An input file differs from the one the run started with; the message names it."""


def file_fingerprint(path: Path) -> dict[str, Any]:
    """Size, mtime and SHA-256 of a file; a path that cannot be read (a dangling link, a
    link loop: ingest records those as rejects) is fingerprinted as unreadable."""
    try:
        st = path.stat()
    except OSError:
        return {"path": str(path), "unreadable": True}
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(HASH_BUFFER), b""):
            digest.update(block)
    return {
        "path": str(path),
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "sha256": digest.hexdigest(),
    }


def record_inputs(folder: Path, declared: list[Path], files: list[Path]) -> None:
    """Write ``folder/inputs.json``: fingerprints at the first read, stats at every read."""
    target = folder / FILE_NAME
    if target.exists():  # a resumed source: keep the first fingerprints (checked at start)
        data = json.loads(target.read_text())
    else:
        data = {
            "declared": [str(p) for p in declared],
            "files": [file_fingerprint(p) for p in files],
        }
    # size and mtime as this attempt starts reading, for the check after the read
    data["read_from"] = {}
    for p in files:
        try:
            st = p.stat()
        except OSError:  # unreadable (a broken link): ingest rejects it, nothing is read
            continue
        data["read_from"][str(p)] = [st.st_size, st.st_mtime_ns]
    write_json_atomic(target, data)


def _changed(source: str, path: str, why: str) -> InputChangedError:
    return InputChangedError(
        f"source {source}: {path} {why}; the chunks already "
        "written hold the old content, and finishing would mix old and new rows. Restore "
        "the file, or start over with --force (or use another -o directory)"
    )


def verify_source(folder: Path, source: str, *, quick: bool = False) -> None:
    """Raise InputChangedError when a recorded input differs (``quick``: size and mtime
    only, for the check right after reading; otherwise the content hash decides)."""
    target = folder / FILE_NAME
    if not target.exists():
        return
    data = json.loads(target.read_text())
    recorded = {f["path"]: f for f in data["files"]}
    if quick:
        for path, (size, mtime_ns) in data.get("read_from", {}).items():
            try:
                st = Path(path).stat()
            except OSError:
                raise _changed(source, path, "disappeared while it was read") from None
            if (st.st_size, st.st_mtime_ns) != (size, mtime_ns):
                raise _changed(source, path, "was modified while it was read")
        return
    try:
        now = [str(p) for p in expand_inputs([Path(p) for p in data["declared"]])]
    except FileNotFoundError as exc:
        raise _changed(source, str(exc).split(":")[0], "disappeared") from None
    for path in now:
        if path not in recorded:
            raise _changed(source, path, "was added to a source directory")
    since = "since this run first read it"
    for path, fp in recorded.items():
        p = Path(path)
        try:
            st = p.stat()
        except OSError:
            if fp.get("unreadable"):
                continue  # unreadable then and now (a broken link): the same reject
            raise _changed(source, path, f"disappeared {since}") from None
        if fp.get("unreadable"):
            raise _changed(
                source, path, f"was unreadable (a broken link) and is readable now {since}"
            )
        if st.st_size != fp["size"]:
            raise _changed(
                source, path, f"changed size ({fp['size']} -> {st.st_size} bytes) {since}"
            )
        if file_fingerprint(p)["sha256"] != fp["sha256"]:
            raise _changed(source, path, f"changed content (SHA-256 differs) {since}")


def verify_run_inputs(out: Path) -> None:
    """Check every source of the run in ``out`` that has recorded its inputs."""
    for target in sorted((out / "sources").glob(f"*/{FILE_NAME}")):
        verify_source(target.parent, target.parent.name)

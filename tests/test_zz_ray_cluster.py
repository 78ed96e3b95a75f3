"""A real local Ray cluster: `ray start --head`, then `ray job submit -- errsynth run ...`.

Each head node here has its own temporary directory, token and ports, and is stopped by
its own processes' PIDs (tests/ray_nodes.py), never with `ray stop`, so any other Ray on
the machine (a user's cluster, another test session) keeps running; the second test
proves it with an unrelated head started first.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from errsynth.recipe import load_recipe
from errsynth.runner import run_recipe
from tests.ray_nodes import RayHead

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["sources.0.generate.n=300", "output.shard_rows=200", "engine.chunk_rows=100"]


def _hashes(out: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((out / "shards").glob("*.parquet"))
    }


def _submit_quickstart(head: RayHead, out: Path) -> None:
    cmd = [
        head.ray_cli,
        "job",
        "submit",
        "--address",
        head.dashboard,
        "--working-dir",
        str(ROOT),
        "--runtime-env-json",
        '{"excludes": ["runs", ".git", "*.parquet", ".hypothesis", "*.egg-info"]}',
        "--",
        "errsynth",
        "run",
        "recipes/quickstart.yaml",
        "-o",
        str(out),
        "--engine",
        "ray",
        "--ray-address",
        "auto",
        "-q",
    ]
    for s in SMALL:
        cmd += ["--set", s]
    job = subprocess.run(cmd, env=head.env, capture_output=True, text=True, timeout=600)
    assert job.returncode == 0, (job.stdout + job.stderr)[-3000:]
    assert "succeeded" in job.stdout + job.stderr


def _cluster_flow(tmp_path: Path) -> None:
    """Start a head, submit the quickstart as a job, stop exactly that head; same shards
    as the local engine."""
    out = tmp_path / "cluster"
    head = RayHead.start(num_cpus=2)
    try:
        assert head.alive()
        _submit_quickstart(head, out)
    finally:
        head.stop()
    assert not head.processes(), "processes of the stopped head are still running"
    local = tmp_path / "local"
    run_recipe(load_recipe(ROOT / "recipes" / "quickstart.yaml", SMALL), local)
    assert _hashes(out) == _hashes(local) and _hashes(local)


@pytest.mark.slow
def test_job_submit_to_a_local_cluster(tmp_path: Path) -> None:
    _cluster_flow(tmp_path)


@pytest.mark.slow
def test_cluster_test_leaves_an_unrelated_ray_running(tmp_path: Path) -> None:
    other = RayHead.start(num_cpus=1)
    try:
        assert other.alive()
        _cluster_flow(tmp_path)
        assert other.alive(), "the cluster test ended a Ray it did not start"
        status = subprocess.run(
            [other.ray_cli, "status", "--address", other.address],
            env=other.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert status.returncode == 0, status.stderr[-2000:]
    finally:
        other.stop()
    assert not other.processes()

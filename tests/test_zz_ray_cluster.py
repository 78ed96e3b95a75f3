"""A real local Ray cluster: `ray start --head`, then `ray job submit -- errsynth run ...`.

Runs last (file name) because `ray stop` ends every Ray process on the machine.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from errsynth.recipe import load_recipe
from errsynth.runner import run_recipe

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["sources.0.generate.n=300", "output.shard_rows=200", "engine.chunk_rows=100"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _hashes(out: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((out / "shards").glob("*.parquet"))
    }


@pytest.mark.slow
def test_job_submit_to_a_local_cluster(tmp_path: Path) -> None:
    if shutil.which("ray") is None:
        pytest.skip("the ray CLI is not installed")
    import ray

    if ray.is_initialized():
        ray.shutdown()
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    dash = _free_port()
    start = subprocess.run(
        [
            "ray",
            "start",
            "--head",
            "--num-cpus=2",
            f"--port={_free_port()}",
            f"--dashboard-port={dash}",
            "--dashboard-host=127.0.0.1",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    try:
        assert start.returncode == 0, start.stderr[-2000:]
        out = tmp_path / "cluster"
        cmd = [
            "ray",
            "job",
            "submit",
            "--address",
            f"http://127.0.0.1:{dash}",
            "--working-dir",
            str(ROOT),
            "--runtime-env-json",
            '{"excludes": ["runs", ".git", "*.parquet", ".hypothesis"]}',
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
        job = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        assert job.returncode == 0, (job.stdout + job.stderr)[-3000:]
        assert "succeeded" in job.stdout + job.stderr
    finally:
        subprocess.run(["ray", "stop", "--force"], env=env, capture_output=True, timeout=120)
    local = tmp_path / "local"
    run_recipe(load_recipe(ROOT / "recipes" / "quickstart.yaml", SMALL), local)
    assert _hashes(out) == _hashes(local) and _hashes(local)

"""A stale /tmp/ray/ray_current_cluster (left by a cluster that is gone) must not capture
a new Ray instance: `ray.init()` without an address joins the cluster that file names,
which failed every Ray test of a session ("When connecting to an existing cluster,
num_cpus and num_gpus must not be provided") after an earlier `ray start --head`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("ray")
pytestmark = pytest.mark.slow

CODE = """
from errsynth.engine.ray import RayExecutor
ex = RayExecutor(num_cpus=1)
print(sorted(ex.map(lambda x: x * 2, [1, 2, 3])))
import ray
ray.shutdown()
"""


def test_a_stale_cluster_address_file_does_not_capture_the_executor() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="rs", dir="/tmp"))  # short: Ray's socket paths
    try:
        (tmp / "ray").mkdir()
        (tmp / "ray" / "ray_current_cluster").write_text("192.0.2.2:45401")  # TEST-NET-1
        env = {**os.environ, "TMPDIR": str(tmp), "RAY_USAGE_STATS_ENABLED": "0"}
        env.pop("RAY_ADDRESS", None)
        r = subprocess.run(
            [sys.executable, "-c", CODE], env=env, capture_output=True, text=True, timeout=180
        )
        assert r.returncode == 0, r.stderr[-2000:]
        assert r.stdout.strip().splitlines()[-1] == "[2, 4, 6]"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
